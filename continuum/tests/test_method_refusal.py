"""One way to refuse a method: `accounts.http.refuse`, called after the object lookup, so an
outsider gets the same 404 whatever the method and everyone else a 405 naming what is allowed."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

from continuum.testing.base import BaseTestCase, make_appointment, make_episode

ROOT = Path(__file__).resolve().parents[1]
# Other ways to answer 405 that the code no longer uses (accounts/http.py wraps the first).
OTHER_WAYS = re.compile(r"HttpResponseNotAllowed\(|\brequire_(http_methods|POST|GET|safe)\b")


class OneWayTests(BaseTestCase):
    def test_only_refuse_answers_405(self) -> None:
        offenders = [
            str(path.relative_to(ROOT))
            for path in sorted(ROOT.rglob("*.py"))
            if "tests" not in path.parts
            and path != ROOT / "accounts" / "http.py"
            and OTHER_WAYS.search(path.read_text())
        ]
        self.assertEqual(offenders, [], "refuse a method with accounts.http.refuse")

    def test_a_read_only_page_names_its_methods(self) -> None:
        self.login(self.alice)
        response = self.client.post(reverse("continuity:day"))
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "GET, HEAD")

    def test_the_schedule_answers_get_only(self) -> None:
        self.login(self.alice)
        for method in ("post", "head"):
            response = getattr(self.client, method)(reverse("care:schedule"))
            self.assertEqual(response.status_code, 405, method)
            self.assertEqual(response["Allow"], "GET")
        self.assertEqual(self.client.get(reverse("care:schedule")).status_code, 200)

    def test_an_outsider_gets_404_whatever_the_method(self) -> None:
        appointment = make_appointment(self.dana, episode=make_episode(self.dana))
        url = reverse("continuity:brief", args=[appointment.pk])
        self.login(self.charlie)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.login(self.alice)
        response = self.client.post(url)
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "GET, HEAD")
