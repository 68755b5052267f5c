"""Issue 13: one meaning of "open", alerts that stop being true leave, stale alerts, and an
unanswered safety item that is never silent. Real database, real actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.continuity.day import build_day
from continuum.lib.contributions import Rank
from continuum.measures.models import (
    Administration,
    Alert,
    AlertKind,
    AlertResolution,
    AlertStatus,
)
from continuum.measures.queries import (
    ALERT_ITEM,
    SAFETY_ITEM_UNANSWERED,
    alert_day_items,
    count_open_alerts,
    safety_prompt_day_items,
)
from continuum.measures.services import (
    acknowledge,
    close_outdated_alerts,
    correct_administration,
    submit_by_link,
)
from continuum.measures.tests.test_alerts import make_alert
from continuum.measures.tests.world import (
    MeasuresTestCase,
    gad7_answers,
    make_score,
    phq9_answers,
)

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/London"))


def day_alert_number(items: list) -> int:  # type: ignore[type-arg]
    """The number of open alerts the day stands for: each client's line and its "N more"."""
    return sum(1 + item.facts["more"] for item in items if item.kind == ALERT_ITEM)


def open_tab_count(body: str) -> int:
    marker = 'href="?status=open"'
    start = body.index(marker)
    text = body[start : body.index("</a>", start)]
    return int(text.rsplit("(", 1)[1].rstrip(")"))


@time_machine.travel(NOW, tick=False)
class OpenMeansOneThingTests(MeasuresTestCase):
    def test_the_days_number_equals_the_alerts_pages_number(self) -> None:
        make_alert(self.dana, self.episode, "safety", "high", "a")
        make_alert(self.dana, self.episode, "overdue", "low", "b")
        seen = make_alert(self.dana, self.episode, "deterioration", "medium", "c")
        acknowledge(seen, actor=actor_for(self.alice))  # seen, not yet dealt with: still open
        make_alert(self.dana, self.episode, "overdue", "low", "d", status=AlertStatus.RESOLVED)
        make_alert(self.eli, self.eli_episode, "safety", "high", "e")  # not Alice's client
        self.assertEqual(count_open_alerts(self.alice), 3)
        self.assertEqual(day_alert_number(alert_day_items(self.alice, timezone.now())), 3)
        self.login(self.alice)
        response = self.client.get(reverse("measures:alert_list"))
        self.assertEqual(open_tab_count(response.content.decode()), 3)
        # The Open tab lists the acknowledged one too.
        self.assertContains(response, "deterioration alert c")
        self.assertNotContains(response, "overdue alert d")
        # The day's line says the same number: one line for Dana, "2 more".
        lines = [
            r
            for e in build_day(self.alice).on_my_mind
            for r in e.reasons
            if r.item.kind == ALERT_ITEM
        ]
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0].item.facts["more"], 2)
        # Safety leads Dana's line (tier 1).
        self.assertEqual(lines[0].item.rank, Rank.SAFETY)


