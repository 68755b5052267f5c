from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import time_machine
from django.test import SimpleTestCase

from continuum.audit.models import AuditEvent
from continuum.care.episodes import (
    FINISHED_STATUSES,
    LABELS,
    OPEN_STATUSES,
    TRANSITIONS,
    EpisodeStatus,
    InvalidTransition,
    check_transition,
    is_finished,
)
from continuum.care.models import Episode
from continuum.care.services.episodes import (
    InvalidEpisodeDates,
    next_statuses,
    transition_episode,
)
from continuum.testing.base import BaseTestCase, make_episode

ALL_PAIRS = list(itertools.product(EpisodeStatus, EpisodeStatus))
LEGAL = {
    ("referral", "active"),
    ("referral", "closed"),
    ("active", "ending"),
    ("active", "ended"),
    ("ending", "ended"),
    ("ended", "follow_up"),
    ("ended", "closed"),
    ("follow_up", "closed"),
}


class TransitionTableTests(SimpleTestCase):
    """care/episodes.py on its own: no database."""

    def test_the_table_is_the_documented_one(self) -> None:
        table = {(str(a), str(b)) for a, targets in TRANSITIONS.items() for b in targets}
        self.assertEqual(table, LEGAL)
        self.assertEqual(set(TRANSITIONS), set(EpisodeStatus))
        self.assertEqual(set(LABELS), set(EpisodeStatus))

    def test_every_pair_of_statuses(self) -> None:
        for current, target in ALL_PAIRS:
            with self.subTest(current=current, target=target):
                if (current, target) in LEGAL:
                    self.assertEqual(check_transition(current, target), target)
                    self.assertIsInstance(check_transition(current, target), EpisodeStatus)
                else:
                    with self.assertRaises(InvalidTransition) as caught:
                        check_transition(current, target)
                    message = str(caught.exception)
                    self.assertTrue(
                        message.startswith(
                            f"An episode that is {LABELS[current]} cannot become "
                            f"{LABELS[target]}. Possible next steps: "
                        ),
                        message,
                    )
                    for allowed in TRANSITIONS[current]:
                        self.assertIn(LABELS[allowed], message.split("Possible next steps:")[1])

    def test_the_messages_read_well(self) -> None:
        with self.assertRaisesMessage(
            InvalidTransition,
            "An episode that is Referral cannot become Ended. Possible next steps: Active, Closed.",
        ):
            check_transition("referral", "ended")
        with self.assertRaisesMessage(
            InvalidTransition,
            "An episode that is Closed cannot become Active. "
            "Possible next steps: none (the episode is closed).",
        ):
            check_transition("closed", "active")

    def test_unknown_statuses_are_rejected(self) -> None:
        for current, target in (("referral", "open"), ("referral", ""), ("bogus", "active")):
            with self.subTest(current=current, target=target), self.assertRaises(InvalidTransition):
                check_transition(current, target)
        with self.assertRaisesMessage(InvalidTransition, "“open” is not an episode status"):
            check_transition("referral", "open")

    def test_invalid_transition_is_a_value_error(self) -> None:
        self.assertTrue(issubclass(InvalidTransition, ValueError))

    def test_closed_is_the_only_dead_end_and_everything_is_reachable(self) -> None:
        dead_ends = {s for s, targets in TRANSITIONS.items() if not targets}
        self.assertEqual(dead_ends, {EpisodeStatus.CLOSED})
        reached, frontier = {EpisodeStatus.REFERRAL}, [EpisodeStatus.REFERRAL]
        while frontier:
            for target in TRANSITIONS[frontier.pop()]:
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        self.assertEqual(reached, set(EpisodeStatus))

    def test_open_statuses(self) -> None:
        self.assertEqual(
            set(OPEN_STATUSES),
            {EpisodeStatus.REFERRAL, EpisodeStatus.ACTIVE, EpisodeStatus.ENDING},
        )
        # No transition re-opens a finished episode (that is a new episode).
        for current, target in LEGAL:
            if current not in OPEN_STATUSES:
                self.assertNotIn(target, OPEN_STATUSES)

    def test_every_status_is_open_or_finished(self) -> None:
        self.assertEqual(
            set(FINISHED_STATUSES),
            {EpisodeStatus.ENDED, EpisodeStatus.FOLLOW_UP, EpisodeStatus.CLOSED},
        )
        self.assertEqual(set(OPEN_STATUSES) | set(FINISHED_STATUSES), set(EpisodeStatus))
        self.assertFalse(set(OPEN_STATUSES) & set(FINISHED_STATUSES))
        self.assertTrue(is_finished("follow_up"))
        self.assertFalse(is_finished("ending"))

    def test_next_statuses_lists_value_and_label(self) -> None:
        self.assertEqual(next_statuses("referral"), [("active", "Active"), ("closed", "Closed")])
        self.assertEqual(next_statuses("closed"), [])
        self.assertEqual(next_statuses("bogus"), [])


