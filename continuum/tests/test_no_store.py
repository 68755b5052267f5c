"""Finding 8 of issue 18 (SECURITY.md promise 25): nothing cached after logout.

Every page answered to a logged-in person carries `Cache-Control: no-store`: walked over every
route of the URL sweep, id-bearing ones as their rightful person and the others as a
therapist, an owner and a portal client (whatever each gets, a page, a redirect or a 404).
"""

from __future__ import annotations

from django.urls import reverse

from continuum.tests.test_url_sweep import ID_ROUTES, SweepWorld, dummy_kwargs, iter_routes


class NoStoreSweep(SweepWorld):
    def _assert_no_store(self, url: str, who: str) -> None:
        response = self.client.get(url)
        self.assertIn(
            "no-store",
            response.get("Cache-Control", ""),
            f"{who} GET {url} ({response.status_code}) may be cached",
        )

    def test_every_authenticated_answer_says_no_store(self) -> None:
        people = {"alice": self.alice, "olivia": self.olivia, "dana_portal": self.dana_portal}
        checked = 0
        for name, (owner, build) in ID_ROUTES.items():
            self.client.force_login(people[owner])
            self._assert_no_store(reverse(name, kwargs=build(self)), owner)
            checked += 1
        for name, params in iter_routes():
            if name in ID_ROUTES or name == "account_logout":
                continue
            url = reverse(name, kwargs=dummy_kwargs(params) or None)
            for who, person in people.items():
                self.client.force_login(person)
                self._assert_no_store(url, who)
                checked += 1
        self.assertGreater(checked, 200)
