"""The termination plan: agreeing it (active → ending), tapering sessions, referrals, changes,
and the client reading and accepting it in the portal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Episode
from continuum.care.services.episodes import transition_episode
from continuum.endings import services
from continuum.endings.models import EndingReason, Referral, TerminationPlan
from continuum.endings.tests.world import EndingsTestCase
from continuum.testing.base import make_appointment, make_client

LONDON = ZoneInfo("Europe/London")
# A Thursday at the start of October 2026: the clocks go back on Sunday 25 October.
NOW = datetime(2026, 10, 1, 10, 0, tzinfo=LONDON)


def plan_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reason": EndingReason.GOALS_MET,
        "reason_other": "",
        "final_session_date": "2026-12-21",
        "ending_discussed": "on",
        "feelings_explored": "on",
        "gains_reviewed": "on",
        "first_date": "2026-10-12",
        "time": "09:00",
        "duration_minutes": "50",
        "modality": "in_person",
        "stage_1_weeks": "1",
        "stage_1_count": "3",
        "stage_2_weeks": "2",
        "stage_2_count": "2",
        "stage_3_weeks": "4",
        "stage_3_count": "1",
        "stage_4_weeks": "4",
        "stage_4_count": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def no_tapering(**overrides: Any) -> dict[str, Any]:
    return plan_data(
        first_date="", stage_1_count="0", stage_2_count="0", stage_3_count="0", **overrides
    )


@time_machine.travel(NOW, tick=False)
class AgreePlanTests(EndingsTestCase):
    def page(self, episode: Episode | None = None) -> str:
        return self.url("ending", episode_id=(episode or self.episode).pk)

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.page())

    def test_it_rejects_other_therapists(self) -> None:
        self.assert_outsiders_get_404(self.page())

    def test_the_form_is_offered_on_an_active_episode(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.page())
        self.assertContains(response, "Agree the plan with the client")
        self.assertContains(response, "Tapering schedule")
        self.assertContains(response, 'for="id_stage_1_weeks"')
        self.assertEqual(AuditEvent.objects.filter(action="ending.plan_view").count(), 1)

    def test_agreeing_moves_the_episode_to_ending_and_books_the_tapering_sessions(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.page(), plan_data(), follow=True)
        self.assertContains(
            response, "The ending plan is agreed, and 6 tapering sessions were booked."
        )
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ENDING)
        plan = TerminationPlan.objects.get()
        self.assertEqual(
            (plan.reason, plan.final_session_date, plan.version, plan.agreed_by),
            (EndingReason.GOALS_MET, date(2026, 12, 21), 1, self.alice),
        )
        self.assertEqual(
            [
                plan.ending_discussed,
                plan.feelings_explored,
                plan.gains_reviewed,
                plan.referrals_offered,
            ],
            [True, True, True, False],
        )
        self.assertEqual(
            plan.tapering,
            [{"weeks": 1, "count": 3}, {"weeks": 2, "count": 2}, {"weeks": 4, "count": 1}],
        )
        booked = list(plan.appointments.order_by("starts_at"))
        local = [a.starts_at.astimezone(LONDON) for a in booked]
        self.assertEqual(
            [d.date() for d in local],
            [
                date(2026, 10, 12),
                date(2026, 10, 19),
                date(2026, 10, 26),  # after the clocks went back
                date(2026, 11, 9),
                date(2026, 11, 23),
                date(2026, 12, 21),
            ],
        )
        # The same 09:00 on the therapist's clock; UTC moves with the clocks (DST-safe).
        self.assertEqual({(d.hour, d.minute) for d in local}, {(9, 0)})
        self.assertEqual([a.starts_at.astimezone(UTC).hour for a in booked], [8, 8, 9, 9, 9, 9])
        self.assertEqual({a.episode_id for a in booked}, {self.episode.pk})
        self.assertEqual({a.status for a in booked}, {AppointmentStatus.SCHEDULED})
        self.assertContains(response, "Mon 26 Oct 2026, 09:00")
        actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
        self.assertEqual(
            actions[-4:],
            ["appointment.create", "episode.transition", "ending.plan.agree", "ending.plan_view"],
        )
        detail = AuditEvent.objects.get(action="ending.plan.agree").detail
        self.assertEqual(detail["sessions_booked"], 6)
        self.assertEqual(detail["reason"], "goals_met")

    def test_the_agreed_final_session_is_booked_with_the_tapering_ones(self) -> None:
        self.login(self.alice)
        self.client.post(self.page(), plan_data(final_session_date="2027-01-04"))
        plan = TerminationPlan.objects.get()
        booked = [a.starts_at.astimezone(LONDON) for a in plan.appointments.order_by("starts_at")]
        self.assertEqual(len(booked), 7)
        self.assertEqual(booked[-2].date(), date(2026, 12, 21))  # the last tapering session
        self.assertEqual(booked[-1].date(), date(2027, 1, 4))  # the agreed final session
        self.assertEqual((booked[-1].hour, booked[-1].minute), (9, 0))
        # The tapering stages are what was agreed; the final session is not a stage.
        self.assertEqual(
            plan.tapering,
            [{"weeks": 1, "count": 3}, {"weeks": 2, "count": 2}, {"weeks": 4, "count": 1}],
        )

    def test_a_plan_without_tapering_books_its_final_session(self) -> None:
        # Issue 14: the agreed final session was booked only alongside tapering sessions.
        self.login(self.alice)
        self.client.post(self.page(), no_tapering(final_session_date="2027-01-04"))
        plan = TerminationPlan.objects.get()
        booked = [a.starts_at.astimezone(LONDON) for a in plan.appointments.all()]
        self.assertEqual([(b.date(), b.hour, b.minute) for b in booked], [(date(2027, 1, 4), 9, 0)])
        self.assertEqual(plan.tapering, [])
        detail = AuditEvent.objects.get(action="ending.plan.agree").detail
        self.assertEqual(detail["sessions_booked"], 1)
        self.assertEqual(Appointment.objects.filter(starts_at__gt=NOW).count(), 1)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ENDING)

    def test_a_plan_without_tapering_asks_for_the_final_sessions_time(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.page(), no_tapering(time=""))
        self.assertContains(response, "Choose the time of the final session.", status_code=400)
        self.assertFalse(TerminationPlan.objects.exists())

    def test_a_final_session_already_booked_that_day_is_not_booked_again(self) -> None:
        # The client's usual session falls on the agreed final date: that session is the
        # final one, so nothing is booked and no time is asked for.
        make_appointment(self.dana, datetime(2027, 1, 4, 16, 30, tzinfo=LONDON))
        self.login(self.alice)
        response = self.client.post(
            self.page(), no_tapering(final_session_date="2027-01-04", time="")
        )
        self.assertEqual(response.status_code, 302)
        plan = TerminationPlan.objects.get()
        self.assertEqual(list(plan.appointments.all()), [])
        self.assertEqual(Appointment.objects.filter(starts_at__gt=NOW).count(), 1)
        self.assertEqual(
            AuditEvent.objects.get(action="ending.plan.agree").detail["sessions_booked"], 0
        )

    def assert_nothing_written(self, *, booked_before: int = 0) -> None:
        self.assertFalse(TerminationPlan.objects.exists())
        self.assertEqual(Appointment.objects.filter(starts_at__gt=NOW).count(), booked_before)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ACTIVE)
        self.assertFalse(AuditEvent.objects.filter(action="ending.plan.agree").exists())

    def test_bad_input_is_explained_next_to_the_field_and_nothing_is_written(self) -> None:
        self.login(self.alice)
        cases = [
            (plan_data(ending_discussed=None), "tick this once you have discussed ending"),
            (plan_data(reason="other"), "Say what the other reason is."),
            (plan_data(reason="nonsense"), "Select a valid choice."),
            (plan_data(final_session_date="2026-09-01"), "cannot be in the past"),
            (plan_data(final_session_date="14/12/2026"), "Enter a date like 2026-07-06."),
            (plan_data(final_session_date="2026-12-01"), "after this date"),
            (plan_data(first_date=""), "Choose the date of the first tapering session."),
            (plan_data(time=""), "Choose the time of the tapering sessions."),
            (plan_data(stage_1_count="13"), "less than or equal to 12"),
            (plan_data(stage_1_weeks="5"), "Choose how often the sessions are."),
            (plan_data(first_date="2026-09-20"), "cannot be in the past"),
            (
                plan_data(reason=EndingReason.THERAPIST_REFERRAL),
                "A therapist-initiated ending offers referrals",
            ),
        ]
        for data, message in cases:
            response = self.client.post(self.page(), data)
            self.assertContains(response, message, status_code=400, msg_prefix=message)
        self.assert_nothing_written()

    def test_a_time_the_clocks_skip_is_refused(self) -> None:
        self.login(self.alice)
        with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=LONDON), tick=False):
            data = plan_data(
                first_date="2026-03-22",
                time="01:30",
                final_session_date="2026-05-01",
                stage_1_count="2",
                stage_2_count="0",
                stage_3_count="0",
            )
            response = self.client.post(self.page(), data)
        self.assertContains(
            response, "The clocks change on 29 Mar 2026 in Europe/London", status_code=400
        )
        self.assert_nothing_written()

    def test_a_therapist_initiated_ending_needs_a_referral(self) -> None:
        self.login(self.alice)
        data = no_tapering(reason=EndingReason.THERAPIST_REFERRAL, referrals_offered="on")
        response = self.client.post(self.page(), data)
        self.assertContains(response, "Add at least one referral before agreeing", status_code=400)
        self.assert_nothing_written()
        services.add_referral(
            self.episode,
            name="Specialist service",
            service="",
            contact="",
            reason="",
            actor=actor_for(self.alice),
        )
        self.client.post(self.page(), data)
        self.assertEqual(TerminationPlan.objects.get().reason, EndingReason.THERAPIST_REFERRAL)

    def test_an_overlap_is_shown_and_booked_only_when_confirmed(self) -> None:
        busy = datetime(2026, 10, 19, 9, 30, tzinfo=LONDON)
        make_appointment(self.finn, busy)  # Bob's client: not a clash for Alice
        make_appointment(self.dana, busy, episode=self.episode)
        self.login(self.alice)
        response = self.client.post(self.page(), plan_data())
        self.assertContains(response, "Some sessions overlap other appointments", status_code=400)
        self.assertContains(response, "Mon 19 Oct 2026, 09:00", status_code=400)
        self.assert_nothing_written(booked_before=2)
        response = self.client.post(self.page(), plan_data(book_anyway="on"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(TerminationPlan.objects.get().appointments.count(), 6)

    def test_changing_the_plan_makes_a_new_version_to_accept_again(self) -> None:
        self.login(self.alice)
        self.client.post(self.page(), no_tapering())
        plan = TerminationPlan.objects.get()
        services.accept_termination_plan(plan, version=1, actor=actor_for(self.dana_portal))
        page = self.client.get(self.page())
        self.assertContains(page, "Change the plan")
        self.assertNotContains(page, "Tapering schedule")
        response = self.client.post(
            self.page(), no_tapering(final_session_date="2027-01-11"), follow=True
        )
        self.assertContains(response, "The ending plan was changed.")
        plan.refresh_from_db()
        self.assertEqual((plan.version, plan.final_session_date), (2, date(2027, 1, 11)))
        self.assertFalse(plan.accepted)
        self.assertEqual(
            AuditEvent.objects.filter(action="episode.transition").count(), 1
        )  # still ending: no second transition
        self.assertEqual(AuditEvent.objects.get(action="ending.plan.update").detail["version"], 2)

    def test_an_ended_episode_keeps_its_plan(self) -> None:
        self.login(self.alice)
        self.client.post(self.page(), no_tapering())
        transition_episode(self.episode, EpisodeStatus.ENDED, self.alice)
        page = self.client.get(self.page())
        self.assertContains(page, "The agreed plan (version 1)")
        self.assertNotContains(page, "Change the plan")
        response = self.client.post(self.page(), no_tapering(final_session_date="2027-02-01"))
        self.assertContains(response, "can no longer change", status_code=400)
        self.assertEqual(TerminationPlan.objects.get().version, 1)

    def test_a_referral_episode_cannot_be_planned(self) -> None:
        referral = Episode.objects.create(
            client=make_client(self.bob, "Gus"),
            therapist=self.bob,
            referral_reason="x",
            start_date=date(2026, 9, 1),
            status=EpisodeStatus.REFERRAL,
        )
        with self.assertRaisesMessage(services.EndingError, "this one is referral"):
            services.agree_termination_plan(
                referral,
                terms=services.PlanTerms(
                    "goals_met", "", date(2026, 12, 1), True, True, True, True
                ),
                actor=actor_for(self.bob),
            )

    def test_the_ending_page_offers_the_final_step(self) -> None:
        self.login(self.alice)
        self.client.post(self.page(), no_tapering())
        page = self.client.get(self.page())
        self.assertContains(page, "After the final session")
        self.assertContains(page, "Move to Ended")


@time_machine.travel(NOW, tick=False)
class ReferralTests(EndingsTestCase):
    def test_it_requires_login(self) -> None:
        referral = services.add_referral(
            self.episode, name="GP", service="", contact="", reason="", actor=actor_for(self.alice)
        )
        self.assert_login_required(self.url("referral_add", episode_id=self.episode.pk))
        self.assert_login_required(self.url("referral_remove", referral_id=referral.pk))

    def test_it_rejects_other_therapists(self) -> None:
        referral = services.add_referral(
            self.episode, name="GP", service="", contact="", reason="", actor=actor_for(self.alice)
        )
        self.assert_outsiders_get_404(self.url("referral_add", episode_id=self.episode.pk))
        self.assert_outsiders_get_404(self.url("referral_remove", referral_id=referral.pk))
        self.assertTrue(Referral.objects.filter(pk=referral.pk).exists())

    def test_adding_and_removing_a_referral(self) -> None:
        self.login(self.alice)
        url = self.url("referral_add", episode_id=self.episode.pk)
        response = self.client.post(
            url,
            {
                "name": "Riverside Walking Group",
                "service": "Peer support",
                "contact": "01234 567890",
                "reason": "Keeps Dana active",
                "return_to": "ending",
            },
            follow=True,
        )
        self.assertContains(response, "Referral added.")
        self.assertContains(response, "Riverside Walking Group")
        referral = Referral.objects.get()
        with connection.cursor() as cursor:
            cursor.execute("SELECT reason FROM endings_referral WHERE id = %s", [referral.pk])
            self.assertNotIn("Keeps Dana active", cursor.fetchone()[0])
        self.assertEqual(referral.reason, "Keeps Dana active")
        remove = self.url("referral_remove", referral_id=referral.pk)
        response = self.client.post(remove, {"return_to": "unplanned"})
        self.assertRedirects(response, self.url("unplanned", episode_id=self.episode.pk))
        self.assertFalse(Referral.objects.exists())
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action__startswith="ending.referral").values_list(
                    "action", flat=True
                )
            ),
            ["ending.referral.add", "ending.referral.remove"],
        )

    def test_a_referral_needs_a_name_and_nothing_is_stored_without_one(self) -> None:
        self.login(self.alice)
        url = self.url("referral_add", episode_id=self.episode.pk)
        response = self.client.post(url, {"name": "", "return_to": "unplanned"})
        self.assertContains(response, "Enter who the client is referred to.", status_code=400)
        self.assertContains(response, "Unplanned ending", status_code=400)
        response = self.client.post(url, {"name": "GP", "return_to": "https://evil.example"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Referral.objects.exists())


@time_machine.travel(NOW, tick=False)
class PortalEndingTests(EndingsTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        services.add_referral(
            cls.episode,
            name="Riverside Walking Group",
            service="Peer support",
            contact="01234 567890",
            reason="For the record only",
            actor=actor_for(cls.alice),
        )

    def agree(self) -> TerminationPlan:
        with time_machine.travel(NOW, tick=False):
            return services.agree_termination_plan(
                self.episode,
                terms=services.PlanTerms(
                    EndingReason.MUTUAL, "", date(2026, 11, 23), True, True, True, True
                ),
                taper=services.Tapering(
                    starts=[
                        datetime(2026, 10, 12, 9, tzinfo=LONDON),
                        datetime(2026, 11, 9, 9, tzinfo=LONDON),
                    ],
                    rows=[{"weeks": 4, "count": 2}],
                ),
                actor=actor_for(self.alice),
            )

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url("portal_ending"))
        self.assert_login_required(self.url("portal_ending_accept"))

    def test_staff_get_404(self) -> None:
        self.agree()
        self.assert_staff_get_404_on_portal(self.url("portal_ending"))
        self.assert_staff_get_404_on_portal(self.url("portal_ending_accept"))

    def test_before_a_plan_there_is_nothing_to_accept(self) -> None:
        self.client.force_login(self.dana_portal)
        response = self.client.get(self.url("portal_ending"))
        self.assertContains(response, "There is no ending plan yet.")
        self.assertEqual(self.client.post(self.url("portal_ending_accept")).status_code, 404)

    def test_the_client_reads_the_plan_in_plain_words_and_accepts_it(self) -> None:
        plan = self.agree()
        self.client.force_login(self.dana_portal)
        response = self.client.get(self.url("portal_ending"))
        self.assertContains(response, "We decided together that it is a good time to finish.")
        self.assertContains(response, "Monday 23 November 2026")
        self.assertContains(response, "Monday 12 October, 09:00")
        self.assertContains(response, "Riverside Walking Group, Peer support: 01234 567890")
        self.assertNotContains(response, "For the record only")
        self.assertNotContains(response, "Mutual decision")  # the therapist's label
        self.assertContains(response, "I agree with this plan")
        accepted = self.client.post(self.url("portal_ending_accept"), {"version": "1"}, follow=True)
        self.assertContains(accepted, "Your therapist will see that you agreed the plan.")
        self.assertContains(accepted, "You agreed this plan on")
        plan.refresh_from_db()
        self.assertTrue(plan.accepted)
        self.assertEqual(plan.accepted_version, 1)
        event = AuditEvent.objects.get(action="ending.plan.accept")
        self.assertEqual(
            (event.actor_id, event.practice_id), (self.dana_portal.pk, self.riverside.pk)
        )
        # Accepting twice writes nothing more.
        self.client.post(self.url("portal_ending_accept"), {"version": "1"})
        self.assertEqual(AuditEvent.objects.filter(action="ending.plan.accept").count(), 1)
        # The therapist sees it.
        self.login(self.alice)
        page = self.client.get(self.url("ending", episode_id=self.episode.pk))
        self.assertContains(page, "Accepted this version in the portal on")

    def test_a_plan_changed_while_reading_is_not_accepted_unread(self) -> None:
        plan = self.agree()
        plan.version = 2
        plan.save(update_fields=["version"])
        self.client.force_login(self.dana_portal)
        response = self.client.post(self.url("portal_ending_accept"), {"version": "1"}, follow=True)
        self.assertContains(response, "Your ending plan was changed while you were reading it.")
        plan.refresh_from_db()
        self.assertIsNone(plan.client_accepted_at)
        self.assertEqual(
            self.client.post(self.url("portal_ending_accept"), {"version": "x"}).status_code, 400
        )

    def test_a_reopened_course_of_care_does_not_show_the_old_plan(self) -> None:
        self.agree()
        self.client.force_login(self.dana_portal)
        self.assertContains(self.client.get(self.url("portal_ending")), "I agree with this plan")
        transition_episode(self.episode, EpisodeStatus.ENDED, self.alice)
        ended = self.client.get(self.url("portal_ending"))
        self.assertContains(ended, "We decided together that it is a good time to finish.")
        self.assertNotContains(ended, "I agree with this plan")  # nothing left to agree
        transition_episode(self.episode, EpisodeStatus.CLOSED, self.alice)
        Episode.objects.create(
            client=self.dana,
            therapist=self.alice,
            referral_reason="Back after a hard winter",
            start_date=date(2026, 10, 1),
            status=EpisodeStatus.ACTIVE,
            previous=self.episode,
        )
        response = self.client.get(self.url("portal_ending"))
        self.assertContains(response, "There is no ending plan yet.")

    def test_another_client_never_sees_the_plan(self) -> None:
        self.agree()
        self.client.force_login(self.eli_portal)
        response = self.client.get(self.url("portal_ending"))
        self.assertNotContains(response, "Riverside Walking Group")
        self.assertContains(response, "There is no ending plan yet.")
        self.assertEqual(
            self.client.post(self.url("portal_ending_accept"), {"version": "1"}).status_code, 404
        )
