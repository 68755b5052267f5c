"""Issue 18, finding 4: every page that shows clinical content audits its read.

These pages showed clinical content and wrote no audit row: the alerts list, an alert's resolve
page, a questionnaire's enter and correct pages, the client edit form, an intervention's review
form, the day, the week schedule and the staff view of a client's portal. The walk opens each
as the client's therapist, with the URL sweep's world, and counts the rows each GET wrote.
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
