from django.test import SimpleTestCase
from django.urls import reverse

from continuum.accounts.paths import path_for_ids


class PathForIdsTests(SimpleTestCase):
    def test_it_gives_what_reverse_gives_for_every_id(self) -> None:
        for name, kwarg in (
            ("care:client_detail", "client_id"),
            ("measures:alert_detail", "alert_id"),
            ("plans:episode_plan", "episode_id"),
        ):
            path = path_for_ids(name, kwarg)
            for pk in (1, 42, 987654321, 10**12):
                self.assertEqual(path(pk), reverse(name, kwargs={kwarg: pk}))

    def test_an_unknown_argument_is_refused(self) -> None:
        with self.assertRaises(Exception):  # noqa: B017 - NoReverseMatch or ValueError
            path_for_ids("care:client_detail", "episode_id")
