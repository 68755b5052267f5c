"""Check-ins: the client writes them in the portal; the therapist reads them and marks them
seen; the brief and the day read them through checkins_since / unseen_checkins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.lib.keys import new_idempotency_key
from continuum.portal.models import CheckIn, PortalSettings
from continuum.portal.queries import checkins_since, unseen_checkins
from continuum.portal.services import PortalError, record_checkin
from continuum.portal.tests.world import PortalTestCase, checkin_data, make_checkin
from continuum.testing.base import make_client

CHECKIN_URL = "/portal/check-in/"
# Wednesday 8 July 2026, 18:30 UTC: 19:30 in London, after working hours.
EVENING = datetime(2026, 7, 8, 18, 30, tzinfo=UTC)


class CheckinFormTests(PortalTestCase):
    def test_it_shows_the_form_with_a_fresh_key(self) -> None:
        self.login(self.dana_user)
        response = self.client.get(CHECKIN_URL)
        self.assertContains(response, "<legend>How has your mood been?", html=False)
        self.assertContains(response, "Anything you want me to know before next time")
        self.assertContains(response, "This is urgent")
        key = response.context["form"].initial["idempotency_key"]
        self.assertContains(response, f'name="idempotency_key" value="{key}"')
        self.assertNotEqual(
            key, self.client.get(CHECKIN_URL).context["form"].initial["idempotency_key"]
        )

    def test_a_check_in_is_stored_and_confirmed(self) -> None:
        self.login(self.dana_user)
        response = self.client.post(CHECKIN_URL, checkin_data(), follow=True)
        checkin = CheckIn.objects.get()
        self.assertRedirects(response, f"/portal/check-ins/{checkin.pk}/")
        self.assertContains(response, "Thank you, your check-in was sent")
        self.assertContains(response, "Your therapist will read it before your next session.")
        self.assertContains(response, "<dd>4 out of 10</dd>", html=True)
        self.assertNotContains(response, "If you need help now")
        self.assertEqual(checkin.client, self.dana)
        self.assertEqual(checkin.episode, self.episode)
        self.assertEqual((checkin.mood, checkin.sleep, checkin.energy), (4, 6, None))
        self.assertEqual(checkin.homework_status, "partly")
        self.assertEqual(checkin.note, "Slept badly after Tuesday.")
        self.assertFalse(checkin.urgent)
        self.assertIsNone(checkin.seen_at)

        event = AuditEvent.objects.get(action="checkin.create")
        self.assertEqual(event.actor, self.dana_user)
        self.assertEqual(event.practice_id, self.riverside.pk)
        self.assertEqual(
            # The mood is a clinical value: it is not in the audit detail (issue 14).
            event.detail,
            {"client_id": self.dana.pk, "episode_id": self.episode.pk},
        )
        self.assertNotIn("Slept", str(event.detail))

    def test_bad_input_is_refused_and_nothing_is_stored(self) -> None:
        self.login(self.dana_user)
        cases = [
            ({"mood": "11"}, "mood", "Choose a number from 0 to 10."),
            ({"mood": "-1"}, "mood", "Choose a number from 0 to 10."),
            ({"mood": ""}, "mood", "Choose a number from 0 to 10."),
            ({"mood": "seven"}, "mood", "Choose a number from 0 to 10."),
            ({"sleep": "12"}, "sleep", "Choose a number from 0 to 10."),
            ({"homework_status": "maybe"}, "homework_status", "Choose one of the answers."),
            (
                {"note": "x" * 2001},
                "note",
                "Please keep this to 2,000 characters or fewer (it has 2001).",
            ),
        ]
        for overrides, field, error in cases:
            response = self.client.post(CHECKIN_URL, checkin_data(**overrides))
            self.assertEqual(response.status_code, 200)
            self.assertIn(error, response.context["form"].errors[field], overrides)
            self.assertContains(response, f'id="id_{field}_error"')
        self.assertEqual(CheckIn.objects.count(), 0)
        self.assertFalse(AuditEvent.objects.filter(action="checkin.create").exists())

    def test_a_note_of_exactly_2000_characters_is_accepted(self) -> None:
        self.login(self.dana_user)
        self.client.post(CHECKIN_URL, checkin_data(note="y" * 2000))
        self.assertEqual(len(CheckIn.objects.get().note), 2000)

    def test_a_missing_or_forged_key_asks_to_send_again_with_a_new_key(self) -> None:
        self.login(self.dana_user)
        for key in ("", "short", "<script>alert(1)</script>" + "a" * 20):
            data = checkin_data()
            data["idempotency_key"] = key
            response = self.client.post(CHECKIN_URL, data)
            self.assertContains(response, "This form has expired.")
            new_key = response.context["form"].data["idempotency_key"]
            self.assertRegex(new_key, r"^[A-Za-z0-9_-]{32}$")
            self.assertContains(response, f'value="{new_key}"')
        self.assertEqual(CheckIn.objects.count(), 0)

    def test_the_same_form_sent_twice_makes_one_check_in(self) -> None:
        self.login(self.dana_user)
        data = checkin_data()
        first = self.client.post(CHECKIN_URL, data)
        second = self.client.post(CHECKIN_URL, data)
        self.assertEqual(CheckIn.objects.count(), 1)
        self.assertEqual(first["Location"], second["Location"])
        self.assertEqual(AuditEvent.objects.filter(action="checkin.create").count(), 1)
        self.client.post(CHECKIN_URL, checkin_data())
        self.assertEqual(CheckIn.objects.count(), 2)

    def test_keys_are_per_client(self) -> None:
        key = new_idempotency_key()
        record_checkin(self.eli, {"mood": 3, "idempotency_key": key}, actor=actor_for(None))
        self.login(self.dana_user)
        self.client.post(CHECKIN_URL, checkin_data(key))
        self.assertEqual(CheckIn.objects.filter(client=self.dana).count(), 1)
        self.assertEqual(CheckIn.objects.filter(client=self.eli).get().mood, 3)

    def test_no_cadence_means_no_check_in_form(self) -> None:
        PortalSettings.objects.filter(client=self.dana).update(checkin_cadence="none")
        self.login(self.dana_user)
        for response in (
            self.client.get(CHECKIN_URL),
            self.client.post(CHECKIN_URL, checkin_data()),
        ):
            self.assertContains(response, "Your therapist has not set up check-ins for you.")
            self.assertNotContains(response, '<form method="post" action="/portal/check-in/"')
        self.assertEqual(CheckIn.objects.count(), 0)

    def test_the_note_is_encrypted_in_the_database(self) -> None:
        self.login(self.dana_user)
        self.client.post(CHECKIN_URL, checkin_data(note="CANARY-checkin-7f3a"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT note FROM portal_checkin")
            (raw,) = cursor.fetchone()
        self.assertNotIn("CANARY", raw)
        self.assertTrue(raw.startswith("gAAAA"), "a Fernet token")
        self.assertEqual(CheckIn.objects.get().note, "CANARY-checkin-7f3a")

    def test_other_clients_check_ins_are_404(self) -> None:
        checkin = make_checkin(self.dana, note="mine")
        for user in (self.eli_user, self.finn_user):
            self.login(user)
            for method in ("get", "post"):
                url = f"/portal/check-ins/{checkin.pk}/"
                self.assertEqual(getattr(self.client, method)(url).status_code, 404)

    def test_the_service_refuses_bad_data_with_a_clear_error(self) -> None:
        for data, message in (
            ({"mood": 11}, "The mood score must be from 0 to 10."),
            ({"mood": None}, "The mood score is required."),
            ({"mood": 5, "energy": True}, "The energy score must be a whole number."),
            ({"mood": 5, "note": "z" * 2001}, "The note is too long"),
            ({"mood": 5, "homework_status": "?"}, "Choose one of the homework answers."),
        ):
            with self.assertRaisesMessage(PortalError, message):
                record_checkin(
                    self.dana,
                    {"idempotency_key": new_idempotency_key(), **data},
                    actor=actor_for(self.dana_user),
                )
        with self.assertRaisesMessage(PortalError, "This form has expired"):
            record_checkin(
                self.dana, {"mood": 5, "idempotency_key": "x"}, actor=actor_for(self.dana_user)
            )
        self.assertEqual(CheckIn.objects.count(), 0)


class UrgentCheckinTests(PortalTestCase):
    @time_machine.travel(EVENING, tick=False)
    def test_an_urgent_check_in_shows_crisis_resources_and_when_it_will_be_read(self) -> None:
        self.login(self.dana_user)
        response = self.client.post(
            CHECKIN_URL, checkin_data(note="I can't cope tonight", urgent="on"), follow=True
        )
        self.assertTrue(CheckIn.objects.get().urgent)
        self.assertContains(response, "You marked this as urgent")
        # After hours on Wednesday: Thursday's close, 17:00 in London.
        self.assertContains(
            response,
            "Your therapist reads check-ins during working hours; they will see this by "
            '<time datetime="2026-07-09T17:00:00+01:00">Thursday 9 July, 17:00</time>.',
        )
        self.assertContains(response, "If you need help now")
        self.assertContains(response, "116 123")

    @time_machine.travel(datetime(2026, 7, 10, 20, 0, tzinfo=UTC), tick=False)
    def test_friday_evening_is_read_on_monday_in_the_clients_own_zone(self) -> None:
        self.dana.time_zone = "America/New_York"
        self.dana.save()
        self.login(self.dana_user)
        response = self.client.post(CHECKIN_URL, checkin_data(urgent="on"), follow=True)
        # Monday 17:00 in London is 12:00 in New York.
        self.assertContains(response, "Monday 13 July, 12:00")


class TherapistCheckinsTests(PortalTestCase):
    def url(self) -> str:
        return f"/clients/{self.dana.pk}/checkins/"

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(
            response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
        )

    def test_it_rejects_other_therapists_the_owner_and_clients(self) -> None:
        checkin = make_checkin(self.dana)
        for outsider in (self.bob, self.olivia, self.charlie, self.dana_user, self.eli_user):
            self.login(outsider)
            for url in (
                self.url(),
                f"/clients/{self.dana.pk}/checkins/seen/",
                f"/checkins/{checkin.pk}/seen/",
            ):
                self.assertEqual(self.client.get(url).status_code, 404, (outsider, url))
                self.assertEqual(self.client.post(url).status_code, 404, (outsider, url))
        checkin.refresh_from_db()
        self.assertIsNone(checkin.seen_at)

    def test_it_shows_the_check_ins_with_notes_urgency_and_trend(self) -> None:
        now = datetime(2026, 7, 8, 9, 0, tzinfo=UTC)
        make_checkin(self.dana, when=now - timedelta(days=7), mood=3, note="Rough week")
        make_checkin(
            self.dana,
            when=now - timedelta(days=1),
            mood=6,
            note="Call me <b>please</b>",
            urgent=True,
        )
        make_checkin(self.eli, when=now, mood=9, note="Eli's words")
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Rough week")
        self.assertContains(response, "Call me &lt;b&gt;please&lt;/b&gt;")
        self.assertContains(response, '<span class="badge badge-urgent">Urgent</span>')
        self.assertContains(response, "oldest first: 3, 6 (0 lowest, 10 best)")
        self.assertContains(response, 'class="sparkline" src="data:image/svg+xml;base64,')
        self.assertContains(response, "Mark all 2 seen")
        self.assertNotContains(response, "Eli")
        event = AuditEvent.objects.get(action="checkin.list")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.detail, {"page": 1, "shown": 2})

    def test_mark_one_and_all_seen(self) -> None:
        first = make_checkin(self.dana, mood=2)
        second = make_checkin(self.dana, mood=3)
        third = make_checkin(self.dana, mood=4)
        self.login(self.alice)
        response = self.client.post(f"/checkins/{first.pk}/seen/", follow=True)
        self.assertContains(response, "The check-in was marked seen.")
        first.refresh_from_db()
        self.assertEqual(first.seen_by, self.alice)
        self.assertEqual(AuditEvent.objects.filter(action="checkin.seen").count(), 1)
        # Again: nothing changes, no second audit row.
        self.client.post(f"/checkins/{first.pk}/seen/")
        self.assertEqual(AuditEvent.objects.filter(action="checkin.seen").count(), 1)

        response = self.client.post(f"/clients/{self.dana.pk}/checkins/seen/", follow=True)
        self.assertContains(response, "2 check-ins marked seen.")
        self.assertEqual(CheckIn.objects.filter(seen_at__isnull=True).count(), 0)
        event = AuditEvent.objects.get(action="checkin.seen_all")
        self.assertEqual(event.detail, {"checkin_ids": sorted([second.pk, third.pk])})
        response = self.client.post(f"/clients/{self.dana.pk}/checkins/seen/", follow=True)
        self.assertContains(response, "There were no new check-ins.")
        self.assertEqual(self.client.get(f"/checkins/{first.pk}/seen/").status_code, 405)

    def test_the_page_query_count_does_not_grow_with_history(self) -> None:
        self.login(self.alice)
        for n in (2, 80):
            for i in range(n):
                make_checkin(self.dana, mood=i % 11, note=f"note {i}", urgent=i % 5 == 0)
            # 1 session, 2 user, 3 membership, 4 the client, 5 count, 6 the page of check-ins,
            # 7 the recent moods, 8 the unseen count, 9 the audit row.
            with self.assertNumQueries(9):
                response = self.client.get(self.url())
            self.assertContains(response, "Mark all")


class CheckinQueriesTests(PortalTestCase):
    def test_checkins_since_in_one_query(self) -> None:
        since = datetime(2026, 7, 1, tzinfo=UTC)
        make_checkin(self.dana, when=since - timedelta(days=1), mood=1)
        a = make_checkin(self.dana, when=since + timedelta(days=1), mood=3)
        b = make_checkin(self.dana, when=since + timedelta(days=3), mood=7, urgent=True)
        make_checkin(self.eli, when=since + timedelta(days=2), mood=5)
        with self.assertNumQueries(1):
            digest = checkins_since(self.dana, since)
        self.assertEqual(digest.checkins, [a, b])
        self.assertEqual(digest.urgent, [b])
        self.assertEqual(digest.moods, [3, 7])
        self.assertEqual(digest.mood_change, 4)
        self.assertEqual(digest.unseen, 2)
        self.assertTrue(digest.sparkline and digest.sparkline.startswith("data:image/svg+xml"))
        self.assertEqual(len(checkins_since(self.dana, None).checkins), 3)
        empty = checkins_since(self.finn, since)
        self.assertFalse(empty.has_any)
        self.assertIsNone(empty.mood_change)
        self.assertIsNone(empty.sparkline)

    def test_unseen_checkins_urgent_first_for_the_therapists_clients_only(self) -> None:
        gail = make_client(self.alice, "Gail", "Green")
        base = datetime(2026, 7, 1, tzinfo=UTC)
        old = make_checkin(self.dana, when=base, mood=5)
        new = make_checkin(gail, when=base + timedelta(days=2), mood=6)
        urgent = make_checkin(self.dana, when=base + timedelta(days=1), mood=2, urgent=True)
        make_checkin(self.dana, when=base + timedelta(days=3), seen_at=base + timedelta(days=4))
        make_checkin(self.finn, when=base, mood=4)  # Bob's client
        with self.assertNumQueries(1):
            rows = unseen_checkins(self.alice)
            names = [r.client.first_name for r in rows]
        self.assertEqual(rows, [urgent, new, old])
        self.assertEqual(names, ["Dana", "Gail", "Dana"])
        self.assertEqual(unseen_checkins(self.olivia), [])
        self.assertEqual([r.client for r in unseen_checkins(self.bob)], [self.finn])
        self.assertEqual(unseen_checkins(self.dana_user), [])
