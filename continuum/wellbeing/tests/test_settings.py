"""/me/load/settings/: the therapist's own limits and choices."""

from __future__ import annotations

from decimal import Decimal

from continuum.audit.models import AuditEvent
from continuum.wellbeing.models import WellbeingSettings
from continuum.wellbeing.tests.world import WellbeingTestCase

URL = "/me/load/settings/"
VALID = {
    "weekly_hours_limit": "22",
    "weight_threshold": "3.0",
    "weeks_running": "3",
    "heavy_sessions_per_week": "4",
    "prompts_enabled": "on",
    "digest_opt_in": "on",
}


class SettingsTests(WellbeingTestCase):
    def test_it_requires_login(self) -> None:
        for method in ("get", "post"):
            self.assertRedirects(
                getattr(self.client, method)(URL),
                f"/accounts/login/?next={URL}",
                fetch_redirect_response=False,
            )

    def test_the_defaults_show_before_anything_is_saved(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, 'name="weekly_hours_limit" value="25"')
        self.assertContains(response, 'name="weight_threshold" value="3.5"')
        self.assertContains(response, 'name="weeks_running" value="2"')
        self.assertContains(response, 'name="heavy_sessions_per_week" value="3"')
        self.assertFalse(WellbeingSettings.objects.exists())

    def test_saving_my_settings(self) -> None:
        self.login(self.alice)
        response = self.client.post(URL, VALID)
        self.assertRedirects(response, "/me/load/", fetch_redirect_response=False)
        row = WellbeingSettings.objects.get(therapist=self.alice)
        self.assertEqual(
            (
                row.weekly_hours_limit,
                row.weight_threshold,
                row.weeks_running,
                row.heavy_sessions_per_week,
                row.prompts_enabled,
                row.digest_opt_in,
                row.share_anonymous_aggregates,
            ),
            (22, Decimal("3.0"), 3, 4, True, True, False),
        )
        event = AuditEvent.objects.get(action="wellbeing.settings.update")
        # Which limits a therapist chose, or whether they share, is not the owner's to read.
        self.assertEqual((event.actor, event.detail), (self.alice, {}))
        self.assertContains(self.client.get("/me/load/"), "of your limit of 22")

    def test_bad_values_change_nothing(self) -> None:
        self.login(self.alice)
        for field, value, message in (
            ("weekly_hours_limit", "0", "The limit is at least 1 hour."),
            ("weekly_hours_limit", "200", "The limit is at most 80 hours."),
            ("weekly_hours_limit", "lots", "Give a whole number of hours."),
            ("weight_threshold", "6", "The weight is at most 5."),
            ("weight_threshold", "3.25", "Use at most one decimal place"),
            ("weeks_running", "9", "At most 8 weeks."),
            ("heavy_sessions_per_week", "", "Give a number of sessions."),
        ):
            response = self.client.post(URL, {**VALID, field: value})
            self.assertContains(response, message, status_code=400)
        self.assertFalse(WellbeingSettings.objects.exists())

    def test_each_therapist_has_their_own(self) -> None:
        self.login(self.alice)
        self.client.post(URL, VALID)
        self.login(self.bob)
        self.assertContains(self.client.get(URL), 'name="weekly_hours_limit" value="25"')
