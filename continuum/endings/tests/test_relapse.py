"""The relapse-prevention plan: written with the client, versioned, shared read-only in the
portal and kept after the episode ends."""

from __future__ import annotations

from typing import Any

from django.db import connection

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.episodes import EpisodeStatus
from continuum.care.services.episodes import transition_episode
from continuum.endings import services
from continuum.endings.models import RelapsePreventionPlan
from continuum.endings.tests.world import EndingsTestCase


def plan_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "warning_signs": "Staying in bed at weekends",
        "what_helps": "Walks with my sister",
        "contacts": "My GP on 01234 000000",
        "booster_when": "Two bad weeks in a row",
        "shared_with_client": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class RelapsePlanTests(EndingsTestCase):
    def page(self) -> str:
        return self.url("relapse_plan", client_id=self.dana.pk)

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.page())

    def test_it_rejects_other_therapists(self) -> None:
        self.assert_outsiders_get_404(self.page())

    def test_writing_and_updating_makes_versions(self) -> None:
        self.login(self.alice)
        empty = self.client.get(self.page())
        self.assertContains(empty, "Write the plan")
        self.client.post(self.page(), plan_form())
        response = self.client.post(
            self.page(), plan_form(what_helps="Walks, and calling Sam"), follow=True
        )
        self.assertContains(response, "The relapse-prevention plan is saved.")
        self.assertContains(response, "Version 2")
        self.assertContains(response, "Walks, and calling Sam")
        versions = list(RelapsePreventionPlan.objects.order_by("version"))
        self.assertEqual([v.version for v in versions], [1, 2])
        self.assertEqual(versions[0].what_helps, "Walks with my sister")  # kept as it was
        self.assertEqual({v.episode_id for v in versions}, {self.episode.pk})
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action="relapse_plan.save").values_list(
                    "detail", flat=True
                )
            ),
            [
                {"client_id": self.dana.pk, "version": 1, "shared": True},
                {"client_id": self.dana.pk, "version": 2, "shared": True},
            ],
        )

    def test_query_count_does_not_grow_with_the_versions(self) -> None:
        self.login(self.alice)
        for count in (1, 12):
            while RelapsePreventionPlan.objects.count() < count:
                services.save_relapse_plan(
                    self.dana,
                    episode=self.episode,
                    warning_signs="Signs",
                    what_helps="",
                    contacts="",
                    booster_when="",
                    shared_with_client=True,
                    actor=actor_for(self.alice),
                )
            # 1. session, 2. user, 3. membership, 4. the client, 5. the versions with their
            # authors, 6. the audit row.
            with self.assertNumQueries(6):
                response = self.client.get(self.page())
            self.assertContains(response, f"Version {count}")

    def test_the_text_is_encrypted_at_rest(self) -> None:
        self.login(self.alice)
        self.client.post(self.page(), plan_form())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT warning_signs, what_helps, contacts, booster_when "
                "FROM endings_relapsepreventionplan"
            )
            raw = " ".join(cursor.fetchone())
        for text in ("Staying in bed", "my sister", "01234 000000", "bad weeks"):
            self.assertNotIn(text, raw)

    def test_an_empty_plan_is_explained_and_not_saved(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.page(),
            plan_form(warning_signs="", what_helps=" ", contacts="", booster_when=""),
        )
        self.assertContains(response, "Write at least one part of the plan.", status_code=400)
        too_long = self.client.post(self.page(), plan_form(contacts="x" * 3001))
        self.assertContains(too_long, "at most 3000 characters", status_code=400)
        self.assertFalse(RelapsePreventionPlan.objects.exists())


class PortalRelapsePlanTests(EndingsTestCase):
    def save(self, **overrides: Any) -> RelapsePreventionPlan:
        fields: dict[str, Any] = {
            "warning_signs": "Staying in bed at weekends",
            "what_helps": "Walks with my sister",
            "contacts": "",
            "booster_when": "Two bad weeks in a row",
            "shared_with_client": True,
        }
        fields.update(overrides)
        return services.save_relapse_plan(
            self.dana, episode=self.episode, **fields, actor=actor_for(self.alice)
        )

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url("portal_relapse_plan"))

    def test_staff_get_404(self) -> None:
        self.save()
        self.assert_staff_get_404_on_portal(self.url("portal_relapse_plan"))

    def test_the_client_reads_the_latest_shared_version(self) -> None:
        self.save()
        self.save(what_helps="A draft the therapist keeps back", shared_with_client=False)
        self.client.force_login(self.dana_portal)
        response = self.client.get(self.url("portal_relapse_plan"))
        self.assertContains(response, "Your plan for staying well")
        self.assertContains(response, "Walks with my sister")
        self.assertNotContains(response, "A draft the therapist keeps back")
        self.assertContains(response, "Nothing written yet.")  # contacts left empty
        self.assertNotContains(response, "<textarea")  # read-only
        event = AuditEvent.objects.get(action="relapse_plan.portal_view")
        self.assertEqual(event.actor_id, self.dana_portal.pk)

    def test_it_stays_after_the_episode_ends(self) -> None:
        self.save()
        transition_episode(self.episode, EpisodeStatus.ENDED, self.alice)
        transition_episode(self.episode, EpisodeStatus.CLOSED, self.alice)
        self.client.force_login(self.dana_portal)
        self.assertContains(
            self.client.get(self.url("portal_relapse_plan")), "Walks with my sister"
        )
        ending = self.client.get(self.url("portal_ending"))
        self.assertContains(ending, "Your plan for staying well")
        self.assertContains(ending, "Your therapy summary")

    def test_another_client_sees_nothing(self) -> None:
        self.save()
        self.client.force_login(self.eli_portal)
        response = self.client.get(self.url("portal_relapse_plan"))
        self.assertNotContains(response, "Walks with my sister")
        self.assertContains(response, "has not shared a plan for staying well here yet")

    def test_post_is_refused(self) -> None:
        self.client.force_login(self.dana_portal)
        self.assertEqual(self.client.post(self.url("portal_relapse_plan")).status_code, 405)
