from __future__ import annotations

from io import StringIO

from django.conf import settings
from django.core.management import CommandError, call_command

from continuum.accounts.models import Membership, Practice, Role, User
from continuum.audit.models import AuditEvent
from continuum.testing.base import BaseTestCase

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("create_practice", *args, stdout=out)
    return out.getvalue()


class CreatePracticeCommandTests(BaseTestCase):
    def test_it_creates_the_practice_and_its_owner(self) -> None:
        output = run_command(
            "Lakeside Psychology",
            "--owner",
            "Nora@Example.org",
            "--owner-name",
            "Nora North",
            "--time-zone",
            "Europe/Berlin",
        )

        practice = Practice.objects.get(name="Lakeside Psychology")
        self.assertEqual(practice.time_zone, "Europe/Berlin")
        owner = User.objects.get(email="nora@example.org")
        self.assertEqual(owner.full_name, "Nora North")
        self.assertEqual(owner.time_zone, "Europe/Berlin")
        self.assertFalse(owner.has_usable_password())
        membership = owner.membership
        self.assertEqual(membership.practice, practice)
        self.assertEqual(membership.role, Role.OWNER)
        self.assertTrue(membership.is_clinical)
        self.assertTrue(membership.is_active)
        self.assertIn(f"{settings.SITE_URL}/set-password/", output)

        event = AuditEvent.objects.get(action="practice.create")
        self.assertIsNone(event.actor)
        self.assertEqual(event.actor_label, "system")
        self.assertEqual(event.practice, practice)
        self.assertEqual(event.detail, {"owner_id": owner.pk, "clinical": True})

    def test_no_clinical_makes_an_administering_owner(self) -> None:
        run_command("Admin Only", "--owner", "admin@example.org", "--no-clinical")

        membership = Membership.objects.get(user__email="admin@example.org")
        self.assertEqual(membership.role, Role.OWNER)
        self.assertFalse(membership.is_clinical)
        self.assertEqual(membership.practice.time_zone, "UTC")

    def test_the_printed_link_works_once(self) -> None:
        output = run_command("Lakeside", "--owner", "nora@example.org")
        link = next(line for line in output.splitlines() if "/set-password/" in line)
        path = link.removeprefix(settings.SITE_URL)

        form_page = self.client.get(path, follow=True)
        self.assertContains(form_page, "Choose your password")
        response = self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

        self.assertRedirects(response, "/", fetch_redirect_response=False)
        owner = User.objects.get(email="nora@example.org")
        self.assertTrue(owner.check_password(NEW_PASSWORD))
        self.assertEqual(self.client.session["_auth_user_id"], str(owner.pk))

        self.client.logout()
        again = self.client.get(path)
        self.assertContains(again, "This link has expired or was already used", status_code=400)

    def test_it_refuses_an_email_already_in_use(self) -> None:
        with self.assertRaisesMessage(CommandError, "already has a Continuum account"):
            run_command("Copycat", "--owner", "ALICE@example.org")

        self.assertFalse(Practice.objects.filter(name="Copycat").exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_refuses_an_unknown_time_zone(self) -> None:
        with self.assertRaisesMessage(CommandError, "“Mars/Olympus” is not a known time zone"):
            run_command("Far Away", "--owner", "far@example.org", "--time-zone", "Mars/Olympus")

        self.assertFalse(Practice.objects.filter(name="Far Away").exists())
        self.assertFalse(User.objects.filter(email="far@example.org").exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_refuses_an_invalid_email(self) -> None:
        with self.assertRaisesMessage(CommandError, "Enter a valid email address."):
            run_command("Nowhere", "--owner", "not-an-email")

        self.assertFalse(Practice.objects.filter(name="Nowhere").exists())

    def test_it_refuses_an_empty_name(self) -> None:
        with self.assertRaisesMessage(CommandError, "The practice needs a name."):
            run_command("   ", "--owner", "blank@example.org")

        self.assertFalse(User.objects.filter(email="blank@example.org").exists())
