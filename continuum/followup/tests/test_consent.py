"""Consent to follow-up: recorded or offered and accepted, declined, withdrawn, expired; every
episode transition (ended → follow_up → closed); access narrowing when consent ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import Episode
from continuum.followup.models import BoosterRequest, FollowUpCheckIn, FollowUpConsent
from continuum.followup.services import (
    FollowUpEnded,
    FollowUpError,
    Terms,
    followup_phase,
    housekeeping,
    offer_follow_up,
    record_consent,
    submit_checkin,
    withdraw,
)
from continuum.followup.tests.world import (
    AFTER_END,
    ONE_MONTH,
    TERMS,
    FollowUpTestCase,
    questionnaire_post,
)
from continuum.testing.base import make_episode


def _reload(episode: Episode) -> Episode:
    return Episode.objects.get(pk=episode.pk)


@time_machine.travel(AFTER_END, tick=False)
class RecordConsentTests(FollowUpTestCase):
    def url(self) -> str:
        return f"/episodes/{self.episode.pk}/follow-up/consent/"

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(response, f"/accounts/login/?next={self.url()}")

    def test_it_rejects_other_therapists_and_clients(self) -> None:
        for person in (self.bob, self.olivia, self.charlie, self.dana_user):
            self.login(person)
            self.assertEqual(self.client.get(self.url()).status_code, 404)
            self.assertEqual(self.client.post(self.url(), {}).status_code, 404)
        self.assertFalse(FollowUpConsent.objects.exists())

    def test_the_form_proposes_the_default_schedule(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, 'value="1, 3, 6, 12"')
        self.assertContains(response, "The episode ended on 30 Jun 2026")
        self.assertContains(response, 'value="2027-07-30"')

    def test_recording_consent_moves_the_episode_to_follow_up_and_schedules_check_ins(
        self,
    ) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(),
            {
                "how": "record",
                "months": "1, 3, 6",
                "scope": "checkins_only",
                "ends_on": "2027-01-31",
            },
            follow=True,
        )
        self.assertContains(response, "follow-up has started")
        consent = FollowUpConsent.objects.get()
        self.assertEqual(
            (consent.status, consent.months, consent.scope, consent.recorded_by),
            ("active", [1, 3, 6], "checkins_only", self.alice),
        )
        self.assertIsNotNone(consent.consented_at)
        self.assertEqual(_reload(self.episode).status, "follow_up")
        self.assertEqual(
            list(FollowUpCheckIn.objects.values_list("months", "due_on", "status")),
            [
                (1, date(2026, 7, 30), "scheduled"),
                (3, date(2026, 9, 30), "scheduled"),
                (6, date(2026, 12, 30), "scheduled"),
            ],
        )
        event = AuditEvent.objects.get(action="followup.consent_record")
        self.assertEqual(event.detail["months"], [1, 3, 6])
        self.assertEqual(
            AuditEvent.objects.get(action="episode.transition").detail["to"], "follow_up"
        )

    def test_bad_input_is_explained_and_nothing_is_written(self) -> None:
        self.login(self.alice)
        cases = [
            ({"months": "1, three"}, "whole numbers"),
            ({"months": "0, 40"}, "1 to 36 months"),
            ({"ends_on": "2026-08-01"}, "must last until the last check-in"),
            ({"ends_on": "2035-01-01"}, "at most 4 years"),
            ({"scope": "everything"}, "Select a valid choice"),
        ]
        for change, message in cases:
            data = {"how": "record", "months": "1, 3", "scope": "questionnaires"}
            data["ends_on"] = "2026-12-31"
            data.update(change)
            response = self.client.post(self.url(), data)
            self.assertContains(response, message, status_code=400)
        self.assertFalse(FollowUpConsent.objects.exists())
        self.assertEqual(_reload(self.episode).status, "ended")

    def test_consent_needs_an_ended_episode_and_a_portal_login(self) -> None:
        open_episode = make_episode(self.eli, status="active")
        with self.assertRaisesMessage(FollowUpError, "once the episode has ended"):
            record_consent(open_episode, TERMS, actor=actor_for(self.charlie))
        finn_episode = make_episode(
            self.finn, status="ended", start_date=date(2026, 1, 5), end_date=date(2026, 6, 1)
        )
        assert self.finn.user is not None
        self.finn.user.is_active = False
        self.finn.user.save()
        with self.assertRaisesMessage(FollowUpError, "Invite the client to the portal first"):
            record_consent(finn_episode, TERMS, actor=actor_for(self.bob))
        self.agree()
        with self.assertRaisesMessage(FollowUpError, "already offered or agreed"):
            # Now in follow-up with a consent: not a second one.
            record_consent(self.episode, TERMS, actor=actor_for(self.alice))


class LateConsentTests(FollowUpTestCase):
    """Issue 14: follow-up agreed after a month had passed made its first check-in overdue
    on creation, and the form said "invite the client first" only after it was sent."""

    def test_no_check_in_is_created_already_due_in_the_past(self) -> None:
        # Agreed on 6 Aug: the 1-month check-in (30 Jul) is due today, the rest as agreed.
        with time_machine.travel(datetime(2026, 8, 6, 9, 0, tzinfo=UTC), tick=False):
            consent = self.agree()
        due = list(consent.checkins.order_by("number").values_list("due_on", flat=True))
        self.assertEqual(
            due, [date(2026, 8, 6), date(2026, 9, 30), date(2026, 12, 30), date(2027, 6, 30)]
        )

    @time_machine.travel(AFTER_END, tick=False)
    def test_the_form_says_invite_first_before_anything_is_typed(self) -> None:
        assert self.dana.user is not None
        self.dana.user.is_active = False
        self.dana.user.save()
        self.login(self.alice)
        response = self.client.get(f"/episodes/{self.episode.pk}/follow-up/consent/")
        self.assertContains(response, "Invite the client to the portal first.")
        self.assertContains(response, f'href="/clients/{self.dana.pk}/portal/"')
        self.assertNotContains(response, 'name="months"')
        self.dana.user.is_active = True
        self.dana.user.save()
        response = self.client.get(f"/episodes/{self.episode.pk}/follow-up/consent/")
        self.assertNotContains(response, "Invite the client to the portal first.")
        self.assertContains(response, 'name="months"')


@time_machine.travel(AFTER_END, tick=False)
class OfferTests(FollowUpTestCase):
    def test_an_offer_waits_for_the_client_who_opts_in_from_the_portal(self) -> None:
        consent = offer_follow_up(self.episode, TERMS, actor=actor_for(self.alice))
        self.assertEqual((consent.status, _reload(self.episode).status), ("offered", "ended"))
        self.assertFalse(FollowUpCheckIn.objects.exists())
        self.login(self.dana_user)
        response = self.client.get("/portal/follow-up/")
        self.assertContains(response, "Would you like follow-up check-ins?")
        self.assertContains(response, "1, 3, 6, 12 months after the end")

        response = self.client.post("/portal/follow-up/accept/", follow=True)

        self.assertContains(response, "your follow-up check-ins are agreed")
        consent.refresh_from_db()
        self.assertEqual(consent.status, "active")
        self.assertIsNone(consent.recorded_by)
        self.assertEqual(_reload(self.episode).status, "follow_up")
        self.assertEqual(FollowUpCheckIn.objects.count(), 4)
        event = AuditEvent.objects.get(action="followup.consent_accept")
        self.assertEqual(event.actor_id, self.dana_user.pk)
        # A second tap changes nothing.
        self.client.post("/portal/follow-up/accept/")
        self.assertEqual(FollowUpCheckIn.objects.count(), 4)
        self.assertEqual(AuditEvent.objects.filter(action="followup.consent_accept").count(), 1)

    def test_the_portal_menu_leads_to_the_offer(self) -> None:
        # The email that tells the client is notify's: notify/tests/test_scheduler.py.
        offer_follow_up(self.episode, TERMS, actor=actor_for(self.alice))
        self.login(self.dana_user)
        self.assertContains(self.client.get("/portal/"), 'href="/portal/follow-up/"')

    def test_the_client_may_decline(self) -> None:
        consent = offer_follow_up(self.episode, TERMS, actor=actor_for(self.alice))
        self.login(self.dana_user)
        response = self.client.post("/portal/follow-up/decline/", follow=True)
        self.assertContains(response, "You said no to follow-up check-ins")
        consent.refresh_from_db()
        self.assertEqual(consent.status, "declined")
        self.assertEqual(_reload(self.episode).status, "ended")
        self.assertEqual(followup_phase(self.dana), "none")

    def test_get_on_the_one_tap_routes_changes_nothing(self) -> None:
        offer_follow_up(self.episode, TERMS, actor=actor_for(self.alice))
        self.login(self.dana_user)
        for path in ("accept", "decline", "withdraw"):
            self.assertEqual(self.client.get(f"/portal/follow-up/{path}/").status_code, 405)
        self.assertEqual(FollowUpConsent.objects.get().status, "offered")


class WithdrawTests(FollowUpTestCase):
    def test_the_client_withdraws_in_one_tap_and_the_episode_closes(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
        with time_machine.travel(ONE_MONTH, tick=False):
            self.login(self.dana_user)
            response = self.client.get("/portal/follow-up/")
            self.assertContains(response, "Stop my follow-up check-ins")

            response = self.client.post("/portal/follow-up/withdraw/", follow=True)

            self.assertContains(response, "Your therapist will not receive anything more")
            self.assertContains(response, "Your follow-up has ended")
        consent.refresh_from_db()
        self.assertEqual((consent.status, consent.withdrawn_by), ("withdrawn", self.dana_user))
        self.assertEqual(_reload(self.episode).status, "closed")
        self.assertEqual(
            set(FollowUpCheckIn.objects.values_list("status", flat=True)), {"cancelled"}
        )
        event = AuditEvent.objects.get(action="followup.withdraw")
        self.assertEqual(event.detail["cancelled_checkins"], 4)
        self.assertEqual(followup_phase(self.dana), "ended")

    def test_the_therapist_can_record_a_withdrawal(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
            self.login(self.alice)
            self.assertEqual(self.client.get(f"/follow-up/{consent.pk}/withdraw/").status_code, 405)
            response = self.client.post(f"/follow-up/{consent.pk}/withdraw/", follow=True)
        self.assertContains(response, "The withdrawal was recorded")
        consent.refresh_from_db()
        self.assertEqual((consent.status, consent.withdrawn_by), ("withdrawn", self.alice))
        self.assertEqual(_reload(self.episode).status, "closed")

    def test_others_cannot_withdraw_it(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
        for person in (self.bob, self.olivia, self.charlie, self.dana_user):
            self.login(person)
            self.assertEqual(
                self.client.post(f"/follow-up/{consent.pk}/withdraw/").status_code, 404
            )
        self.login(self.eli_user)
        self.client.post("/portal/follow-up/withdraw/")
        consent.refresh_from_db()
        self.assertEqual(consent.status, "active")


class ExpiryTests(FollowUpTestCase):
    def test_the_end_date_passing_closes_follow_up_and_narrows_access(self) -> None:
        terms = Terms([1], "questionnaires", date(2026, 8, 15))
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree(terms)
        checkin = FollowUpCheckIn.objects.get()
        # The last day of the period (in the client's zone): still active.
        with time_machine.travel(datetime(2026, 8, 15, 22, 30, tzinfo=UTC), tick=False):
            housekeeping(timezone.now())
            consent.refresh_from_db()
            self.assertEqual(consent.status, "active")
        # Past midnight in London (23:30 UTC on the 15th is 00:30 on the 16th): expired.
        with time_machine.travel(datetime(2026, 8, 15, 23, 30, tzinfo=UTC), tick=False):
            housekeeping(timezone.now())
            consent.refresh_from_db()
            self.assertEqual(consent.status, "expired")
            self.assertEqual(_reload(self.episode).status, "closed")
            self.assertEqual(followup_phase(self.dana), "ended")
            self.assertEqual(AuditEvent.objects.get(action="followup.expire").actor_id, None)

            # The client's follow-up pages show only their documents now.
            self.login(self.dana_user)
            response = self.client.get("/portal/follow-up/")
            self.assertContains(response, "Your follow-up has ended")
            self.assertContains(response, "Your documents")
            self.assertNotContains(response, "Start the check-in")
            self.assertRedirects(
                self.client.get("/portal/follow-up/check-in/"),
                "/portal/follow-up/",
                fetch_redirect_response=False,
            )
            # The menu narrows: no check-ins, homework or progress.
            nav = response.content.decode().split('aria-label="Portal"')[1].split("</nav>")[0]
            self.assertIn("Follow-up", nav)
            for gone in ("Check in", "My progress", "Reminders"):
                self.assertNotIn(gone, nav)

            # The therapist stops receiving data: new check-ins are refused, nothing stored.
            response = self.client.post(
                "/portal/follow-up/check-in/",
                questionnaire_post(15, 10, checkin=str(checkin.pk), how_are_you="Worse"),
            )
            self.assertContains(response, "Your follow-up has ended", status_code=403)
            response = self.client.post("/portal/follow-up/booster/", {"reason": "Please"})
            self.assertEqual(response.status_code, 403)
            with self.assertRaises(FollowUpEnded):
                submit_checkin(
                    checkin, answers={}, how_are_you="x", actor=actor_for(self.dana_user)
                )
        checkin.refresh_from_db()
        self.assertEqual((checkin.status, checkin.how_are_you), ("cancelled", ""))
        self.assertFalse(BoosterRequest.objects.exists())

    def test_closing_the_episode_elsewhere_ends_follow_up(self) -> None:
        from continuum.care.services.episodes import transition_episode

        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
            transition_episode(self.episode, "closed", self.alice)
            housekeeping(timezone.now())
        consent.refresh_from_db()
        self.assertEqual(consent.status, "expired")
        self.assertEqual(
            AuditEvent.objects.get(action="followup.expire").detail["reason"],
            "episode_not_in_follow_up",
        )
        self.assertFalse(FollowUpCheckIn.objects.filter(status="scheduled").exists())

    def test_running_housekeeping_twice_changes_nothing_more(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.agree(Terms([1], "questionnaires", date(2026, 8, 1)))
        later = timezone.now().replace(year=2026, month=9, day=1)
        housekeeping(later)
        housekeeping(later)
        self.assertEqual(AuditEvent.objects.filter(action="followup.expire").count(), 1)
        self.assertEqual(
            AuditEvent.objects.filter(action="episode.transition", detail__to="closed").count(), 1
        )

    def test_missed_check_ins_are_marked_when_a_later_one_comes_due(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.agree()
        housekeeping(datetime(2026, 10, 2, 9, tzinfo=UTC))
        self.assertEqual(
            list(FollowUpCheckIn.objects.values_list("months", "status")),
            [(1, "missed"), (3, "scheduled"), (6, "scheduled"), (12, "scheduled")],
        )


class PhaseTests(FollowUpTestCase):
    def test_the_phase_follows_the_consent(self) -> None:
        self.assertEqual(followup_phase(self.dana), "none")
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
        self.assertEqual(followup_phase(self.dana), "active")
        withdraw(consent, actor=actor_for(self.dana_user))
        self.assertEqual(followup_phase(self.dana), "ended")
        # Back in therapy (a new open episode): not "ended" any more.
        make_episode(self.dana, status="referral", start_date=date(2026, 9, 1))
        self.assertEqual(followup_phase(self.dana), "none")

    def test_the_phase_takes_one_query(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.agree()
        with self.assertNumQueries(1):
            self.assertEqual(followup_phase(self.dana), "active")

    def test_the_portal_menu_shows_follow_up_during_follow_up(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.agree()
            self.login(self.dana_user)
            response = self.client.get("/portal/")
        self.assertContains(response, 'href="/portal/follow-up/"')
        self.assertContains(response, 'href="/portal/reminders/"')

    def test_staff_never_reach_the_portal_pages(self) -> None:
        for person in (self.alice, self.bob, self.charlie):
            self.login(person)
            for path in ("", "check-in/", "booster/"):
                self.assertEqual(self.client.get(f"/portal/follow-up/{path}").status_code, 404)
            for path in ("accept/", "decline/", "withdraw/", "check-in/", "booster/"):
                self.assertEqual(self.client.post(f"/portal/follow-up/{path}").status_code, 404)

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        response = self.client.get("/portal/follow-up/")
        self.assertRedirects(
            response, "/accounts/login/?next=/portal/follow-up/", fetch_redirect_response=False
        )
        self.assertEqual(self.client.post("/portal/follow-up/withdraw/").status_code, 302)

    def test_a_client_without_follow_up_sees_so(self) -> None:
        self.login(self.dana_user)
        response = self.client.get("/portal/follow-up/")
        self.assertContains(response, "You have no follow-up check-ins")
        self.assertEqual(self.client.get("/portal/follow-up/check-in/").status_code, 302)

    def test_dates_are_the_clients_own(self) -> None:
        # 23:30 UTC on 29 July is already 30 July in London: the check-in is open.
        with time_machine.travel(AFTER_END, tick=False):
            self.agree()
        with time_machine.travel(datetime(2026, 7, 29, 23, 30, tzinfo=UTC), tick=False):
            self.login(self.dana_user)
            self.assertContains(self.client.get("/portal/follow-up/"), "Start the check-in")
        with time_machine.travel(datetime(2026, 7, 29, 22, 30, tzinfo=UTC), tick=False):
            self.assertContains(self.client.get("/portal/follow-up/"), "Your next check-in is on")