@time_machine.travel(NOW, tick=False)
class NoLongerCurrentTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.attended = 0

    def score(
        self, instrument: str, answers: dict[str, int | None], days_ago: int, *, session: int
    ) -> Administration:
        for n in range(session - self.attended):
            self.attend(self.dana, self.episode, NOW - timedelta(days=days_ago, hours=n + 1))
        self.attended = max(self.attended, session)
        with time_machine.travel(NOW - timedelta(days=days_ago), tick=False):
            return self.complete_in_session(answers, instrument)

    def test_a_gad7_back_in_range_closes_its_not_on_track_alert(self) -> None:
        self.score("gad7", gad7_answers(12), 70, session=1)
        high = self.score("gad7", gad7_answers(14), 35, session=6)
        alert = Alert.objects.get(kind=AlertKind.NOT_ON_TRACK)
        self.assertEqual(alert.administration, high)
        # A safety alert of the same client, whose PHQ-9 is back in range later too.
        self.score("phq9", phq9_answers(14, item9=2), 35, session=6)
        safety = Alert.objects.get(kind=AlertKind.SAFETY)
        self.assertEqual(count_open_alerts(self.alice), 2)

        self.score("phq9", phq9_answers(3), 0, session=7)
        closing = self.score("gad7", gad7_answers(2), 0, session=7)

        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.RESOLVED)
        self.assertEqual(alert.resolution, AlertResolution.NO_LONGER_CURRENT)
        self.assertEqual(alert.closed_by_administration, closing)
        self.assertEqual(alert.resolved_at, closing.completed_at)
        self.assertIsNone(alert.resolved_by)
        # One audit row, by the system, with ids and codes only.
        rows = AuditEvent.objects.filter(action="measures.alert_close")
        self.assertEqual(rows.count(), 1)
        row = rows.get()
        self.assertEqual((row.actor_id, row.actor_label), (None, "system"))
        self.assertEqual(row.object_id, str(alert.pk))
        self.assertEqual(
            row.detail,
            {
                "kind": "not_on_track",
                "resolution": "no_longer_current",
                "administration": closing.pk,
                "client_id": self.dana.pk,
            },
        )
        # The safety alert never closes itself.
        safety.refresh_from_db()
        self.assertEqual(safety.status, AlertStatus.OPEN)
        # Gone from the day and from the count; the safety alert stays on both.
        self.assertEqual(count_open_alerts(self.alice), 1)
        items = alert_day_items(self.alice, timezone.now())
        self.assertEqual(day_alert_number(items), 1)
        self.assertEqual([i.facts["alert_kind"] for i in items], ["safety"])
        self.login(self.alice)
        self.assertEqual(
            open_tab_count(self.client.get(reverse("measures:alert_list")).content.decode()), 1
        )
        # The client's history says which score closed it.
        page = self.client.get(reverse("care:client_detail", args=[self.dana.pk]))
        self.assertContains(
            page,
            "GAD-7 not on track alert closed: no longer current after GAD-7 2 on 3 Dec 2026",
        )
        detail = self.client.get(reverse("measures:alert_detail", args=[alert.pk]))
        self.assertContains(detail, "no longer current after GAD-7 2 on 3 Dec 2026")
        self.assertNotContains(detail, "<h2>Resolve</h2>", html=False)

    def test_a_score_that_still_meets_it_is_new_evidence(self) -> None:
        self.score("phq9", phq9_answers(8), 28, session=1)
        self.score("phq9", phq9_answers(15), 21, session=2)
        alert = Alert.objects.get(kind=AlertKind.DETERIORATION)
        self.assertIsNone(alert.confirmed_at)
        still = self.score("phq9", phq9_answers(16), 7, session=3)
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.OPEN)
        self.assertEqual(alert.confirmed_at, still.completed_at)
        # A fall back within reliable change of baseline closes it.
        self.score("phq9", phq9_answers(10), 0, session=4)
        alert.refresh_from_db()
        self.assertEqual(alert.resolution, AlertResolution.NO_LONGER_CURRENT)

    def test_a_score_without_a_total_closes_nothing(self) -> None:
        self.score("phq9", phq9_answers(8), 28, session=1)
        self.score("phq9", phq9_answers(15), 21, session=2)
        answers = phq9_answers(3)
        answers["1"] = answers["2"] = answers["3"] = None
        self.score("phq9", answers, 0, session=3)
        self.assertEqual(Alert.objects.get(kind=AlertKind.DETERIORATION).status, AlertStatus.OPEN)

    def test_the_periodic_job_closes_alerts_from_before_the_rule(self) -> None:
        first = make_score(self.episode, "gad7", 15, NOW - timedelta(days=70), session=1)
        high = make_score(self.episode, "gad7", 16, NOW - timedelta(days=35), session=6)
        later = make_score(self.episode, "gad7", 2, NOW - timedelta(days=5), session=7)
        assert first.pk
        alert = make_alert(
            self.dana, self.episode, "not_on_track", "medium", "x", administration=high
        )
        kept = make_alert(self.dana, self.episode, "safety", "high", "y", administration=high)
        self.assertEqual(close_outdated_alerts(), 1)
        alert.refresh_from_db()
        self.assertEqual(
            (alert.resolution, alert.closed_by_administration_id),
            (AlertResolution.NO_LONGER_CURRENT, later.pk),
        )
        kept.refresh_from_db()
        self.assertEqual(kept.status, AlertStatus.OPEN)
        self.assertEqual(close_outdated_alerts(), 0)  # once


