"""Searching one client's reflections: words matched in memory over decrypted text."""

from __future__ import annotations

from django.test import SimpleTestCase, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from continuum.audit.models import AuditEvent
from continuum.reflections.search import MAX_QUERY_WORDS, query_words, text_matches
from continuum.reflections.tests.world import ReflectionTestCase, list_url, make_reflection
from continuum.testing.base import make_client


class MatchingTests(SimpleTestCase):
    def test_query_words_are_normalised_and_distinct(self) -> None:
        # \uff37 is a full-width W.
        self.assertEqual(query_words("  Sleep, SLEEP and \uff37ork! "), ["sleep", "and", "work"])
        self.assertEqual(query_words("!!! ..."), [])
        self.assertEqual(len(query_words(" ".join(f"w{i}" for i in range(50)))), MAX_QUERY_WORDS)

    def test_every_word_must_start_a_word_of_the_text(self) -> None:
        text = "Anxiety about the new job; sleeping badly."
        self.assertTrue(text_matches(["anx"], text))
        self.assertTrue(text_matches(["sleep", "job"], text))
        self.assertTrue(text_matches(["ANXIETY".casefold()], text))
        self.assertFalse(text_matches(["xiety"], text))  # inside a word, not its start
        self.assertFalse(text_matches(["sleep", "holiday"], text))
        self.assertTrue(text_matches([], text))

    def test_any_of_the_texts_can_hold_a_word(self) -> None:
        self.assertTrue(text_matches(["brother", "call"], "About her brother", "Planned a call"))

    def test_case_folding_covers_more_than_ascii(self) -> None:
        self.assertTrue(text_matches(query_words("STRASSE"), "Lives on the Straße"))
        self.assertTrue(text_matches(query_words("ÉTÉ"), "un été difficile"))


class SearchViewTests(ReflectionTestCase):
    def test_it_finds_matching_reflections_by_word(self) -> None:
        make_reflection(self.dana, "Panic in the supermarket again")
        make_reflection(self.dana, "Good week; slept well")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana), {"q": "PANIC supermark"})
        self.assertContains(response, "Panic in the supermarket again")
        self.assertNotContains(response, "slept well")
        self.assertContains(response, "1 reflection matches.")

    def test_it_searches_the_addressed_note_too(self) -> None:
        make_reflection(
            self.dana,
            "Ask about the brother",
            addressed_at=self.attended.starts_at,
            addressed_in=self.attended,
            addressed_note="Agreed on a phone call",
        )
        self.login(self.alice)
        self.assertContains(self.client.get(list_url(self.dana), {"q": "phone"}), "the brother")

    def test_no_match_says_so(self) -> None:
        make_reflection(self.dana, "Panic in the supermarket again")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana), {"q": "holiday"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "No reflection matches this search.")
        self.assertNotContains(response, "Panic in the supermarket")

    def test_it_never_searches_other_clients_or_other_authors(self) -> None:
        gail = make_client(self.alice, "Gail", "Grant")
        make_reflection(gail, "Nightmares about the crash")
        make_reflection(self.finn, "Nightmares since childhood")
        make_reflection(self.dana, "Nightmares, as Bob sees them", author=self.bob)
        make_reflection(self.dana, "Nothing relevant")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana), {"q": "nightmares"})
        self.assertContains(response, "No reflection matches this search.")
        self.assertNotContains(response, "crash")
        self.assertNotContains(response, "childhood")
        self.assertNotContains(response, "as Bob sees")

    def test_it_combines_with_the_filters(self) -> None:
        make_reflection(self.dana, "Work stress", kind="concern")
        make_reflection(self.dana, "Work breakthrough", kind="breakthrough")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana), {"q": "work", "kind": "breakthrough"})
        self.assertContains(response, "Work breakthrough")
        self.assertNotContains(response, "Work stress")

    def test_the_search_words_are_not_recorded(self) -> None:
        found = make_reflection(self.dana, "Mentions Ruth by name")
        self.login(self.alice)
        self.client.get(list_url(self.dana), {"q": "ruth"})
        event = AuditEvent.objects.get(action="reflection.search")
        self.assertEqual(event.detail, {"page": 1, "reflections": [found.pk]})
        self.assertNotIn("ruth", str(event.detail).lower())

    def test_an_overlong_query_is_a_400(self) -> None:
        self.login(self.alice)
        response = self.client.get(list_url(self.dana), {"q": "a" * 201})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Search for 200 characters or fewer.", status_code=400)

    def _count_search_queries(self) -> None:
        # 1 session, 2 user, 3 membership, 4 the client, 5 the client's reflections by this
        # author (decrypted and matched in memory; no count query: the paginator counts the
        # list), 6 the audit row, 7 the client's appointments for the form.
        with self.assertNumQueries(7):
            response = self.client.get(list_url(self.dana), {"q": "thought"})
        self.assertEqual(response.status_code, 200)

    @override_settings(REFLECTIONS_PAGE_SIZE=5)
    def test_its_query_count_does_not_grow_with_history(self) -> None:
        self.login(self.alice)
        make_reflection(self.dana, "A thought", appointment=self.attended)
        self._count_search_queries()
        for i in range(40):
            make_reflection(self.dana, f"Thought {i}", appointment=self.earlier)
        self._count_search_queries()


class ArbitraryQueryValuesTests(HypothesisTestCase, ReflectionTestCase):
    """Arbitrary search, kind, show and page values: a page or a 400, never a 500."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        q=st.text(max_size=250),
        kind=st.one_of(st.sampled_from(["", "concern", "idea"]), st.text(max_size=30)),
        show=st.one_of(st.sampled_from(["all", "to_bring"]), st.text(max_size=30)),
        page=st.text(max_size=10),
    )
    def test_arbitrary_query_values_never_fail(
        self, q: str, kind: str, show: str, page: str
    ) -> None:
        make_reflection(self.dana, "Something to find")
        self.login(self.alice)
        response = self.client.get(
            list_url(self.dana), {"q": q, "kind": kind, "show": show, "page": page}
        )
        self.assertIn(response.status_code, (200, 400))
