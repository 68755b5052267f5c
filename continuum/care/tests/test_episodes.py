from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import time_machine

from continuum.audit.models import AuditEvent
from continuum.care.episodes import LABELS, TRANSITIONS, EpisodeStatus
from continuum.care.models import Episode
from continuum.testing.base import BaseTestCase, make_appointment, make_episode

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def episode_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "referral_reason": "Low mood since the move",
        "start_date": "2026-06-15",
        "end_date": "",
    }
    data.update(overrides)
    return data


BAD_EPISODE_INPUT: list[tuple[dict[str, str], str, str]] = [
    # (changes, field with the error, message)
    ({"start_date": "2026-02-30"}, "start_date", "Enter a valid date."),
    ({"end_date": "2026-13-01"}, "end_date", "Enter a valid date."),
    (
        {"start_date": "2026-06-15", "end_date": "2026-06-14"},
        "end_date",
        "The end date cannot be before the start date",
    ),
    ({"start_date": ""}, "start_date", "This field is required."),
    ({"start_date": "1899-01-01"}, "start_date", "The date cannot be before 1 January 1900."),
    ({"referral_reason": "  "}, "referral_reason", "This field is required."),
    (
        {"referral_reason": "x" * 2001},
        "referral_reason",
        "Ensure this value has at most 2000 characters",
    ),
]

OUTSIDERS = ("bob", "charlie", "olivia")


class EpisodeCreateTests(BaseTestCase):
    def url(self, client_id: int | None = None) -> str:
        return f"/clients/{client_id or self.dana.pk}/episodes/new/"

    def test_it_requires_login(self) -> None:
        for response in (self.client.get(self.url()), self.client.post(self.url(), episode_data())):
            self.assertRedirects(
                response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
            )
        self.assertFalse(Episode.objects.exists())

    def test_it_rejects_other_therapists(self) -> None:
        for name in OUTSIDERS:
            with self.subTest(user=name):
                self.login(getattr(self, name))
                self.assertEqual(self.client.get(self.url()).status_code, 404)
                self.assertEqual(self.client.post(self.url(), episode_data()).status_code, 404)
        self.assertFalse(Episode.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_missing_client_is_a_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(999999)).status_code, 404)
        self.assertEqual(self.client.post(self.url(999999), episode_data()).status_code, 404)

    @time_machine.travel(NOW, tick=False)
    def test_it_shows_the_form_starting_today(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "New episode of care")
        self.assertContains(response, '<label for="id_referral_reason">Referral reason')
        self.assertContains(response, 'name="start_date" value="2026-07-01"')
        self.assertContains(response, "Dana Dawson")

    def test_it_opens_a_referral_episode(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), episode_data())
        episode = Episode.objects.get()
        self.assertRedirects(response, f"/episodes/{episode.pk}/", fetch_redirect_response=False)
        self.assertEqual(episode.client, self.dana)
        self.assertEqual(episode.therapist, self.alice)
        self.assertEqual(episode.status, "referral")
        self.assertEqual(episode.start_date, date(2026, 6, 15))
        self.assertIsNone(episode.end_date)
        self.assertEqual(episode.referral_reason, "Low mood since the move")
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "episode.create")
        self.assertEqual(event.object_id, str(episode.pk))
        self.assertEqual(event.detail, {"client_id": self.dana.pk, "status": "referral"})

    def test_bad_input_is_explained_and_nothing_is_written(self) -> None:
        self.login(self.alice)
        for changes, field, message in BAD_EPISODE_INPUT:
            with self.subTest(**changes):
                response = self.client.post(self.url(), episode_data(**changes))
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertContains(response, f'id="id_{field}_error"')
        self.assertFalse(Episode.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_only_one_open_episode_at_a_time(self) -> None:
        self.login(self.alice)
        existing = make_episode(self.dana)
        for status in ("referral", "active", "ending"):
            with self.subTest(status=status):
                Episode.objects.filter(pk=existing.pk).update(status=status)
                response = self.client.get(self.url())
                self.assertContains(response, "This client already has an open episode")
                response = self.client.post(self.url(), episode_data())
                self.assertContains(
                    response,
                    f"This client already has an open episode ({LABELS[EpisodeStatus(status)]}, "
                    "from 5 Jan 2026). End or close it before opening another.",
                )
                self.assertEqual(list(Episode.objects.all()), [existing])
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_new_episode_may_follow_finished_ones(self) -> None:
        for status in ("ended", "follow_up", "closed"):
            make_episode(self.dana, status=status, start_date=date(2024, 1, 1))
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertNotContains(response, "already has an open episode")
        response = self.client.post(self.url(), episode_data())
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Episode.objects.filter(status="referral").count(), 1)