@time_machine.travel(NOW, tick=False)
class StaleAlertTests(MeasuresTestCase):
    def setUp(self) -> None:
        old = make_score(self.episode, "gad7", 16, NOW - timedelta(weeks=10), session=5)
        self.alert = make_alert(
            self.dana,
            self.episode,
            "not_on_track",
            "medium",
            "s",
            administration=old,
            created_at=NOW - timedelta(weeks=10),
            message="GAD-7 16 at session 5",
        )
        self.url = reverse("measures:alert_stale", args=[self.alert.pk])

    def test_it_is_shown_stale_with_its_age_on_the_page_and_the_day(self) -> None:
        self.login(self.alice)
        body = self.client.get(reverse("measures:alert_list")).content.decode()
        self.assertIn("no new evidence for 10 weeks", body)
        self.assertIn(self.url, body)
        item = alert_day_items(self.alice, timezone.now())[0]
        self.assertEqual(item.facts["stale_days"], 70)
        entry = next(
            r
            for e in build_day(self.alice).on_my_mind
            for r in e.reasons
            if r.item.kind == ALERT_ITEM
        )
        assert entry.item.ref is not None
        detail = self.client.get(reverse("measures:alert_detail", args=[self.alert.pk]))
        self.assertContains(detail, "Stale: no new evidence for 10 weeks")

    @override_settings(CONTINUUM_ALERT_STALE_AFTER_DAYS=100)
    def test_the_time_is_a_setting(self) -> None:
        self.assertIsNone(alert_day_items(self.alice, timezone.now())[0].facts["stale_days"])

    def test_safety_alerts_are_never_stale(self) -> None:
        self.alert.delete()
        make_alert(
            self.dana, self.episode, "safety", "high", "z", created_at=NOW - timedelta(weeks=20)
        )
        self.assertIsNone(alert_day_items(self.alice, timezone.now())[0].facts["stale_days"])

    def test_keep_asks_first_then_counts_as_new_evidence(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "Still relevant?")
        self.assertContains(response, "Keep it: still relevant")
        self.alert.refresh_from_db()
        self.assertIsNone(self.alert.confirmed_at)  # asking changed nothing
        response = self.client.post(self.url, {"choice": "keep"}, follow=True)
        self.assertContains(response, "The alert stays open.")
        self.alert.refresh_from_db()
        self.assertEqual(self.alert.status, AlertStatus.OPEN)
        self.assertEqual(self.alert.confirmed_at, timezone.now())
        self.assertIsNone(alert_day_items(self.alice, timezone.now())[0].facts["stale_days"])
        row = AuditEvent.objects.get(action="measures.alert_keep")
        self.assertEqual(row.actor, self.alice)

    def test_close_resolves_it_as_no_longer_relevant(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, {"choice": "close"}, follow=True)
        self.assertContains(response, "closed as no longer relevant")
        self.alert.refresh_from_db()
        self.assertEqual(
            (self.alert.status, self.alert.resolution, self.alert.resolved_by),
            (AlertStatus.RESOLVED, AlertResolution.NOT_RELEVANT, self.alice),
        )
        self.assertEqual(AuditEvent.objects.filter(action="measures.alert_close").count(), 1)
        self.assertEqual(count_open_alerts(self.alice), 0)

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        for junk in ({}, {"choice": "maybe"}):
            response = self.client.post(self.url, junk)
            self.assertEqual(response.status_code, 400)
            self.assertContains(response, "keep or to close", status_code=400)
        self.alert.refresh_from_db()
        self.assertEqual((self.alert.status, self.alert.confirmed_at), (AlertStatus.OPEN, None))

    def test_outsiders_get_404(self) -> None:
        for outsider in (self.bob, self.charlie):
            self.login(outsider)
            for method in ("get", "post"):
                response = getattr(self.client, method)(self.url, {"choice": "close"})
                self.assertEqual(response.status_code, 404)
        self.alert.refresh_from_db()
        self.assertEqual(self.alert.status, AlertStatus.OPEN)


