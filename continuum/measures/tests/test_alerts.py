"""Alerts: what raises them (once per cause), the list, acknowledging and resolving."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import Client, Episode
from continuum.measures.alerts import AlertError, evaluate
from continuum.measures.models import (
    Administration,
    Alert,
    AlertKind,
    AlertStatus,
    ExpectedCurves,
    Severity,
)
from continuum.measures.services import (
    assign_measure,
    enter_in_session,
    raise_overdue_alerts,
    resolve,
)
from continuum.measures.tests.world import (
    MeasuresTestCase,
    gad7_answers,
    phq9_answers,
)
from continuum.testing.base import kept

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/London"))


def make_alert(
    client: Client, episode: Episode | None, kind: str, severity: str, cause: str, **extra: Any
) -> Alert:
    rank = {"high": 0, "medium": 1, "low": 2}[severity]
    return kept(
        Alert.objects.create(
            client=client,
            episode=episode,
            kind=kind,
            severity=severity,
            severity_rank=rank,
            cause=cause,
            message=extra.pop("message", f"{kind} alert {cause}"),
            **extra,
        ),
        "measures",
    )


class SafetyAlertTests(MeasuresTestCase):
    def test_a_safety_answer_raises_exactly_one_high_alert_at_once(self) -> None:
        admin = self.complete_in_session(phq9_answers(12, item9=1))
        alert = Alert.objects.get()
        self.assertEqual((alert.kind, alert.severity, alert.status), ("safety", "high", "open"))
        self.assertEqual(alert.administration, admin)
        self.assertEqual(alert.episode, self.episode)
        self.assertEqual(
            alert.message,
            "PHQ-9: safety item 9 was answered 1 (“Several days”) on a scale of 0\N{EN DASH}3; "
            "check in with the client.",
        )
        # Evaluating the same administration again raises nothing new (same cause).
        self.assertEqual(evaluate(admin), [])
        self.assertEqual(Alert.objects.count(), 1)

    def test_a_later_zero_never_closes_it(self) -> None:
        self.complete_in_session(phq9_answers(12, item9=2))
        self.complete_in_session(phq9_answers(3, item9=0))
        self.assertEqual(Alert.objects.get().status, AlertStatus.OPEN)

    def test_a_second_endorsement_is_a_new_alert(self) -> None:
        self.complete_in_session(phq9_answers(12, item9=2))
        self.complete_in_session(phq9_answers(12, item9=1))
        self.assertEqual(Alert.objects.filter(kind=AlertKind.SAFETY).count(), 2)

    def test_core10_risk_item_is_a_safety_item(self) -> None:
        answers: dict[str, int | None] = {str(k): 1 for k in range(1, 11)}
        self.complete_in_session(answers, "core10")
        self.assertIn("CORE-10: safety item 6", Alert.objects.get().message)

    def test_it_cannot_be_resolved_without_an_action(self) -> None:
        self.complete_in_session(phq9_answers(12, item9=1))
        alert = Alert.objects.get()
        with self.assertRaises(AlertError):
            resolve(alert, actor=actor_for(self.alice))
        with self.assertRaises(AlertError):
            resolve(alert, action="other", action_note="  ", actor=actor_for(self.alice))
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.OPEN)

    def test_resolving_without_action_in_the_view_is_an_error_and_changes_nothing(self) -> None:
        self.complete_in_session(phq9_answers(12, item9=1))
        alert = Alert.objects.get()
        self.login(self.alice)
        url = reverse("measures:alert_resolve", args=[alert.pk])
        response = self.client.post(url, {"action_note": "Talked"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(
            response, "Record what was done before resolving a safety alert.", status_code=400
        )
        response = self.client.post(url, {"action": "other", "action_note": ""})
        self.assertContains(response, "Describe what was done.", status_code=400)
        response = self.client.post(url, {"action": "made_tea"})
        self.assertEqual(response.status_code, 400)
        alert.refresh_from_db()
        self.assertEqual((alert.status, alert.action), (AlertStatus.OPEN, ""))
        self.assertFalse(AuditEvent.objects.filter(action="measures.alert_resolve").exists())

    def test_resolving_a_safety_alert_asks_to_confirm_first_without_script(self) -> None:
        """Issue 14: the first POST changes nothing and says what will happen; its form
        re-posts the same fields with confirmed=yes."""
        self.complete_in_session(phq9_answers(12, item9=1))
        alert = Alert.objects.get()
        self.login(self.alice)
        url = reverse("measures:alert_resolve", args=[alert.pk])
        audited = AuditEvent.objects.count()
        response = self.client.post(
            url, {"action": "other", "action_note": "Called her GP with consent"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Resolve this safety alert?")
        self.assertContains(
            response,
            "The safety alert for Dana Dawson is marked resolved in your name, now, "
            "recording what was done: Other (describe).",
        )
        self.assertContains(response, "it cannot be reopened")
        body = response.content.decode()
        form = body[body.index(f'<form method="post" action="{url}">') :].split("</form>")[0]
        self.assertIn('<input type="hidden" name="action" value="other">', form)
        self.assertIn(
            '<input type="hidden" name="action_note" value="Called her GP with consent">', form
        )
        self.assertIn('<input type="hidden" name="confirmed" value="yes">', form)
        self.assertIn("Cancel, change nothing", form.split("</form>")[0] + body)
        self.assertNotIn("<script", body.split("</head>")[1])
        alert.refresh_from_db()
        self.assertEqual((alert.status, alert.action), (AlertStatus.OPEN, ""))
        self.assertFalse(AuditEvent.objects.filter(action="measures.alert_resolve").exists())
        # Only reads may have been audited by the first post, never the resolve.
        self.assertEqual(AuditEvent.objects.count(), audited)
        # Bad input is still caught first, before any confirmation.
        response = self.client.post(url, {"action": "other", "action_note": "", "confirmed": "yes"})
        self.assertContains(response, "Describe what was done.", status_code=400)
        # Confirmed: resolved, one audit row.
        response = self.client.post(
            url,
            {"action": "other", "action_note": "Called her GP with consent", "confirmed": "yes"},
            follow=True,
        )
        self.assertContains(response, "The alert was resolved.")
        alert.refresh_from_db()
        self.assertEqual((alert.status, alert.action), (AlertStatus.RESOLVED, "other"))
        self.assertEqual(AuditEvent.objects.filter(action="measures.alert_resolve").count(), 1)

    def test_resolving_with_an_action_is_recorded_and_audited(self) -> None:
        self.complete_in_session(phq9_answers(12, item9=1))
        alert = Alert.objects.get()
        self.login(self.alice)
        response = self.client.post(
            reverse("measures:alert_resolve", args=[alert.pk]),
            {"action": "other", "action_note": "Called her GP with consent", "confirmed": "yes"},
            follow=True,
        )
        self.assertContains(response, "The alert was resolved.")
        self.assertContains(response, "Called her GP with consent")
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.RESOLVED)
        self.assertEqual((alert.resolved_by, alert.action), (self.alice, "other"))
        self.assertEqual(alert.action_note, "Called her GP with consent")
        event = AuditEvent.objects.get(action="measures.alert_resolve")
        self.assertEqual(
            event.detail,
            {"kind": "safety", "taken": "other", "noted": True, "client_id": self.dana.pk},
        )
        self.assertNotIn("GP", str(event.detail))


@time_machine.travel(NOW, tick=False)
class DeteriorationAndTrackTests(MeasuresTestCase):
    attended: int  # attended appointments so far (set in setUp)

    def score(self, total: int, days_ago: int, *, session: int = 0) -> Administration:
        """A PHQ-9 completed in session, `days_ago`, after `session` attended appointments."""
        for n in range(session - self.attended):
            self.attend(self.dana, self.episode, NOW - timedelta(days=days_ago, hours=n + 1))
        self.attended = max(self.attended, session)
        with time_machine.travel(NOW - timedelta(days=days_ago), tick=False):
            return self.complete_in_session(phq9_answers(total))

    def setUp(self) -> None:
        self.attended = 0

    def test_a_reliable_deterioration_from_baseline_raises_a_medium_alert(self) -> None:
        self.score(8, 21)
        self.score(13, 14)  # up 5: not reliable
        self.assertFalse(Alert.objects.exists())
        admin = self.score(14, 7)  # up 6: reliable (NHS Talking Therapies: 6 or more)
        alert = Alert.objects.get()
        self.assertEqual((alert.kind, alert.severity), (AlertKind.DETERIORATION, Severity.MEDIUM))
        self.assertEqual(alert.administration, admin)
        self.assertEqual(
            alert.message,
            "PHQ-9 rose from 8 at baseline to 14, a reliable deterioration (6 or more points).",
        )

    def test_deterioration_is_not_raised_again_while_its_alert_is_open(self) -> None:
        self.score(8, 21)
        self.score(15, 14)
        self.score(16, 7)
        self.assertEqual(Alert.objects.filter(kind=AlertKind.DETERIORATION).count(), 1)
        resolve(Alert.objects.get(), actor=actor_for(self.alice))
        self.score(17, 0)
        self.assertEqual(Alert.objects.filter(kind=AlertKind.DETERIORATION).count(), 2)

    def test_not_on_track_from_session_3_with_the_engines_sentence(self) -> None:
        self.score(17, 35, session=1)
        self.score(20, 28, session=2)  # session 2: too early to flag
        self.assertFalse(Alert.objects.filter(kind=AlertKind.NOT_ON_TRACK).exists())
        self.score(20, 7, session=5)
        alert = Alert.objects.get(kind=AlertKind.NOT_ON_TRACK)
        self.assertEqual(alert.severity, Severity.MEDIUM)
        self.assertEqual(
            alert.message,
            "PHQ-9 20 at session 5; 90% of clients who started moderately severe were at or "
            "below 18.5 by now.",
        )
        self.assertFalse(Alert.objects.filter(kind=AlertKind.DETERIORATION).exists())

    def test_not_on_track_uses_the_practices_own_curves_when_it_has_them(self) -> None:
        ExpectedCurves.objects.create(
            practice=self.riverside,
            instrument="phq9",
            n_episodes=250,
            curves={
                "moderately_severe": {
                    "source": "practice",
                    "episodes": 250,
                    "points": [[s, 40, 5, 8, 10, 12, 21] for s in range(1, 9)],
                }
            },
        )
        self.score(17, 35, session=1)
        self.score(20, 7, session=5)  # beyond the default curve (18.5), within the practice's (21)
        self.assertFalse(Alert.objects.filter(kind=AlertKind.NOT_ON_TRACK).exists())

    def test_no_total_raises_no_score_alerts(self) -> None:
        self.score(8, 21)
        answers = phq9_answers(24)
        answers["1"] = answers["2"] = answers["3"] = None
        self.complete_in_session(answers)
        self.assertFalse(Alert.objects.exists())


@time_machine.travel(NOW, tick=False)
class OverdueTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.assignment = assign_measure(
            self.episode,
            instrument="gad7",
            cadence="weekly",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 16),
            actor=actor_for(self.alice),
        )

    def run_command(self) -> str:
        out = StringIO()
        call_command("raise_overdue_alerts", stdout=out)
        return out.getvalue()

    def test_nothing_is_overdue_within_the_window(self) -> None:
        with time_machine.travel(NOW + timedelta(days=6), tick=False):
            self.assertIn("Raised 0 overdue alert(s)", self.run_command())
        self.assertFalse(Alert.objects.exists())

    def test_the_command_raises_one_alert_per_overdue_administration_once(self) -> None:
        with time_machine.travel(NOW + timedelta(days=8), tick=False):
            self.assertIn("Raised 1 overdue alert(s)", self.run_command())
            self.assertIn("Raised 0 overdue alert(s)", self.run_command())
        alert = Alert.objects.get()
        self.assertEqual((alert.kind, alert.severity), (AlertKind.OVERDUE, Severity.LOW))
        self.assertEqual(alert.message, "GAD-7 due 2 Mar 2026 was not completed within 7 days.")
        event = AuditEvent.objects.get(action="measures.alert_raise")
        self.assertIsNone(event.actor)
        self.assertEqual(event.practice_id, self.riverside.pk)
        with time_machine.travel(NOW + timedelta(days=30), tick=False):
            self.assertEqual(len(raise_overdue_alerts()), 2)

    def test_a_late_completion_resolves_its_overdue_alert(self) -> None:
        first = self.assignment.administrations.order_by("due_at").first()
        assert first is not None
        with time_machine.travel(NOW + timedelta(days=8), tick=False):
            (alert,) = raise_overdue_alerts()
            enter_in_session(first, gad7_answers(6), actor=actor_for(self.alice))
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.RESOLVED)
        event = AuditEvent.objects.get(action="measures.complete")
        self.assertEqual(event.detail["resolved_alerts"], [alert.pk])

    def test_completed_and_stopped_measures_are_never_overdue(self) -> None:
        first = self.assignment.administrations.order_by("due_at").first()
        assert first is not None
        enter_in_session(first, gad7_answers(6), actor=actor_for(self.alice))
        with time_machine.travel(NOW + timedelta(days=8), tick=False):
            self.assertEqual(raise_overdue_alerts(), [])
        self.assignment.active = False
        self.assignment.save()
        with time_machine.travel(NOW + timedelta(days=30), tick=False):
            self.assertEqual(raise_overdue_alerts(), [])


class AlertListTests(MeasuresTestCase):
    url = reverse("measures:alert_list")

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(response, f"{reverse('account_login')}?next={self.url}")

    def test_it_shows_only_the_therapists_own_clients(self) -> None:
        make_alert(self.dana, self.episode, "safety", "high", "a", message="Dana's alert")
        make_alert(self.eli, self.eli_episode, "safety", "high", "b", message="Eli's alert")
        make_alert(self.finn, self.finn_episode, "overdue", "low", "c", message="Finn's alert")
        self.login(self.alice)
        body = self.client.get(self.url).content.decode()
        self.assertIn("Dana&#x27;s alert", body)
        self.assertIn("Dana Dawson", body)
        for foreign in ("Eli", "Finn"):
            self.assertNotIn(foreign, body)
        self.login(self.bob)
        body = self.client.get(self.url).content.decode()
        self.assertIn("Finn", body)
        self.assertNotIn("Dana", body)

    def test_by_clinical_tier_then_oldest_first(self) -> None:
        base = timezone.now()
        make_alert(
            self.dana, self.episode, "overdue", "low", "1", created_at=base, message="low-new"
        )
        make_alert(
            self.dana,
            self.episode,
            "safety",
            "high",
            "2",
            created_at=base - timedelta(days=3),
            message="high-old",
        )
        make_alert(
            self.dana,
            self.episode,
            "deterioration",
            "medium",
            "3",
            created_at=base,
            message="medium-new",
        )
        make_alert(
            self.dana,
            self.episode,
            "safety",
            "high",
            "4",
            created_at=base - timedelta(days=1),
            message="high-new",
        )
        make_alert(
            self.dana,
            self.episode,
            "not_on_track",
            "medium",
            "5",
            created_at=base - timedelta(days=9),
            message="off-track-older",
        )
        self.login(self.alice)
        body = self.client.get(self.url).content.decode()
        # Safety (oldest first), deterioration, not on track (older, but a lower tier), overdue.
        order = [
            body.index(m)
            for m in ("high-old", "high-new", "medium-new", "off-track-older", "low-new")
        ]
        self.assertEqual(order, sorted(order))

    def test_the_status_filter_is_allow_listed(self) -> None:
        make_alert(self.dana, self.episode, "overdue", "low", "1", message="still-open")
        make_alert(
            self.dana,
            self.episode,
            "overdue",
            "low",
            "2",
            message="all-done",
            status=AlertStatus.RESOLVED,
        )
        self.login(self.alice)
        open_body = self.client.get(self.url).content.decode()
        self.assertIn("still-open", open_body)
        self.assertNotIn("all-done", open_body)
        resolved = self.client.get(self.url, {"status": "resolved"}).content.decode()
        self.assertIn("all-done", resolved)
        self.assertNotIn("still-open", resolved)
        both = self.client.get(self.url, {"status": "all"}).content.decode()
        self.assertIn("all-done", both)
        self.assertIn("still-open", both)
        for junk in ("created_at; DROP TABLE", "-pk", "'", "resolved' OR 1=1"):
            response = self.client.get(self.url, {"status": junk, "page": junk})
            self.assertEqual(response.status_code, 200, junk)
            self.assertIn("still-open", response.content.decode())

    def _count_queries(self, n_alerts: int) -> None:
        Alert.objects.all().delete()
        for n in range(n_alerts):
            make_alert(
                self.dana,
                self.episode,
                "overdue",
                "low",
                f"n{n}",
                acknowledged_by=self.alice,
                acknowledged_at=timezone.now(),
                status=AlertStatus.ACKNOWLEDGED if n % 2 else AlertStatus.OPEN,
            )
        self.login(self.alice)
        # 1. session  2. user  3. membership (clinician_required)
        # 4. alert counts by status (the filter tabs)  5. the page's count (paginator)
        # 6. the page of alerts, with client and acknowledging/resolving users joined
        # 7. the read's audit row (issue 18, finding 4)
        with self.assertNumQueries(7):
            response = self.client.get(self.url, {"status": "all"})
        self.assertEqual(response.status_code, 200)

    def test_the_query_count_is_constant_in_the_number_of_alerts(self) -> None:
        self._count_queries(2)
        self._count_queries(40)


class AlertDetailTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.alert = make_alert(
            self.dana,
            self.episode,
            "deterioration",
            "medium",
            "x",
            message="PHQ-9 rose from 8 to 15",
        )
        self.urls = [
            reverse(f"measures:{name}", args=[self.alert.pk])
            for name in ("alert_detail", "alert_acknowledge", "alert_resolve")
        ]

    def test_it_requires_login(self) -> None:
        for url in self.urls:
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def test_it_rejects_other_therapists(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            for url in self.urls:
                for method in ("get", "post"):
                    self.assertEqual(getattr(self.client, method)(url).status_code, 404)
        self.alert.refresh_from_db()
        self.assertEqual(self.alert.status, AlertStatus.OPEN)

    def test_the_page_shows_the_alert_and_records_the_read(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.urls[0])
        self.assertContains(response, "PHQ-9 rose from 8 to 15")
        self.assertContains(response, "Acknowledge")
        self.assertContains(response, "(optional)")
        self.assertEqual(AuditEvent.objects.filter(action="measures.alert_view").count(), 1)

    def test_acknowledge_then_resolve_records_who_and_when(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.urls[1]).status_code, 405)
        response = self.client.post(self.urls[1], follow=True)
        self.assertContains(response, "The alert was acknowledged.")
        self.assertContains(response, "Acknowledged")
        self.alert.refresh_from_db()
        self.assertEqual(
            (self.alert.status, self.alert.acknowledged_by), (AlertStatus.ACKNOWLEDGED, self.alice)
        )
        # Acknowledging twice is refused, clearly.
        response = self.client.post(self.urls[1], follow=True)
        self.assertContains(response, "cannot become acknowledged")
        # A non-safety alert resolves without an action.
        response = self.client.post(self.urls[2], {}, follow=True)
        self.assertContains(response, "The alert was resolved.")
        self.alert.refresh_from_db()
        self.assertEqual(self.alert.status, AlertStatus.RESOLVED)
        self.assertEqual(AuditEvent.objects.filter(action="measures.alert_acknowledge").count(), 1)
        self.assertEqual(AuditEvent.objects.filter(action="measures.alert_resolve").count(), 1)
