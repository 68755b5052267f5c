"""The client's portal pages: home, progress, help, questionnaires; who may reach them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine
from django.urls import reverse

from continuum.accounts.models import Practice
from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus, Client
from continuum.measures.models import Administration
from continuum.measures.tests.world import make_score
from continuum.portal.models import PortalSettings
from continuum.portal.tests.world import PortalTestCase, make_checkin, make_pending
from continuum.testing.base import make_appointment
from continuum.tests.test_url_sweep import iter_routes

# Wednesday 8 July 2026, 10:00 UTC (11:00 in London, 06:00 in New York).
NOW = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)

PORTAL_PAGES = ["/portal/", "/portal/check-in/", "/portal/progress/", "/portal/help/"]


def client_routes(known: dict[str, int]) -> list[str]:
    """The URL of every route under /portal/, of any app (the plans app adds some), with the
    given ids where a route takes them (1 otherwise)."""
    urls = []
    for name, params in iter_routes():
        url = reverse(name, kwargs={p: known.get(p, 1) for p in params} or None)
        if url.startswith("/portal/"):
            urls.append(url)
    return urls


def make_homework(client: Client, title: str, due: date, status: str = "assigned") -> Any:
    from continuum.plans.models import Homework

    return Homework.objects.create(
        client=client, title=title, due_date=due, status=status, assigned_by=client.therapist
    )


class PortalAccessTests(PortalTestCase):
    def test_it_requires_login(self) -> None:
        for url in PORTAL_PAGES:
            response = self.client.get(url)
            self.assertRedirects(
                response, f"/accounts/login/?next={url}", fetch_redirect_response=False
            )

    def test_staff_get_404_on_every_portal_route(self) -> None:
        checkin = make_checkin(self.dana)
        pending = make_pending(self.episode)
        urls = client_routes({"checkin_id": checkin.pk, "administration_id": pending.pk})
        self.assertIn("/portal/", urls)
        self.assertIn(f"/portal/check-ins/{checkin.pk}/", urls)
        for staff in (self.alice, self.bob, self.olivia, self.charlie):
            self.login(staff)
            for url in urls:
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url)
                    self.assertEqual(response.status_code, 404, f"{staff} {method} {url}")

    def test_client_users_get_404_on_staff_pages(self) -> None:
        self.login(self.dana_user)
        for url in (
            "/clients/",
            f"/clients/{self.dana.pk}/",
            f"/clients/{self.dana.pk}/portal/",
            f"/clients/{self.dana.pk}/checkins/",
            "/schedule/",
            "/day/",
            "/practice/members/",
            "/alerts/",
        ):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_home_sends_a_client_to_the_portal(self) -> None:
        self.login(self.dana_user)
        self.assertRedirects(self.client.get("/"), "/portal/")

    def test_a_login_no_longer_linked_to_a_client_reaches_nothing(self) -> None:
        self.dana.user = None
        self.dana.save()
        self.login(self.dana_user)
        self.assertEqual(self.client.get("/portal/").status_code, 404)
        self.assertContains(self.client.get("/"), "Nothing here yet")

    def test_every_portal_page_has_the_help_link(self) -> None:
        """Every page under /portal/ that Dana can open, of any app, shows "Need help now?"."""
        self.login(self.dana_user)
        checkin = make_checkin(self.dana)
        pending = make_pending(self.episode)
        pages = 0
        for url in client_routes({"checkin_id": checkin.pk, "administration_id": pending.pk}):
            response = self.client.get(url)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue  # POST-only routes, and ids of other apps' objects not made here
            pages += 1
            self.assertContains(
                response, '<aside class="help-now" aria-label="Help">', msg_prefix=url
            )
            self.assertContains(response, 'href="/portal/help/"', msg_prefix=url)
        self.assertGreaterEqual(pages, 6)


@time_machine.travel(NOW, tick=False)
class HomeTests(PortalTestCase):
    def test_it_shows_the_next_appointment_in_the_clients_time_zone(self) -> None:
        make_appointment(self.dana, NOW - timedelta(days=7), status=AppointmentStatus.ATTENDED)
        make_appointment(self.dana, NOW + timedelta(days=1), status=AppointmentStatus.CANCELLED)
        # Friday 10 July 2026, 13:30 UTC is 14:30 in London (BST).
        make_appointment(self.dana, datetime(2026, 7, 10, 13, 30, tzinfo=UTC))
        make_appointment(self.dana, datetime(2026, 7, 17, 13, 30, tzinfo=UTC))
        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertContains(response, "Hello, Dana")
        self.assertContains(response, "Friday 10 July, 14:30")
        self.assertContains(response, "In person, 50 minutes, with Alice Adams.")
        self.assertNotContains(response, "17 July")

    def test_the_clients_record_time_zone_wins_over_the_logins(self) -> None:
        self.dana.time_zone = "America/New_York"
        self.dana.save()
        make_appointment(self.dana, datetime(2026, 7, 10, 13, 30, tzinfo=UTC))
        self.login(self.dana_user)
        self.assertContains(self.client.get("/portal/"), "Friday 10 July, 09:30")

    def test_it_says_when_nothing_is_booked_or_due(self) -> None:
        make_checkin(self.dana, when=NOW - timedelta(days=2))
        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertContains(response, "No session is booked yet.")
        self.assertContains(response, "Nothing is due right now.")
        self.assertContains(response, "Your next check-in is due on Monday 13 July.")
        self.assertContains(
            response, 'You can <a href="/portal/check-in/">check in</a> at any time.'
        )

    def test_it_lists_what_is_due(self) -> None:
        make_checkin(self.dana, when=NOW - timedelta(days=8))
        due = make_pending(self.episode, "phq9")
        make_pending(self.episode, "gad7", due=NOW + timedelta(days=3))  # not due yet
        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertContains(response, '<a class="button" href="/portal/check-in/">Check in</a>')
        self.assertContains(
            response, f'href="/portal/questionnaires/{due.pk}/">Answer the PHQ-9</a>'
        )
        self.assertNotContains(response, "GAD-7")
        self.assertNotContains(response, "Nothing is due right now.")

    def test_no_cadence_means_no_check_in_is_asked_for(self) -> None:
        PortalSettings.objects.filter(client=self.dana).update(checkin_cadence="none")
        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertContains(response, "Nothing is due right now.")
        self.assertNotContains(response, "check in</a> at any time")

    def test_it_shows_only_the_clients_own_data(self) -> None:
        make_appointment(self.eli, datetime(2026, 7, 9, 15, 0, tzinfo=UTC))
        make_pending(
            self.eli.episodes.create(
                therapist=self.charlie, referral_reason="x", start_date=NOW.date(), status="active"
            )
        )
        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertContains(response, "No session is booked yet.")
        self.assertNotContains(response, "Answer the")
        self.assertNotContains(response, "Charlie")

    def test_it_lists_homework_still_to_report(self) -> None:
        make_checkin(self.dana, when=NOW - timedelta(days=1))
        make_homework(self.dana, "Thought record", NOW.date() + timedelta(days=2))
        make_homework(self.dana, "Walk daily", NOW.date(), status="done")
        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertContains(
            response,
            '<a href="/portal/homework/">Thought record</a> '
            '<span class="muted">Homework, due Friday 10 July.</span>',
        )
        self.assertNotContains(response, "Walk daily")
        self.assertNotContains(response, "Nothing is due right now.")

    def _history(self, n: int) -> None:
        for i in range(n):
            when = NOW - timedelta(days=3 + i)
            make_homework(self.dana, f"Task {i}", when.date())
            make_appointment(self.dana, when, status=AppointmentStatus.ATTENDED)
            make_checkin(self.dana, when=when, mood=i % 11)
            make_score(self.episode, "phq9", 10, when, band="moderate")
            make_pending(self.episode, "gad7", due=NOW + timedelta(days=i + 1))
        make_appointment(self.dana, NOW + timedelta(days=2))
        make_pending(self.episode, "phq9")

    def test_home_query_count_does_not_grow_with_history(self) -> None:
        self.login(self.dana_user)
        for n in (1, 25):
            self._history(n)
            # 1 session, 2 user, 3 the client with its practice, therapist and portal settings,
            # 4 the next appointment, 5 the latest check-in, 6 the questionnaires due,
            # 7 the homework to report, 8 the membership context processor (none for a client),
            # 9 the follow-up phase (the menu narrows to documents after follow-up ends),
            # 10 the therapist's new messages, 11 whether "Ending well" has anything (issue 14).
            with self.assertNumQueries(11):
                response = self.client.get("/portal/")
            self.assertContains(response, "Answer the PHQ-9")


@time_machine.travel(NOW, tick=False)
class ProgressTests(PortalTestCase):
    def setUp(self) -> None:
        make_score(self.episode, "phq9", 18, NOW - timedelta(days=20), band="moderately_severe")
        make_score(self.episode, "phq9", 11, NOW - timedelta(days=6), band="moderate")
        make_score(self.episode, "gad7", 12, NOW - timedelta(days=6), band="moderate")

    def test_nothing_is_shown_until_the_therapist_shares(self) -> None:
        self.login(self.dana_user)
        response = self.client.get("/portal/progress/")
        self.assertContains(response, "Your therapist has not shared any progress here yet.")
        self.assertNotContains(response, "PHQ-9")

    def test_it_shows_only_the_shared_measures_with_bands_in_words(self) -> None:
        PortalSettings.objects.filter(client=self.dana).update(shared_measures=["phq9"])
        self.login(self.dana_user)
        response = self.client.get("/portal/progress/")
        self.assertContains(response, '<h2 id="m-1">PHQ-9</h2>', html=False)
        self.assertContains(response, "<td>18 Jun 2026</td><td>18</td><td>Moderately severe</td>")
        self.assertContains(response, "<td>2 Jul 2026</td><td>11</td><td>Moderate</td>")
        self.assertContains(response, 'src="data:image/svg+xml;base64,')
        self.assertContains(response, 'alt="Chart of your PHQ-9 scores;')
        self.assertNotContains(response, "GAD-7")
        # No therapist annotations.
        self.assertNotContains(response, "reliable")
        self.assertNotContains(response, "caseness")

    def test_it_leads_with_the_latest_score_and_folds_the_history(self) -> None:
        """Summaries first (issue 14): the latest score and what it means, the change since
        the first score in plain words, the chart; every score one click away."""
        PortalSettings.objects.filter(client=self.dana).update(shared_measures=["phq9"])
        self.login(self.dana_user)
        body = self.client.get("/portal/progress/").content.decode()
        summary, history = body.split('<details class="history">')
        self.assertIn(
            '<strong class="score">11</strong> <span class="band">Moderate</span>', summary
        )
        self.assertIn("your latest score, 2 Jul 2026", summary)
        self.assertIn("That is 7 lower than your first score here, 18 on 18 Jun 2026.", summary)
        self.assertIn("<summary>All your scores (2)</summary>", history)
        # Newest first in the folded table.
        self.assertLess(history.index("2 Jul 2026"), history.index("18 Jun 2026"))


class HelpPageTests(PortalTestCase):
    def test_it_shows_the_default_crisis_resources_and_contact_expectations(self) -> None:
        self.login(self.dana_user)
        response = self.client.get("/portal/help/")
        self.assertContains(response, "<h1>Need help now?</h1>", html=True)
        self.assertContains(response, "116 123")
        self.assertContains(response, "Monday to Friday, 9:00 to 17:00")

    def test_it_shows_the_practices_own_resources(self) -> None:
        Practice.objects.filter(pk=self.riverside.pk).update(
            crisis_resources="Riverside crisis line: 0800 000 000\nCome to the front desk"
        )
        self.login(self.dana_user)
        response = self.client.get("/portal/help/")
        self.assertContains(response, "<li>Riverside crisis line: 0800 000 000</li>", html=True)
        self.assertNotContains(response, "116 123")


class QuestionnaireTests(PortalTestCase):
    def test_it_opens_the_one_time_questionnaire_page(self) -> None:
        pending = make_pending(self.episode, "phq9")
        self.login(self.dana_user)
        response = self.client.get(f"/portal/questionnaires/{pending.pk}/")
        self.assertContains(response, "<h1>PHQ-9</h1>", html=True)
        response = self.client.post(f"/portal/questionnaires/{pending.pk}/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/q/"))
        event = AuditEvent.objects.get(action="measures.link_issue")
        self.assertEqual(event.actor, self.dana_user)
        page = self.client.get(response["Location"])
        self.assertContains(page, "Little interest or pleasure in doing things")

        # A second start reuses the working link rather than voiding it.
        again = self.client.post(f"/portal/questionnaires/{pending.pk}/")
        self.assertEqual(again["Location"], response["Location"])
        self.assertEqual(AuditEvent.objects.filter(action="measures.link_issue").count(), 1)

    def test_other_clients_questionnaires_are_404(self) -> None:
        pending = make_pending(self.episode, "phq9")
        done = make_score(self.episode, "gad7", 5, NOW)
        for user in (self.eli_user, self.finn_user):
            self.login(user)
            for method in ("get", "post"):
                url = f"/portal/questionnaires/{pending.pk}/"
                self.assertEqual(getattr(self.client, method)(url).status_code, 404)
        self.login(self.dana_user)
        self.assertEqual(self.client.get(f"/portal/questionnaires/{done.pk}/").status_code, 404)
        pending.refresh_from_db()
        self.assertEqual(pending.token_nonce, "")
        self.assertEqual(Administration.objects.filter(status="pending").count(), 1)


class HomeNewsTests(PortalTestCase):
    """The home says when the therapist has written; "Ending well" appears once it has
    something for the client (issue 14)."""

    def test_home_says_the_therapist_has_written_until_the_client_reads_it(self) -> None:
        from continuum.boundaries.models import Message
        from continuum.boundaries.tests.world import make_message

        self.login(self.dana_user)
        response = self.client.get("/portal/")
        self.assertNotContains(response, "has written to you")
        make_message(self.dana, from_client=True)  # her own message is not news to her
        self.assertNotContains(self.client.get("/portal/"), "has written to you")
        mine = make_message(self.dana, from_client=False, body="See you on Thursday.")
        make_message(self.dana, from_client=False, body="One more thing.")
        response = self.client.get("/portal/")
        self.assertContains(response, f"{self.alice.display_name} has written to you")
        self.assertContains(response, "2 new messages")
        self.assertContains(response, "Read the messages")

        inbox = self.client.get("/portal/messages/")
        self.assertContains(inbox, ">New</span>", count=2)
        mine.refresh_from_db()
        self.assertIsNotNone(mine.read_at)
        self.assertEqual(mine.read_by, self.dana_user)
        # The therapist's side is unchanged: her own message is still unread for them.
        self.assertEqual(
            Message.objects.filter(direction="to_therapist", read_at__isnull=True).count(), 1
        )
        self.assertNotContains(self.client.get("/portal/"), "has written to you")
        self.assertNotContains(self.client.get("/portal/messages/"), ">New</span>")

    def test_one_message_opened_by_itself(self) -> None:
        from continuum.boundaries.tests.world import make_message

        self.login(self.dana_user)
        note = make_message(self.dana, from_client=False, body="See you on Thursday.")
        self.assertContains(self.client.get("/portal/"), "A new message")
        self.client.get(f"/portal/messages/{note.pk}/")
        self.assertNotContains(self.client.get("/portal/"), "has written to you")

    def test_ending_well_is_shown_only_when_it_has_something(self) -> None:
        self.login(self.dana_user)
        tab = 'href="/portal/ending/"'
        for path in PORTAL_PAGES:
            self.assertNotContains(self.client.get(path), tab)
        # Opened by its address it still works, and names itself in the menu.
        self.assertContains(self.client.get("/portal/ending/"), tab)
        self.episode.status = "ending"
        self.episode.save(update_fields=["status"])
        for path in PORTAL_PAGES:
            self.assertContains(self.client.get(path), tab)