@time_machine.travel(NOW, tick=False)
class UnansweredSafetyItemTests(MeasuresTestCase):
    def blank_item9(self) -> dict[str, int | None]:
        answers = phq9_answers(12)
        answers["9"] = None
        return answers

    def test_entering_it_in_session_prompts_and_puts_tier_2_on_the_day(self) -> None:
        admin = self.pending()
        self.login(self.alice)
        data = {f"item_{k}": v for k, v in self.blank_item9().items() if v is not None}
        response = self.client.post(
            reverse("measures:administration_enter", args=[admin.pk]), data, follow=True
        )
        self.assertContains(response, "Ask PHQ-9 item 9 at the next contact")
        admin.refresh_from_db()
        self.assertTrue(admin.safety_unanswered)
        items = safety_prompt_day_items(self.alice, timezone.now())
        self.assertEqual(len(items), 1)
        self.assertEqual((items[0].rank, items[0].ref), (Rank.SAFETY_UNANSWERED, admin.pk))
        entry = next(
            e
            for e in build_day(self.alice).on_my_mind
            if any(r.item.kind == SAFETY_ITEM_UNANSWERED for r in e.reasons)
        )
        self.assertEqual(entry.client.pk, self.dana.pk)
        # Not for anyone else.
        self.assertEqual(safety_prompt_day_items(self.bob, timezone.now()), [])

    def test_a_link_answer_with_it_blank_is_on_the_day_too(self) -> None:
        admin = self.pending()
        token = self.link_for(admin).rstrip("/").rsplit("/", 1)[1]
        submit_by_link(token, self.blank_item9(), actor=actor_for(None))
        self.assertEqual(len(safety_prompt_day_items(self.alice, timezone.now())), 1)

    def test_core10_item_6_blank_counts(self) -> None:
        answers: dict[str, int | None] = {str(k): 1 for k in range(1, 11)}
        answers["6"] = None
        self.complete_in_session(answers, "core10")
        [item] = safety_prompt_day_items(self.alice, timezone.now())
        self.assertEqual(item.facts, {"instrument": "core10", "items": ["6"]})

    def test_a_later_answer_settles_it(self) -> None:
        self.complete_in_session(self.blank_item9())
        self.complete_in_session(phq9_answers(10))
        self.assertEqual(safety_prompt_day_items(self.alice, timezone.now()), [])

    def test_a_later_blank_keeps_one_line(self) -> None:
        self.complete_in_session(self.blank_item9())
        later = self.complete_in_session(self.blank_item9())
        self.assertEqual([i.ref for i in safety_prompt_day_items(self.alice, NOW)], [later.pk])

    def test_correcting_it_settles_it(self) -> None:
        admin = self.complete_in_session(self.blank_item9())
        correct_administration(
            admin, phq9_answers(12), reason="Asked by phone", actor=actor_for(self.alice)
        )
        self.assertEqual(safety_prompt_day_items(self.alice, timezone.now()), [])

    def test_dismissing_needs_a_reason_and_the_audit_keeps_no_text(self) -> None:
        admin = self.complete_in_session(self.blank_item9())
        url = reverse("measures:safety_prompt_dismiss", args=[admin.pk])
        self.login(self.alice)
        self.assertEqual(self.client.get(url).status_code, 405)
        response = self.client.post(url, {"reason": "   "})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Say why the safety question", status_code=400)
        self.assertEqual(len(safety_prompt_day_items(self.alice, timezone.now())), 1)
        response = self.client.post(url, {"reason": "Asked on the phone: zero"}, follow=True)
        self.assertContains(response, "was dismissed")
        self.assertNotContains(response, "at the next contact")
        self.assertEqual(safety_prompt_day_items(self.alice, timezone.now()), [])
        admin.refresh_from_db()
        self.assertEqual(admin.safety_prompt_dismiss_reason, "Asked on the phone: zero")
        row = AuditEvent.objects.get(action="measures.safety_prompt_dismiss")
        self.assertEqual(
            row.detail, {"instrument": "phq9", "reason_given": True, "client_id": self.dana.pk}
        )
        self.assertNotIn("phone", str(row.detail))

    def test_outsiders_get_404(self) -> None:
        admin = self.complete_in_session(self.blank_item9())
        url = reverse("measures:safety_prompt_dismiss", args=[admin.pk])
        for outsider in (self.bob, self.charlie):
            self.login(outsider)
            self.assertEqual(self.client.post(url, {"reason": "x"}).status_code, 404)
        admin.refresh_from_db()
        self.assertIsNone(admin.safety_prompt_dismissed_at)
