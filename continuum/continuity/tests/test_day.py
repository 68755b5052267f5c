from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils.html import escape

from continuum.accounts.actors import actor_for
from continuum.care.models import AppointmentStatus, Client
from continuum.continuity.attention import rebuild
from continuum.lib.contributions import Rank
from continuum.measures.models import Alert
from continuum.measures.services import resolve
from continuum.portal.services import mark_all_seen
from continuum.testing.base import (
    BaseTestCase,
    kept,
    make_appointment,
    make_client,
    make_episode,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=LONDON)  # a Wednesday morning


def make_alert(
    client: Client,
    kind: str = "safety",
    severity: str = "high",
    rank: int = 0,
    cause: str = "c",
    message: str = "m",
) -> Alert:
    return kept(
        Alert.objects.create(
            client=client,
            kind=kind,
            severity=severity,
            severity_rank=rank,
            cause=cause,
            message=message,
        ),
        "measures",
    )


@time_machine.travel(NOW, tick=False)
class DayTests(BaseTestCase):
    url = "/day/"

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(
            response, f"/accounts/login/?next={self.url}", fetch_redirect_response=False
        )

    def test_it_is_for_clinicians_only(self) -> None:
        from continuum.accounts.models import Role
        from continuum.testing.base import make_staff

        admin = make_staff(
            self.riverside, "admin@example.org", "Ada", role=Role.OWNER, clinical=False
        )
        self.login(admin)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_home_sends_a_therapist_to_their_day(self) -> None:
        self.login(self.alice)
        self.assertRedirects(self.client.get("/"), self.url)

    def test_it_lists_today_and_tomorrow_in_the_therapists_zone(self) -> None:
        make_episode(self.dana)
        make_appointment(self.dana, NOW.replace(hour=14))
        make_appointment(self.dana, NOW.replace(hour=10) + timedelta(days=1))
        make_appointment(self.dana, NOW + timedelta(days=2))  # not shown
        cancelled = make_appointment(self.dana, NOW.replace(hour=16))
        cancelled.status = AppointmentStatus.CANCELLED
        cancelled.save()
        make_appointment(self.finn, NOW.replace(hour=11))  # Bob's client
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "Wednesday 18 November")
        sessions = response.context["day"]
        self.assertEqual(
            [s.starts_at.astimezone(LONDON).hour for s in sessions.today_sessions], [14]
        )
        self.assertEqual(
            [s.starts_at.astimezone(LONDON).hour for s in sessions.tomorrow_sessions], [10]
        )
        self.assertContains(response, "14:00")
        self.assertNotContains(response, "Finn")

    def test_sessions_and_lines_are_written_as_markup_with_every_value_escaped(self) -> None:
        # The day writes its lines and session rows without the template engine (issue 13,
        # continuity_day tags): the same markup, and nothing a person typed becomes markup.
        odd = make_client(self.alice, "Ann<b>", "O'Neil & Co")
        make_episode(odd)
        session = make_appointment(odd, NOW.replace(hour=14))
        make_alert(odd, message="<script>x</script>")
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertNotContains(response, "<script>x")
        self.assertNotContains(response, "Ann<b>")
        name = "Ann&lt;b&gt; O&#x27;Neil &amp; Co"
        self.assertContains(
            response,
            f'<span class="session-time">14:00</span>'
            f'<a href="/clients/{odd.pk}/">{name}</a>'
            f'<span class="muted small">{session.get_modality_display()}</span>'
            f'<a class="button secondary small" href="/appointments/{session.pk}/brief/">'
            f'Brief<span class="visually-hidden"> for {name} at 14:00</span></a>',
            html=True,
        )
        line = response.context["day"].on_my_mind[0].lines[0]
        ago = f' <span class="muted ago">{line.ago}</span>' if line.ago else ""
        self.assertContains(
            response,
            f'<li class="mind-line"><span class="mind-reason">{escape(line.reason)}{ago}</span>'
            f'<a class="mind-action" href="{line.url}">{escape(line.action)}</a></li>',
            html=True,
        )

    def test_a_long_list_shows_the_most_urgent_first_and_a_link_to_all(self) -> None:
        for i in range(3):
            client = make_client(self.alice, f"Det{i}", "Load")
            make_alert(client, kind="deterioration", severity="medium", rank=1, cause=f"d{i}")
        make_alert(self.dana, message="Answered 2 to the item about self-harm")
        self.login(self.alice)

        with self.settings(DAY_LIST_LIMIT=2):
            cut = self.client.get(self.url)
            everything = self.client.get(self.url + "?all=1")
        self.assertEqual(
            [e.rank for e in cut.context["day"].on_my_mind], [Rank.SAFETY, Rank.DETERIORATION]
        )
        self.assertContains(cut, '<a href="?all=1">Show all 4 clients</a>', html=True)
        self.assertContains(cut, "2 more, less urgent")
        self.assertEqual(len(everything.context["day"].on_my_mind), 4)
        self.assertNotContains(everything, "Show all")
        # Every client with a safety reason is shown, whatever the limit.
        with self.settings(DAY_LIST_LIMIT=0):
            safety_only = self.client.get(self.url)
        self.assertEqual([e.rank for e in safety_only.context["day"].on_my_mind], [Rank.SAFETY])

        # Something new below the cut stays "new since you last looked" until it has been
        # seen: a cut visit does not count as looking, the visit showing everything does.
        with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
            late = make_client(self.alice, "Late", "Load")
            make_alert(late, kind="deterioration", severity="medium", rank=1, cause="late")
            with self.settings(DAY_LIST_LIMIT=2):
                cut = self.client.get(self.url)
                cut_again = self.client.get(self.url)
                self.client.get(self.url + "?all=1")
                after = self.client.get(self.url)
        self.assertEqual(cut.context["day"].hidden_new, 1)
        self.assertEqual(cut_again.context["day"].hidden_new, 1)
        self.assertEqual(after.context["day"].hidden_new, 0)

    def test_safety_alerts_come_first_and_drifting_clients_are_listed(self) -> None:
        drifting = make_client(self.alice, "Drew", "Drift")
        make_episode(drifting)
        make_appointment(drifting, NOW - timedelta(days=30), status=AppointmentStatus.ATTENDED)
        recent = make_client(self.alice, "Rory", "Recent")
        make_episode(recent)
        make_appointment(recent, NOW - timedelta(days=30), status=AppointmentStatus.ATTENDED)
        make_appointment(recent, NOW + timedelta(days=3))  # booked: not drifting
        make_episode(self.dana)
        make_alert(
            self.dana,
            kind="deterioration",
            severity="medium",
            rank=1,
            cause="d",
            message="PHQ-9 rose 7 points",
        )
        make_alert(self.dana, message="Answered 2 to the item about self-harm")
        make_alert(self.eli, message="Other practice")
        self.login(self.alice)

        response = self.client.get(self.url)

        entries = response.context["day"].on_my_mind
        # Dana is one entry, her safety alert leading (her deterioration alert is counted in
        # it). She has drifted too (an active episode since January and nothing attended),
        # and quiet that long she is also prompted for an unplanned ending (endings app):
        # lines of her entry, not entries of their own.
        self.assertEqual(
            [(e.client_name.split()[0], e.rank) for e in entries],
            [("Dana", Rank.SAFETY), ("Drew", Rank.DISENGAGING)],
        )
        self.assertEqual(
            [line.rank for line in entries[0].lines],
            [Rank.SAFETY, Rank.DISENGAGING, Rank.DISENGAGING],
        )
        self.assertContains(
            response, "Answered 2 to the item about self-harm (and 1 more open alert)"
        )
        self.assertContains(response, "No session for 30 days, and nothing booked.")
        self.assertContains(
            response, reverse("care:appointment_create", kwargs={"client_id": drifting.pk})
        )
        self.assertNotContains(response, "Rory")
        new = make_client(self.alice, "Nia", "New")
        make_episode(new, start_date=NOW.date() - timedelta(days=3))
        self.assertNotContains(self.client.get(self.url), "Nia New")
        self.assertNotContains(response, "Other practice")

    def test_unseen_check_ins_are_listed_urgent_first_and_leave_when_seen(self) -> None:
        from continuum.portal.models import CheckIn

        CheckIn.objects.create(client=self.dana, mood=3, idempotency_key="a")
        CheckIn.objects.create(client=self.dana, mood=2, urgent=True, idempotency_key="b")
        finn = CheckIn.objects.create(client=self.finn, mood=5, idempotency_key="c")
        rebuild()  # written straight to the table, not through record_checkin
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "2 new check-ins, 1 marked urgent.")
        entry = response.context["day"].on_my_mind[0]
        self.assertEqual(
            (entry.client_id, entry.client_name, entry.rank),
            (self.dana.pk, "Dana Dawson", Rank.SAFETY),
        )
        self.assertNotContains(response, "Finn")
        mark_all_seen(self.dana, actor=actor_for(self.alice))
        self.assertNotContains(self.client.get(self.url), "new check-in")
        self.assertIsNone(finn.seen_at)

    def test_check_ins_are_aged_by_the_oldest_unread_and_say_when_the_latest_came(self) -> None:
        from continuum.portal.models import CheckIn

        # Dana: one check-in 3 h ago and one 20 min ago, both unread; Gus: one 1 h ago.
        for key, minutes in (("a", 180), ("b", 20)):
            CheckIn.objects.create(
                client=self.dana,
                mood=4,
                idempotency_key=key,
                created_at=NOW - timedelta(minutes=minutes),
            )
        gus = make_client(self.alice, "Gus", "Second")
        CheckIn.objects.create(
            client=gus, mood=4, idempotency_key="g", created_at=NOW - timedelta(hours=1)
        )
        rebuild()  # written straight to the table, not through record_checkin
        self.login(self.alice)

        response = self.client.get(self.url)

        entries = response.context["day"].on_my_mind
        # Within the tier, the one waiting longest first, aged by its oldest unread check-in.
        self.assertEqual(
            [(e.client_name, [line.ago for line in e.lines]) for e in entries],
            [("Dana Dawson", ["3 h ago"]), ("Gus Second", ["1 h ago"])],
        )
        self.assertContains(response, "2 new check-ins. The latest 18 Nov, 08:40.")
        self.assertContains(response, "1 new check-in.")
        self.assertNotContains(response, "1 new check-in. The latest")

    def test_plan_reviews_and_overdue_homework_are_listed(self) -> None:
        from datetime import date

        from continuum.plans.tests.world import make_homework, make_plan

        episode = make_episode(self.dana)
        plan = make_plan(episode)
        plan.review_date = date(2026, 11, 10)
        plan.save()
        make_homework(self.dana, due_date=date(2026, 11, 12))
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "Treatment plan review due since 10 November.")
        self.assertContains(response, "1 homework task past due, not reported.")

    def test_resolving_an_alert_removes_it(self) -> None:
        alert = make_alert(
            self.dana, kind="overdue", severity="low", rank=2, cause="o", message="PHQ-9 overdue"
        )
        self.login(self.alice)
        self.assertContains(self.client.get(self.url), "PHQ-9 overdue")
        resolve(alert, actor=actor_for(self.alice))
        self.assertNotContains(self.client.get(self.url), "PHQ-9 overdue")

    def test_nothing_to_do_says_so(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "No sessions today.")
        self.assertContains(response, "Nothing needs your attention right now.")

    def test_sessions_in_time_order_and_the_weight_form_only_on_ones_own_attended(self) -> None:
        colleague_led = make_appointment(
            self.dana, NOW - timedelta(hours=1), status=AppointmentStatus.ATTENDED
        )
        colleague_led.therapist = self.bob  # Bob covered Alice's session
        colleague_led.save()
        own = make_appointment(
            self.dana, NOW - timedelta(hours=2), status=AppointmentStatus.ATTENDED
        )
        make_appointment(self.dana, NOW + timedelta(hours=3))
        make_appointment(self.dana, NOW + timedelta(days=1, hours=1))
        self.login(self.alice)
        response = self.client.get(self.url)
        today = response.context["day"].today_sessions
        self.assertEqual([s.starts_at for s in today], sorted(s.starts_at for s in today))
        self.assertEqual(len(today), 3)
        self.assertEqual(len(response.context["day"].tomorrow_sessions), 1)
        body = response.content.decode()
        # One weight form, for Alice's own attended session, coming back to the day.
        self.assertEqual(body.count('class="weight-form"'), 1)
        self.assertIn(reverse("wellbeing:session_weight", args=[own.pk]), body)
        self.assertNotIn(reverse("wellbeing:session_weight", args=[colleague_led.pk]), body)
        self.assertIn('<input type="hidden" name="next" value="/day/">', body)
        self.assertEqual(body.count('name="csrfmiddlewaretoken"'), 2)  # log out, weight form
        self.assertNotContains(response, "No sessions today.")
        self.assertContains(response, '<span class="session-time">07:00</span>', html=False)

    def test_each_client_is_one_entry_ordered_by_tier_then_oldest_reason(self) -> None:
        from continuum.portal.models import CheckIn

        # Dana: a check-in (routine) from yesterday and a not-on-track alert of 3 weeks ago.
        CheckIn.objects.create(
            client=self.dana, mood=3, idempotency_key="a", created_at=NOW - timedelta(days=1)
        )
        alert = make_alert(self.dana, kind="not_on_track", severity="medium", rank=1)
        Alert.objects.filter(pk=alert.pk).update(created_at=NOW - timedelta(weeks=3))
        # Gus: a not-on-track alert of 2 hours ago (the same tier, newer: after Dana).
        gus = make_client(self.alice, "Gus", "Second")
        make_alert(gus, kind="not_on_track", severity="medium", rank=1, cause="g")
        Alert.objects.filter(client=gus).update(created_at=NOW - timedelta(hours=2))
        # Hal: an urgent check-in at 04:43 (safety: first, though the newest).
        hal = make_client(self.alice, "Hal", "Third")
        CheckIn.objects.create(
            client=hal,
            mood=1,
            urgent=True,
            idempotency_key="h",
            created_at=NOW.replace(hour=4, minute=43),
        )
        rebuild()  # rows written and backdated straight in the table, not through actions
        self.login(self.alice)

        response = self.client.get(self.url)

        entries = response.context["day"].on_my_mind
        self.assertEqual(
            [(e.client_name, [line.rank for line in e.lines]) for e in entries],
            [
                ("Hal Third", [Rank.SAFETY]),
                ("Dana Dawson", [Rank.NOT_ON_TRACK, Rank.ROUTINE]),
                ("Gus Second", [Rank.NOT_ON_TRACK]),
            ],
        )
        self.assertEqual(
            [[line.ago for line in e.lines] for e in entries],
            [["4 h ago"], ["3 weeks ago", "1 day ago"], ["2 h ago"]],
        )
        self.assertContains(response, "3 weeks ago", count=1)
        self.assertContains(response, "Dana Dawson", count=1)

    def test_drafts_still_unsigned_a_day_after_the_session_are_listed(self) -> None:
        from continuum.testing.base import make_note

        old = make_note(
            make_appointment(
                self.dana, NOW - timedelta(hours=30), status=AppointmentStatus.ATTENDED
            )
        )
        make_note(  # yesterday evening's session: still within its day
            make_appointment(
                self.dana, NOW - timedelta(hours=20), status=AppointmentStatus.ATTENDED
            )
        )
        make_note(
            make_appointment(self.dana, NOW - timedelta(days=3), status=AppointmentStatus.ATTENDED),
            signed=True,
        )
        make_note(
            make_appointment(self.finn, NOW - timedelta(days=3), status=AppointmentStatus.ATTENDED)
        )  # Bob's client
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(
            response, "Progress note of the session on 17 November is still a draft.", count=1
        )
        self.assertContains(response, reverse("care:note_detail", kwargs={"note_id": old.pk}))
        (entry,) = response.context["day"].on_my_mind
        self.assertEqual(
            [(line.rank, line.ago) for line in entry.lines], [(Rank.ROUTINE, "6 h ago")]
        )
        self.assertNotContains(response, "Finn")

    def test_new_marks_what_was_raised_since_the_therapist_last_looked(self) -> None:
        from continuum.continuity.models import DayVisit

        make_alert(self.dana, kind="not_on_track", severity="medium", rank=1, cause="old")
        self.login(self.alice)

        first = self.client.get(self.url)  # the first visit: nothing to be new since

        self.assertNotContains(first, "badge new")
        self.assertEqual(DayVisit.objects.get(user=self.alice).opened_at, NOW)
        later = NOW + timedelta(minutes=10)
        with time_machine.travel(later, tick=False):
            gus = make_client(self.alice, "Gus", "Second")
            make_alert(gus, message="Answered 1 to the item about self-harm", cause="new")

            second = self.client.get(self.url)

            entries = second.context["day"].on_my_mind
            self.assertEqual(
                [(e.client_name, e.new) for e in entries],
                [("Gus Second", True), ("Dana Dawson", False)],
            )
            self.assertContains(second, '<span class="badge new">New</span>', count=1, html=True)
            # Opening the day made this visit the last one: looked at, no longer new.
            self.assertEqual(DayVisit.objects.get(user=self.alice).opened_at, later)
            self.assertNotContains(self.client.get(self.url), "badge new")
        self.assertEqual(DayVisit.objects.count(), 1)

    def _fill(self, n: int) -> None:
        for i in range(n):
            client = make_client(self.alice, f"C{i}", "Load")
            make_episode(client)
            make_appointment(client, NOW.replace(hour=10) + timedelta(minutes=i))
            make_appointment(client, NOW - timedelta(days=40), status=AppointmentStatus.ATTENDED)
            make_alert(client, cause=f"x{i}")

    def test_query_count_is_constant_in_caseload_size(self) -> None:
        self.login(self.alice)
        for n in (2, 30):
            self._fill(n if n == 2 else n - 2)
            self.client.get(self.url)  # the first visit keeps the wellbeing prompt
            # 1. session, 2. user, 3. membership, 4. when the day was last opened,
            # 5. sessions today and tomorrow, 6. every client's reasons with the clients'
            # names, from the attention table (continuity.attention: it replaced one query
            # per contribution, 15 of them, and the names query), 7. the therapist's drafts
            # of clients now with another therapist ("For you", asked live: issue 18,
            # finding 2), 8. the wellbeing prompt, kept for five minutes (it was three
            # queries: settings, past weeks, this week's sessions), 9. this visit kept as
            # the last (an upsert), 10. the read's audit row (issue 18, finding 4).
            with self.assertNumQueries(10):
                self.client.get(self.url)


