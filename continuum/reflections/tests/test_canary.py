"""SECURITY.md promise 3: a reflection never leaves its author.

A canary is planted (through the pages, as Alice would) in a reflection, a self-reflection and
an "addressed" note. Then every GET route of the project is crawled, with the URL sweep's
route list and fixtures, as the practice owner, a colleague, a therapist of another practice
and the client herself (portal login), and again after the client moves to the colleague.
Pages, audit rows, log records and outgoing mail: 0 occurrences. (The raw database file is
checked in test_encryption.py.)
"""

from __future__ import annotations

import logging
from typing import Any

from django.core import mail
from django.urls import NoReverseMatch, reverse

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.audit.models import AuditEvent
from continuum.care.services.clients import reassign_client
from continuum.reflections.models import Reflection
from continuum.testing.base import make_portal_user
from continuum.tests.test_url_sweep import ID_ROUTES, SweepWorld, iter_routes

CANARY = "CANARY-7f3a"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.args)]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(repr(record.exc_info[1]))
        parts.extend(repr(v) for k, v in vars(record).items() if k not in _STANDARD)
        self.lines.append(" ".join(parts))


_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "", None, None))) | {"message"}


def _body(response: Any) -> str:
    """The text of a page or of a streamed download (the CSV exports)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return str(response.content.decode(errors="replace"))


def crawlable_urls(world: Any) -> list[str]:
    """Every named route: plain ones as they are, id routes with the sweep's fixtures."""
    urls = []
    for name, params in iter_routes():
        if not params:
            try:
                urls.append(reverse(name))
            except NoReverseMatch:
                continue
        elif name in ID_ROUTES:
            urls.append(reverse(name, kwargs=ID_ROUTES[name][1](world)))
    return sorted(set(urls))


class CanaryTests(SweepWorld):
    def setUp(self) -> None:
        self.logs = _Capture()
        # Everything, at every level: the root logger, and django.request (set to ERROR in
        # settings; lowered here so each 404 of the crawl is logged and checked too).
        root, requests = logging.getLogger(), logging.getLogger("django.request")
        self._levels = (root.level, requests.level)
        root.addHandler(self.logs)
        root.setLevel(logging.DEBUG)
        requests.setLevel(logging.DEBUG)
        self.addCleanup(self._restore_logging)
        self._plant()

    def _restore_logging(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.logs)
        root.setLevel(self._levels[0])
        logging.getLogger("django.request").setLevel(self._levels[1])

    def _plant(self) -> None:
        """Written through the pages, so the write path's logs and audit rows are covered."""
        self.login(self.alice)
        create = reverse("reflections:reflection_create", kwargs={"client_id": self.dana.pk})
        for kind, text in (
            ("concern", f"Worried about her safety {CANARY}"),
            ("self_reflection", f"I noticed my own impatience {CANARY}"),
        ):
            response = self.client.post(
                create,
                {"kind": kind, "text": text, "bring_to_next_session": "on"},
            )
            self.assertEqual(response.status_code, 302)
        planted = Reflection.objects.filter(author=self.alice).order_by("-pk").first()
        assert planted is not None
        response = self.client.post(
            reverse("reflections:reflection_address", kwargs={"reflection_id": planted.pk}),
            {"appointment": self.attended.pk, "note": f"We talked it through {CANARY}"},
        )
        self.assertEqual(response.status_code, 302)
        # The search box is a way in too: the author's own search must not log the words.
        self.client.get(
            reverse("reflections:client_reflections", kwargs={"client_id": self.dana.pk}),
            {"q": CANARY},
        )
        self.client.logout()
        self.assertEqual(
            sum(CANARY in r.text or CANARY in r.addressed_note for r in Reflection.objects.all()),
            2,
        )

    def _crawl(self, user: User) -> tuple[int, list[str]]:
        self.client.force_login(user)
        reached, leaks = 0, []
        for url in crawlable_urls(self):
            response = self.client.get(url)
            if response.status_code == 200:
                reached += 1
            body = _body(response)
            if CANARY in body:
                leaks.append(f"{user.email} GET {url} ({response.status_code})")
        self.client.logout()
        return reached, leaks

    def _assert_nothing_elsewhere(self) -> None:
        for event in AuditEvent.objects.all():
            row = " ".join(
                str(v)
                for v in (
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.actor_label,
                    event.detail,
                )
            )
            self.assertNotIn(CANARY, row, f"audit row {event.pk} ({event.action})")
        self.assertTrue(self.logs.lines, "the log capture saw nothing at all")
        for line in self.logs.lines:
            self.assertNotIn(CANARY, line)
        for message in mail.outbox:
            self.assertNotIn(CANARY, str(message.message()))

    def test_the_author_sees_the_canary(self) -> None:
        # The control: the crawl would find it if it were there.
        reached, leaks = self._crawl(self.alice)
        self.assertGreater(reached, 10)
        self.assertTrue(leaks)

    def test_nobody_else_sees_it_anywhere(self) -> None:
        # The sweep's world gives Dana a portal login; make one if it ever stops doing so.
        dana_portal = getattr(self, "dana_portal", None) or make_portal_user(self.dana)
        for user in (self.olivia, self.bob, self.charlie, dana_portal):
            with self.subTest(user=user.email):
                reached, leaks = self._crawl(user)
                self.assertEqual(leaks, [])
                self.assertGreater(reached, 0)
        # Anonymous visitors reach the public pages only; they must not see it either.
        for url in crawlable_urls(self):
            self.assertNotIn(CANARY, _body(self.client.get(url)))
        self._assert_nothing_elsewhere()

    def test_the_next_therapist_never_sees_it(self) -> None:
        reassign_client(self.dana, self.bob, actor=actor_for(self.olivia))
        for user in (self.bob, self.olivia):
            with self.subTest(user=user.email):
                _reached, leaks = self._crawl(user)
                self.assertEqual(leaks, [])
        # Bob now reaches Dana's pages (the client page, her reflections list...).
        self.client.force_login(self.bob)
        page = self.client.get(reverse("care:client_detail", kwargs={"client_id": self.dana.pk}))
        self.assertEqual(page.status_code, 200)
        self._assert_nothing_elsewhere()
