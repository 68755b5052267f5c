"""The day read from its attention table is the day the contributions compute, for the demo
practice: rebuilt from scratch (as the seed does) and kept one client at a time (as the
actions keep it, through lib.hooks.client_changed) (issue 13, "Fast at scale")."""

from __future__ import annotations

import time_machine
from django.utils import timezone

from continuum.accounts.models import User
from continuum.continuity.day import build_day
from continuum.continuity.models import Attention
from continuum.continuity.tests.test_attention import day_as_data
from continuum.demo.builder import DemoOptions, build_demo
from continuum.lib.hooks import client_changed
from continuum.testing.base import BaseTestCase


class TheTableGivesTheSameDay(BaseTestCase):
    def test_rebuild_incremental_and_live_agree_for_the_demo_practice(self) -> None:
        now = timezone.now().replace(microsecond=0)
        with time_machine.travel(now, tick=False):
            result = build_demo(DemoOptions(therapists=3, clients=30, seed=7, now=now))
            staff = list(result.practice.memberships.values_list("user", flat=True))
            users = list(User.objects.filter(pk__in=staff))
            kept = {u.pk: day_as_data(build_day(u, now)) for u in users}
            live = {u.pk: day_as_data(build_day(u, now, live=True)) for u in users}
            self.assertEqual(kept, live)
            self.assertTrue(any(kept.values()), "the demo day is not empty")
            # Kept one client at a time, as the actions keep it (lib.hooks.client_changed).
            Attention.objects.all().delete()
            for client_id in result.practice.clients.values_list("pk", flat=True):
                client_changed(client_id)
            incremental = {u.pk: day_as_data(build_day(u, now)) for u in users}
            self.assertEqual(incremental, live)
