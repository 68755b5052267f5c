"""Issue 18, finding 4: every page that shows clinical content audits its read.

These pages showed clinical content and wrote no audit row: the alerts list, an alert's resolve
page, a questionnaire's enter and correct pages, the client edit form, an intervention's review
form, the day, the week schedule and the staff view of a client's portal; a second review found
an alert's "still relevant?" page, the episode, plan, goal, intervention and homework edit
forms and the score import's preview. The fixed list opens each as the client's therapist, with
the URL sweep's world, and counts the rows each GET wrote; the walk below opens every id route
of the URL sweep and fails on any page with no read row that is not on a commented allow-list.
"""

from __future__ import annotations

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.tests.test_url_sweep import ID_ROUTES, SweepWorld

# route name → the action its read writes
CLINICAL_READS = {
    "measures:alert_list": "measures.alert_list",
    "measures:alert_resolve": "measures.alert_view",
    "measures:administration_enter": "measures.administration_view",
    "measures:administration_correct": "measures.administration_view",
    "care:client_edit": "client.view",
    "plans:intervention_review": "intervention.view",
    "continuity:day": "day.view",
    "care:schedule": "schedule.view",
    "portal:client_portal": "portal.client_view",
    # A second review found these (issue 18, finding 4).
    "measures:alert_stale": "measures.alert_view",
    "care:episode_edit": "episode.view",
    "plans:plan_edit": "plan.view",
    "plans:goal_edit": "goal.view",
    "plans:intervention_edit": "intervention.view",
    "plans:intervention_create": "plan.view",
    "plans:homework_edit": "homework.view",
    "exchange:scores_preview": "score_import.view",
    "exchange:import_preview": "client_import.view",
}

# Id routes (test_url_sweep.ID_ROUTES) whose page, for its rightful person, shows no clinical
# content and so writes no read row. Every other id route that answers a GET with a page
# must write at least one audit row (`EveryIdRouteReadIsAuditedTests`). Each entry says why.
NOT_CLINICAL_ID_PAGES = {
    # The owner's pages: the roster's facts (a client's name, who treats them), never the
    # record. The break-glass form asks for a reason; the read it opens is audited, flagged.
    "accounts:reassign",
    "accounts:break_glass",
    "accounts:member_email",
    # One's own sign-in keys (passkeys).
    "passkey_remove",
    "mfa_remove_webauthn",
    "mfa_edit_webauthn",
    # Empty forms to add something: the client's name and, at most, an episode's dates and
    # status (which the owner's roster shows too), or a plan's version number.
    "care:episode_create",
    "care:appointment_create",
    "measures:assign",
    "followup:consent_create",
    "followup:reopen",
    "plans:goal_create",
    "reflections:reflection_create",
    # The therapist's own wellbeing (how heavy a session was): their record, not the client's.
    "wellbeing:session_weight",
    # The client's own portal pages with nothing of the record on them: a questionnaire's
    # questions to answer, the thanks after a check-in.
    "portal:questionnaire",
    "portal:checkin_done",
    "followup:portal_checkin_done",
}


class ClinicalReadsAreAuditedTests(SweepWorld):
    def test_each_clinical_page_writes_one_audit_row_naming_its_reader(self) -> None:
        self.login(self.alice)
        for name, action in CLINICAL_READS.items():
            with self.subTest(route=name):
                kwargs = ID_ROUTES[name][1](self) if name in ID_ROUTES else {}
                before = AuditEvent.objects.filter(action=action).count()
                response = self.client.get(reverse(name, kwargs=kwargs or None))
                self.assertEqual(response.status_code, 200)
                rows = AuditEvent.objects.filter(action=action).order_by("-pk")
                self.assertEqual(rows.count(), before + 1)
                self.assertEqual(rows[0].actor_id, self.alice.pk)

    def test_a_refused_read_writes_no_read_row(self) -> None:
        self.login(self.charlie)  # another practice
        for name, action in CLINICAL_READS.items():
            if name not in ID_ROUTES:
                continue
            with self.subTest(route=name):
                url = reverse(name, kwargs=ID_ROUTES[name][1](self))
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertFalse(AuditEvent.objects.filter(action=action, actor=self.charlie))


class EveryIdRouteReadIsAuditedTests(SweepWorld):
    """The walk: every id route of the URL sweep, opened (GET) by its rightful person. A page
    (200) that is not on the explicit allow-list above writes at least one audit row naming
    its reader, so a new clinical page without its read row fails here."""

    def test_every_clinical_id_page_writes_a_read_row(self) -> None:
        unaudited, pages, not_pages = [], set(), {}
        for name, (who, kwargs) in sorted(ID_ROUTES.items()):
            reader = getattr(self, who)
            self.client.logout()
            self.login(reader)
            last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = self.client.get(reverse(name, kwargs=kwargs(self)))
            if response.status_code != 200:
                not_pages[name] = response.status_code
                continue
            pages.add(name)
            if name in NOT_CLINICAL_ID_PAGES:
                continue
            if not AuditEvent.objects.filter(pk__gt=last, actor=reader).exists():
                unaudited.append(name)
        self.assertEqual(unaudited, [], "clinical pages that write no read row")
        # What answered no page: POST-only actions (405) and forms that send to the existing
        # thing (302: the appointment's note, the episode's draft plan). No 404 or 500.
        self.assertEqual(set(not_pages.values()) - {302, 405}, set(), not_pages)
        # The allow-list holds pages only, none stale.
        self.assertEqual(NOT_CLINICAL_ID_PAGES - pages, set())
        # The walk covers the fixed list's id routes too.
        self.assertLessEqual({n for n in CLINICAL_READS if n in ID_ROUTES}, pages)
