"""The client's reminder preferences page in the portal."""

from __future__ import annotations

from datetime import time

from continuum.accounts.models import User
from continuum.audit.models import AuditEvent
from continuum.notify.models import ReminderPreferences
from continuum.testing.base import BaseTestCase, make_portal_user

URL = "/portal/reminders/"


def data(**overrides: str) -> dict[str, str]:
    values = {
        "appointments": "on",
        "checkins": "on",
        "quiet_start": "22:00",
        "quiet_end": "07:30",
        "time_zone": "Europe/Paris",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


class PreferencesPageTests(BaseTestCase):
    dana_user: User
    eli_user: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana_user = make_portal_user(cls.dana)
        cls.eli_user = make_portal_user(cls.eli)

    def test_it_requires_login(self) -> None:
        self.assertRedirects(
            self.client.get(URL), f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )

    def test_staff_get_404(self) -> None:
        for person in (self.alice, self.bob, self.charlie):
            self.login(person)
            self.assertEqual(self.client.get(URL).status_code, 404)
            self.assertEqual(self.client.post(URL, data()).status_code, 404)
        self.assertFalse(ReminderPreferences.objects.exists())

    def test_it_shows_the_defaults(self) -> None:
        self.login(self.dana_user)
        response = self.client.get(URL)
        self.assertContains(response, "Reminders by email")
        self.assertContains(response, 'value="21:00"')
        self.assertContains(response, 'value="08:00"')
        self.assertContains(response, '<option value="Europe/London" selected>')
        self.assertContains(response, 'aria-current="page">Reminders<')

    def test_the_client_saves_their_choices_and_time_zone(self) -> None:
        self.login(self.dana_user)
        response = self.client.post(URL, data(), follow=True)
        self.assertContains(response, "Your reminder choices were saved.")
        prefs = ReminderPreferences.objects.get(client=self.dana)
        self.assertEqual(
            (prefs.appointments, prefs.questionnaires, prefs.checkins, prefs.followup),
            (True, False, True, False),
        )
        self.assertEqual((prefs.quiet_start, prefs.quiet_end), (time(22, 0), time(7, 30)))
        self.dana.refresh_from_db()
        self.dana_user.refresh_from_db()
        self.assertEqual((self.dana.time_zone, self.dana_user.time_zone), ("Europe/Paris",) * 2)
        event = AuditEvent.objects.get(action="notify.preferences")
        self.assertEqual(event.actor_id, self.dana_user.pk)
        self.assertIn("time_zone", event.detail["fields"])
        # Eli's are untouched.
        self.assertFalse(ReminderPreferences.objects.filter(client=self.eli).exists())

    def test_no_quiet_hours(self) -> None:
        self.login(self.dana_user)
        self.client.post(URL, data(quiet_start="", quiet_end=""))
        prefs = ReminderPreferences.objects.get()
        self.assertEqual((prefs.quiet_start, prefs.quiet_end), (None, None))

    def test_bad_input_is_explained_and_nothing_is_written(self) -> None:
        self.login(self.dana_user)
        for change, message in (
            ({"quiet_end": ""}, "Give both the start and the end"),
            ({"quiet_start": "25:00"}, "Enter a time like 21:00."),
            ({"quiet_end": "22:00"}, "must end at a different time"),
            ({"time_zone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ):
            response = self.client.post(URL, data(**change))
            self.assertContains(response, message, status_code=400)
        self.assertFalse(ReminderPreferences.objects.exists())
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.time_zone, "Europe/London")
