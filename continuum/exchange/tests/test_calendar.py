"""Calendar feeds: what a calendar app sees when it subscribes (parsed with icalendar)."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from icalendar import Calendar

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.services.appointments import change_status, update_appointment
from continuum.exchange.feeds import hash_token
from continuum.exchange.models import CalendarFeed
from continuum.exchange.services import issue_feed
from continuum.lib.redact import RedactTokens, redact
from continuum.testing.base import BaseTestCase, make_appointment, make_client, make_portal_user

LONDON = ZoneInfo("Europe/London")
# Clocks in London go forward on 29 March 2026.
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def events(body: bytes) -> list:  # type: ignore[type-arg]
    return list(Calendar.from_ical(body).walk("VEVENT"))


@time_machine.travel(NOW, tick=False)
class TherapistFeedTests(BaseTestCase):
    def setUp(self) -> None:
        self.before = make_appointment(
            self.dana, datetime(2026, 3, 26, 10, 0, tzinfo=LONDON), modality="video"
        )
        self.after = make_appointment(self.dana, datetime(2026, 4, 2, 10, 0, tzinfo=LONDON))
        self.feed, self.token = issue_feed(actor_for(self.alice))

    def fetch(self, token: str | None = None) -> bytes:
        response = self.client.get(reverse("exchange:feed", args=[token or self.token]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/calendar; charset=utf-8")
        return response.content

    def test_times_hold_across_the_daylight_saving_change(self) -> None:
        body = self.fetch()
        cal = Calendar.from_ical(body)
        self.assertEqual([tz["TZID"] for tz in cal.walk("VTIMEZONE")], ["Europe/London"])
        starts = {str(e["UID"]): e.decoded("DTSTART") for e in events(body)}
        first = starts[f"appointment-{self.before.pk}@127.0.0.1"]
        second = starts[f"appointment-{self.after.pk}@127.0.0.1"]
        # Both at 10:00 local; 10:00 UTC before the change, 09:00 UTC after it.
        self.assertEqual((first.hour, second.hour), (10, 10))
        self.assertEqual(first.astimezone(UTC).hour, 10)
        self.assertEqual(second.astimezone(UTC).hour, 9)
        self.assertIn(b"DTSTART;TZID=Europe/London:20260402T100000", body)

    def test_events_say_session_and_modality_and_no_name_by_default(self) -> None:
        body = self.fetch()
        summaries = sorted(str(e["SUMMARY"]) for e in events(body))
        self.assertEqual(summaries, ["Session (in person)", "Session (video)"])
        self.assertNotIn(b"Dana", body)
        self.assertNotIn(b"Dawson", body)

    def test_initials_or_first_name_when_the_therapist_chooses(self) -> None:
        self.login(self.alice)
        self.client.post(reverse("exchange:my_calendar"), {"action": "names", "names": "initials"})
        self.assertIn("D.D. Session (video)", [str(e["SUMMARY"]) for e in events(self.fetch())])
        self.client.post(
            reverse("exchange:my_calendar"), {"action": "names", "names": "first_name"}
        )
        self.assertIn("Dana: Session (video)", [str(e["SUMMARY"]) for e in events(self.fetch())])

    def test_a_moved_session_keeps_its_uid_and_bumps_its_sequence(self) -> None:
        (before,) = [
            e
            for e in events(self.fetch())
            if str(e["UID"]).startswith(f"appointment-{self.before.pk}@")
        ]
        self.assertEqual(before["SEQUENCE"], 0)
        update_appointment(
            self.before,
            actor=actor_for(self.alice),
            starts_at=self.before.starts_at + timedelta(hours=2),
            duration_minutes=50,
            modality="video",
        )
        (moved,) = [e for e in events(self.fetch()) if str(e["UID"]) == str(before["UID"])]
        self.assertEqual(moved["SEQUENCE"], 1)
        self.assertEqual(moved.decoded("DTSTART").hour, 12)

    def test_a_cancelled_session_is_status_cancelled(self) -> None:
        change_status(
            self.after, target="cancelled", actor=actor_for(self.alice), cancelled_by="client"
        )
        by_uid = {str(e["UID"]): e for e in events(self.fetch())}
        cancelled = by_uid[f"appointment-{self.after.pk}@127.0.0.1"]
        self.assertEqual(str(cancelled["STATUS"]), "CANCELLED")
        self.assertEqual(cancelled["SEQUENCE"], 1)

    def test_window_is_thirty_days_back_to_a_year_ahead_and_only_their_own(self) -> None:
        make_appointment(self.dana, NOW - timedelta(days=31))
        make_appointment(self.dana, NOW + timedelta(days=366))
        make_appointment(self.finn, NOW + timedelta(days=3))  # Bob's client
        kept = make_appointment(self.dana, NOW - timedelta(days=29))
        uids = {str(e["UID"]) for e in events(self.fetch())}
        expected = {self.before.pk, self.after.pk, kept.pk}
        self.assertEqual(uids, {f"appointment-{pk}@127.0.0.1" for pk in expected})

    def test_the_token_is_stored_only_as_a_hash_and_reading_is_audited(self) -> None:
        self.assertEqual(CalendarFeed.objects.get().token_hash, hash_token(self.token))
        self.assertFalse(CalendarFeed.objects.filter(token_hash=self.token).exists())
        self.fetch()
        read = AuditEvent.objects.get(action="calendar_feed.read")
        self.assertEqual(read.detail, {"count": 2})
        self.assertEqual(read.actor_id, self.alice.pk)
        self.assertNotIn(self.token, str(AuditEvent.objects.values_list("detail", flat=True)))

    def test_reissue_and_revoke_stop_the_old_address_at_once(self) -> None:
        self.login(self.alice)
        response = self.client.post(reverse("exchange:my_calendar"), {"action": "issue"})
        new = re.search(r"testserver/calendar/([A-Za-z0-9_-]+)\.ics", response.content.decode())
        assert new is not None
        self.assertEqual(
            self.client.get(reverse("exchange:feed", args=[self.token])).status_code, 404
        )
        self.fetch(new.group(1))
        self.client.post(reverse("exchange:my_calendar"), {"action": "revoke"})
        self.assertEqual(
            self.client.get(reverse("exchange:feed", args=[new.group(1)])).status_code, 404
        )
        actions = list(
            AuditEvent.objects.filter(action__startswith="calendar_feed.")
            .exclude(action="calendar_feed.read")
            .order_by("pk")
            .values_list("action", flat=True)
        )
        self.assertEqual(
            actions, ["calendar_feed.create", "calendar_feed.create", "calendar_feed.revoke"]
        )

    def test_a_deactivated_members_feed_stops_at_once(self) -> None:
        membership = self.alice.membership
        membership.is_active = False
        membership.save()
        self.assertEqual(
            self.client.get(reverse("exchange:feed", args=[self.token])).status_code, 404
        )

    def test_unknown_tokens_are_404(self) -> None:
        for token in ("x", "A" * 43, self.token[:-1]):
            self.assertEqual(
                self.client.get(reverse("exchange:feed", args=[token])).status_code, 404
            )

    def test_the_page_explains_the_names_choice(self) -> None:
        self.login(self.alice)
        body = self.client.get(reverse("exchange:my_calendar")).content.decode()
        self.assertIn("Calendar apps are run by other companies", body)
        self.assertNotIn(self.token, body)


@time_machine.travel(NOW, tick=False)
class ClientCalendarTests(BaseTestCase):
    def setUp(self) -> None:
        self.portal = make_portal_user(self.dana)
        self.next = make_appointment(self.dana, datetime(2026, 4, 2, 10, 0, tzinfo=LONDON))
        self.other = make_appointment(
            make_client(self.alice, "Gail", "Other"), datetime(2026, 4, 3, 10, 0, tzinfo=LONDON)
        )

    def test_one_ics_per_upcoming_session(self) -> None:
        self.login(self.portal)
        page = self.client.get(reverse("exchange:portal_calendar")).content.decode()
        url = reverse("exchange:portal_session_ics", args=[self.next.pk])
        self.assertIn(url, page)
        response = self.client.get(url)
        (event,) = events(response.content)
        self.assertEqual(str(event["SUMMARY"]), "Session (in person)")
        self.assertEqual(event.decoded("DTSTART").astimezone(UTC).hour, 9)
        self.assertIn("attachment", response["Content-Disposition"])
        other = reverse("exchange:portal_session_ics", args=[self.other.pk])
        self.assertEqual(self.client.get(other).status_code, 404)
        self.assertTrue(AuditEvent.objects.filter(action="calendar_session.download").exists())

    def test_the_clients_feed_holds_only_their_sessions_and_stops_with_their_login(self) -> None:
        self.login(self.portal)
        response = self.client.post(reverse("exchange:portal_calendar"), {"action": "issue"})
        match = re.search(r"testserver/calendar/([A-Za-z0-9_-]+)\.ics", response.content.decode())
        assert match is not None
        self.client.logout()
        feed_url = reverse("exchange:feed", args=[match.group(1)])
        uids = {str(e["UID"]) for e in events(self.client.get(feed_url).content)}
        self.assertEqual(uids, {f"appointment-{self.next.pk}@127.0.0.1"})
        self.portal.is_active = False
        self.portal.save()
        self.assertEqual(self.client.get(feed_url).status_code, 404)


class RedactionTests(BaseTestCase):
    def test_tokens_are_redacted_from_log_lines(self) -> None:
        line = (
            '"GET /calendar/AbCdEf_123-xyz.ics HTTP/1.1" 200 and /q/eyJh:1s:sig/ then /clients/4/'
        )
        self.assertEqual(
            redact(line),
            '"GET /calendar/[redacted].ics HTTP/1.1" 200 and /q/[redacted]/ then /clients/4/',
        )
        record = logging.LogRecord(
            "x", logging.INFO, "", 0, "%s", ("GET /calendar/secret.ics",), None
        )
        RedactTokens().filter(record)
        self.assertEqual(record.getMessage(), "GET /calendar/[redacted].ics")

    def test_the_feed_token_never_reaches_the_log(self) -> None:
        _, token = issue_feed(actor_for(self.alice))
        logger = logging.getLogger("django.server")
        (handler,) = [
            h for h in logger.handlers if any(isinstance(f, RedactTokens) for f in h.filters)
        ]
        stream = io.StringIO()
        old = handler.setStream(stream)  # type: ignore[attr-defined]
        try:
            logger.info('"GET %s HTTP/1.1" 200', f"/calendar/{token}.ics")
        finally:
            handler.setStream(old)  # type: ignore[attr-defined]
        self.assertIn("/calendar/[redacted].ics", stream.getvalue())
        self.assertNotIn(token, stream.getvalue())