class EpisodeDetailTests(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(
            cls.dana, status="active", referral_reason="<b>Worry</b> & sleep"
        )

    def url(self, episode_id: int | None = None) -> str:
        return f"/episodes/{episode_id or self.episode.pk}/"

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(
            response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
        )

    def test_it_rejects_other_therapists(self) -> None:
        for name in OUTSIDERS:
            with self.subTest(user=name):
                self.login(getattr(self, name))
                response = self.client.get(self.url())
                self.assertEqual(response.status_code, 404)
                self.assertEqual(self.client.post(self.url()).status_code, 404)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_only_answers_reads(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.post(self.url()).status_code, 405)
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_missing_episode_is_a_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(999999)).status_code, 404)

    def test_it_shows_the_episode_and_its_appointments(self) -> None:
        mine = make_appointment(
            self.dana, datetime(2026, 2, 3, 10, 0, tzinfo=UTC), episode=self.episode
        )
        other = make_appointment(self.dana, datetime(2026, 2, 4, 10, 0, tzinfo=UTC))
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, '<span class="badge badge-active">Active</span>')
        self.assertContains(response, "&lt;b&gt;Worry&lt;/b&gt; &amp; sleep")
        self.assertContains(response, "5 Jan 2026")
        self.assertContains(response, f'href="/appointments/{mine.pk}/"')
        self.assertContains(response, "Tue 3 Feb 2026, 10:00")
        self.assertNotContains(response, f'href="/appointments/{other.pk}/"')
        self.assertContains(response, f'href="/episodes/{self.episode.pk}/edit/"')
        self.assertContains(response, f'href="/clients/{self.dana.pk}/"')

    def test_it_offers_exactly_the_legal_next_statuses(self) -> None:
        self.login(self.alice)
        for status in EpisodeStatus:
            with self.subTest(status=status):
                Episode.objects.filter(pk=self.episode.pk).update(status=status)
                content = self.client.get(self.url()).content.decode()
                offered = re.findall(r'name="status" value="([a-z_]+)"', content)
                self.assertEqual(offered, [str(s) for s in TRANSITIONS[status]])
                for target in TRANSITIONS[status]:
                    self.assertIn(f"Move to {LABELS[target]}</button>", content)
                if not TRANSITIONS[status]:
                    self.assertIn("it has no further status changes", content)

    def test_it_writes_one_audit_row(self) -> None:
        self.login(self.alice)
        self.client.get(self.url())
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "episode.view")
        self.assertEqual(event.object_type, "episode")
        self.assertEqual(event.object_id, str(self.episode.pk))
        self.assertEqual(event.detail, {"client_id": self.dana.pk})


class EpisodeEditTests(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana, status="active", start_date=date(2026, 1, 5))

    def url(self, episode_id: int | None = None) -> str:
        return f"/episodes/{episode_id or self.episode.pk}/edit/"

    def snapshot(self) -> dict[str, Any]:
        return dict(Episode.objects.filter(pk=self.episode.pk).values().get())

    def test_it_requires_login(self) -> None:
        for method in (self.client.get, self.client.post):
            response = method(self.url())
            self.assertRedirects(
                response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
            )

    def test_it_rejects_other_therapists(self) -> None:
        before = self.snapshot()
        for name in OUTSIDERS:
            with self.subTest(user=name):
                self.login(getattr(self, name))
                self.assertEqual(self.client.get(self.url()).status_code, 404)
                response = self.client.post(self.url(), episode_data(referral_reason="Hacked"))
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_missing_episode_is_a_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(999999)).status_code, 404)
        self.assertEqual(self.client.post(self.url(999999), episode_data()).status_code, 404)

    def test_it_shows_the_current_values(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Edit episode of care")
        self.assertContains(response, "Low mood and worry</textarea>")
        self.assertContains(response, 'name="start_date" value="2026-01-05"')

    def test_it_saves_reason_and_dates_but_not_the_status(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(),
            episode_data(
                referral_reason="Worry", start_date="2026-01-06", end_date="", status="closed"
            ),
        )
        self.assertRedirects(
            response, f"/episodes/{self.episode.pk}/", fetch_redirect_response=False
        )
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.referral_reason, "Worry")
        self.assertEqual(self.episode.start_date, date(2026, 1, 6))
        self.assertEqual(self.episode.status, "active")
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "episode.update")
        self.assertEqual(
            event.detail,
            {"client_id": self.dana.pk, "fields": ["referral_reason", "start_date"]},
        )

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        before = self.snapshot()
        for changes, field, message in BAD_EPISODE_INPUT:
            with self.subTest(**changes):
                response = self.client.post(self.url(), episode_data(**changes))
                self.assertContains(response, message)
                self.assertContains(response, f'id="id_{field}_error"')
                self.assertEqual(self.snapshot(), before)
        self.assertFalse(AuditEvent.objects.exists())

    def test_moving_the_start_after_the_end_is_rejected(self) -> None:
        Episode.objects.filter(pk=self.episode.pk).update(status="ended", end_date=date(2026, 3, 1))
        before = self.snapshot()
        self.login(self.alice)
        response = self.client.post(
            self.url(), episode_data(start_date="2026-03-02", end_date="2026-03-01")
        )
        self.assertContains(response, "The end date cannot be before the start date.")
        self.assertEqual(self.snapshot(), before)