# 23:30 UTC on 1 July 2026 is already 2 July in London (Alice's zone).
LATE = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


@time_machine.travel(LATE, tick=False)
class TransitionServiceTests(BaseTestCase):
    def test_every_pair_of_statuses(self) -> None:
        for current, target in ALL_PAIRS:
            with self.subTest(current=current, target=target):
                episode = make_episode(self.dana, status=current)
                before = Episode.objects.filter(pk=episode.pk).values().get()
                audit_rows = AuditEvent.objects.count()
                if (current, target) in LEGAL:
                    returned = transition_episode(episode, target, self.alice)
                    self.assertIs(returned, episode)
                    episode.refresh_from_db()
                    self.assertEqual(episode.status, target)
                    self.assertEqual(episode.status_changed_at, LATE)
                    event = AuditEvent.objects.latest("pk")
                    self.assertEqual(AuditEvent.objects.count(), audit_rows + 1)
                    self.assertEqual(event.action, "episode.transition")
                    self.assertEqual(event.object_id, str(episode.pk))
                    self.assertEqual(event.detail["from"], current)
                    self.assertEqual(event.detail["to"], target)
                    self.assertEqual(event.detail["client_id"], self.dana.pk)
                else:
                    with self.assertRaises(InvalidTransition):
                        transition_episode(episode, target, self.alice)
                    after = Episode.objects.filter(pk=episode.pk).values().get()
                    self.assertEqual(after, before)
                    self.assertEqual(AuditEvent.objects.count(), audit_rows)
                Episode.objects.filter(pk=episode.pk).update(status="closed")

    def test_ending_sets_the_end_date_to_today_in_the_therapists_zone(self) -> None:
        episode = make_episode(self.dana, status="ending")
        transition_episode(episode, "ended", self.alice)
        episode.refresh_from_db()
        self.assertEqual(episode.end_date, date(2026, 7, 2))
        self.assertFalse(episode.ended_unplanned)
        # Charlie, in New York, still has 1 July.
        eli_episode = make_episode(self.eli, status="ending")
        transition_episode(eli_episode, "ended", self.charlie)
        eli_episode.refresh_from_db()
        self.assertEqual(eli_episode.end_date, date(2026, 7, 1))

    def test_a_given_end_date_is_used(self) -> None:
        episode = make_episode(self.dana, status="ending")
        transition_episode(episode, "ended", self.alice, end_date=date(2026, 6, 20))
        episode.refresh_from_db()
        self.assertEqual(episode.end_date, date(2026, 6, 20))

    def test_active_straight_to_ended_is_unplanned(self) -> None:
        episode = make_episode(self.dana, status="active")
        transition_episode(episode, "ended", self.alice)
        episode.refresh_from_db()
        self.assertTrue(episode.ended_unplanned)
        self.assertEqual(episode.end_date, date(2026, 7, 2))
        event = AuditEvent.objects.get()
        self.assertEqual(
            event.detail,
            {"from": "active", "to": "ended", "unplanned": True, "client_id": self.dana.pk},
        )

    def test_a_planned_ending_may_be_marked_unplanned(self) -> None:
        episode = make_episode(self.dana, status="ending")
        transition_episode(episode, "ended", self.alice, unplanned=True)
        episode.refresh_from_db()
        self.assertTrue(episode.ended_unplanned)

    def test_other_moves_keep_the_dates(self) -> None:
        episode = make_episode(self.dana, status="ended", end_date=date(2026, 5, 1))
        transition_episode(episode, "follow_up", self.alice, end_date=date(2026, 6, 1))
        episode.refresh_from_db()
        self.assertEqual(episode.end_date, date(2026, 5, 1))
        transition_episode(episode, "closed", self.alice)
        episode.refresh_from_db()
        self.assertEqual(episode.end_date, date(2026, 5, 1))
        referral = make_episode(self.dana, status="referral")
        transition_episode(referral, "active", self.alice)
        referral.refresh_from_db()
        self.assertIsNone(referral.end_date)

    def test_closing_a_referral_records_when_it_ended(self) -> None:
        episode = make_episode(self.dana, status="referral")
        transition_episode(episode, "closed", self.alice)
        episode.refresh_from_db()
        self.assertEqual(episode.end_date, date(2026, 7, 2))
        self.assertFalse(episode.ended_unplanned)

    def test_default_end_never_precedes_a_future_start(self) -> None:
        episode = make_episode(self.dana, status="referral", start_date=date(2026, 8, 1))
        transition_episode(episode, "closed", self.alice)
        episode.refresh_from_db()
        self.assertEqual(episode.end_date, date(2026, 8, 1))

    def test_an_end_before_the_start_is_refused(self) -> None:
        episode = make_episode(self.dana, status="ending", start_date=date(2026, 1, 5))
        with self.assertRaisesMessage(
            InvalidEpisodeDates, "The end date cannot be before the start date (5 Jan 2026)."
        ):
            transition_episode(episode, "ended", self.alice, end_date=date(2026, 1, 4))
        episode.refresh_from_db()
        self.assertEqual(episode.status, "ending")
        self.assertIsNone(episode.end_date)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_checks_the_stored_status_not_a_stale_copy(self) -> None:
        episode = make_episode(self.dana, status="referral")
        stale = Episode.objects.get(pk=episode.pk)
        transition_episode(episode, "closed", self.alice)
        with self.assertRaises(InvalidTransition):
            transition_episode(stale, "active", self.alice)
        episode.refresh_from_db()
        self.assertEqual(episode.status, "closed")


