"""Shared fixtures for the reflection tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from django.urls import reverse

from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import BaseTestCase, make_appointment

# Wednesday 8 July 2026, 13:00 in London.
NOW = datetime(2026, 7, 8, 12, 0, tzinfo=UTC)


def make_reflection(
    client: Client,
    text: str = "Seemed guarded when talking about work",
    *,
    author: Any = None,
    kind: str = ReflectionKind.CONCERN,
    **extra: Any,
) -> Reflection:
    return Reflection.objects.create(
        author=author or client.therapist, client=client, kind=kind, text=text, **extra
    )


def list_url(client: Client) -> str:
    return reverse("reflections:client_reflections", kwargs={"client_id": client.pk})


def create_url(client: Client) -> str:
    return reverse("reflections:reflection_create", kwargs={"client_id": client.pk})


def detail_url(reflection: Reflection) -> str:
    return reverse("reflections:reflection_detail", kwargs={"reflection_id": reflection.pk})


def edit_url(reflection: Reflection) -> str:
    return reverse("reflections:reflection_edit", kwargs={"reflection_id": reflection.pk})


def address_url(reflection: Reflection) -> str:
    return reverse("reflections:reflection_address", kwargs={"reflection_id": reflection.pk})


def unaddress_url(reflection: Reflection) -> str:
    return reverse("reflections:reflection_unaddress", kwargs={"reflection_id": reflection.pk})


class ReflectionTestCase(BaseTestCase):
    """Alice's client Dana has two attended sessions and one upcoming; Bob's Finn has one."""

    earlier: Appointment
    attended: Appointment
    upcoming: Appointment
    finn_session: Appointment

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.earlier = make_appointment(
            cls.dana, datetime(2026, 6, 24, 10, 0, tzinfo=UTC), status=AppointmentStatus.ATTENDED
        )
        cls.attended = make_appointment(
            cls.dana, datetime(2026, 7, 1, 10, 0, tzinfo=UTC), status=AppointmentStatus.ATTENDED
        )
        cls.upcoming = make_appointment(cls.dana, datetime(2026, 7, 15, 10, 0, tzinfo=UTC))
        cls.finn_session = make_appointment(
            cls.finn, datetime(2026, 7, 2, 10, 0, tzinfo=UTC), status=AppointmentStatus.ATTENDED
        )

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def assert_login_required(self, url: str) -> None:
        for method in ("get", "post"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def assert_outsiders_get_404(self, url: str, data: dict[str, Any] | None = None) -> None:
        """Bob (same practice), Olivia (the owner) and Charlie (other practice): 404 always."""
        for user in (self.bob, self.olivia, self.charlie):
            self.login(user)
            for method in ("get", "post"):
                with self.subTest(user=user.email, method=method):
                    response = getattr(self.client, method)(url, data or {})
                    self.assertEqual(response.status_code, 404)