@time_machine.travel(NOW, tick=False)
class PlanReviewOfAFinishedCourse(BaseTestCase):
    def test_a_finished_courses_plan_is_not_due_for_review(self) -> None:
        from datetime import date

        from continuum.plans.tests.world import make_plan

        episode = make_episode(self.dana, status="ended", end_date=date(2026, 10, 1))
        make_plan(episode, review_date=date(2026, 11, 1))
        self.login(self.alice)
        self.assertNotContains(self.client.get("/day/"), "Treatment plan review due")


def test_the_time_since_a_reason_was_raised_is_said_as_a_clinician_says_it() -> None:
    from continuum.continuity.presenters import ago

    said = {
        timedelta(seconds=20): "just now",
        timedelta(minutes=35): "35 min ago",
        timedelta(hours=2, minutes=50): "2 h ago",
        timedelta(days=1, hours=5): "1 day ago",
        timedelta(days=9): "9 days ago",
        timedelta(weeks=3, days=2): "3 weeks ago",
        timedelta(days=100): "3 months ago",
        timedelta(days=400): "1 year ago",
        timedelta(days=800): "2 years ago",
    }
    assert {gap: ago(NOW - gap, NOW) for gap in said} == said
    assert ago(None, NOW) == ""
    assert ago(NOW + timedelta(minutes=5), NOW) == "just now"  # a clock a little ahead