@time_machine.travel(LATE, tick=False)
class TransitionViewTests(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana, status="referral")

    def url(self, episode_id: int | None = None) -> str:
        return f"/episodes/{episode_id or self.episode.pk}/status/"

    def status(self) -> str:
        return Episode.objects.get(pk=self.episode.pk).status

    def test_it_requires_login(self) -> None:
        for response in (self.client.get(self.url()), self.client.post(self.url())):
            self.assertRedirects(
                response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
            )
        self.assertEqual(self.status(), "referral")

    def test_it_rejects_other_therapists(self) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            with self.subTest(user=user.email):
                self.login(user)
                self.assertEqual(self.client.get(self.url()).status_code, 404)
                response = self.client.post(self.url(), {"status": "active"})
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self.status(), "referral")
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_missing_episode_is_a_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.post(self.url(999999), {"status": "active"}).status_code, 404)

    def test_get_is_not_allowed_for_the_therapist(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url()).status_code, 405)

    def test_every_pair_of_statuses(self) -> None:
        self.login(self.alice)
        for current, target in ALL_PAIRS:
            with self.subTest(current=current, target=target):
                Episode.objects.filter(pk=self.episode.pk).update(status=current, end_date=None)
                response = self.client.post(self.url(), {"status": target, "confirmed": "yes"})
                if (current, target) in LEGAL:
                    self.assertRedirects(
                        response,
                        f"/episodes/{self.episode.pk}/",
                        fetch_redirect_response=False,
                    )
                    self.assertEqual(self.status(), target)
                else:
                    self.assertEqual(response.status_code, 400)
                    allowed = ", ".join(LABELS[s] for s in TRANSITIONS[current]) or (
                        "none (the episode is closed)"
                    )
                    self.assertContains(
                        response,
                        f"An episode that is {LABELS[current]} cannot become "
                        f"{LABELS[target]}. Possible next steps: {allowed}.",
                        status_code=400,
                    )
                    self.assertEqual(self.status(), current)

    def test_the_success_message_names_the_new_status(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), {"status": "active"}, follow=True)
        self.assertContains(response, "The episode is now Active.")
        self.assertContains(response, '<span class="badge badge-active">Active</span>')

    def test_it_can_return_to_the_client_page(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), {"status": "active", "return_to": "client"})
        self.assertRedirects(response, f"/clients/{self.dana.pk}/", fetch_redirect_response=False)

    def test_an_unknown_return_to_is_refused(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(), {"status": "active", "return_to": "https://evil.example/"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.status(), "referral")

    def test_ending_with_a_date_from_the_form(self) -> None:
        Episode.objects.filter(pk=self.episode.pk).update(status="ending")
        self.login(self.alice)
        data = {"status": "ended", "end_date": "2026-06-30", "unplanned": "on"}
        # First the question, which changes nothing.
        response = self.client.post(self.url(), data)
        self.assertContains(response, "Move this episode to Ended?")
        self.assertContains(response, "This episode of care ends on 30 June 2026.")
        self.assertContains(response, "The ending is recorded as unplanned.")
        self.assertContains(response, 'name="end_date" value="2026-06-30"')
        self.assertContains(response, 'name="unplanned" value="on"')
        self.assertEqual(self.status(), "ending")
        self.assertFalse(AuditEvent.objects.exists())
        self.client.post(self.url(), {**data, "confirmed": "yes"})
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, "ended")
        self.assertEqual(self.episode.end_date, date(2026, 6, 30))
        self.assertTrue(self.episode.ended_unplanned)

    def test_ending_from_active_without_a_date_is_unplanned_and_today(self) -> None:
        Episode.objects.filter(pk=self.episode.pk).update(status="active")
        self.login(self.alice)
        self.client.post(self.url(), {"status": "ended", "end_date": "", "confirmed": "yes"})
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.end_date, date(2026, 7, 2))
        self.assertTrue(self.episode.ended_unplanned)

    def test_bad_input_is_a_400_and_changes_nothing(self) -> None:
        Episode.objects.filter(pk=self.episode.pk).update(status="active")
        cases = [
            ({}, "Choose the episode&#x27;s next status."),
            ({"status": "open"}, "“open” is not an episode status"),
            ({"status": "x" * 40}, "Ensure this value has at most 32 characters"),
            ({"status": "ended", "end_date": "2026-02-30"}, "Enter a valid date."),
            (
                {"status": "ended", "end_date": "2026-01-04"},
                "The end date cannot be before the start date.",
            ),
        ]
        self.login(self.alice)
        before = Episode.objects.filter(pk=self.episode.pk).values().get()
        for data, message in cases:
            with self.subTest(data=data):
                response = self.client.post(self.url(), data)
                self.assertContains(response, message, status_code=400)
                self.assertEqual(Episode.objects.filter(pk=self.episode.pk).values().get(), before)
        self.assertFalse(AuditEvent.objects.exists())

    def test_the_error_page_still_offers_the_legal_moves(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), {"status": "ended"})
        self.assertContains(response, "Move to Active</button>", status_code=400)
        self.assertContains(response, "Move to Closed</button>", status_code=400)
        self.assertNotContains(response, "Move to Ended</button>", status_code=400)
