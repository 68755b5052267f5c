"""Searching an author's reflections about one client.

Why in memory: reflection text is encrypted at rest (a Fernet token per value, with a random
IV), so SQL cannot see into it: no LIKE, no full-text index. We decrypt the author's
reflections about ONE client and match in Python. That work is bounded by one client's
history (tens to a few hundred short texts; capped at SEARCH_LIMIT, newest first), never by
the size of the practice. A search across all of a therapist's clients would need a blind
index (keyed hashes of normalised words stored beside each row); that is not built, because a
blind index leaks word frequencies and the per-client search covers the need.

Matching: the query is split into words; a reflection matches when every query word starts a
word of its text or of its "addressed" note, ignoring case and Unicode width/compatibility
forms ("anx" finds "Anxiety"; "sleep walk" needs both words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from continuum.reflections.models import Reflection

# Newest reflections searched for one client (a client with more is told so on the page).
SEARCH_LIMIT = 2000
MAX_QUERY_WORDS = 12
_WORD = re.compile(r"\w+")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def query_words(query: str) -> list[str]:
    """The distinct words of a search query, normalised, in order (at most MAX_QUERY_WORDS)."""
    seen: list[str] = []
    for word in _WORD.findall(_normalise(query)):
        if word not in seen:
            seen.append(word)
    return seen[:MAX_QUERY_WORDS]


def text_matches(words: list[str], *texts: str) -> bool:
    """True when every query word is the start of some word in `texts` (no words: True)."""
    if not words:
        return True
    vocabulary = set(_WORD.findall(_normalise(" ".join(texts))))
    return all(any(candidate.startswith(word) for candidate in vocabulary) for word in words)


def search_reflections(reflections: Iterable[Reflection], query: str) -> list[Reflection]:
    """The reflections (already decrypted by the ORM) whose text matches `query`, in order."""
    words = query_words(query)
    return [r for r in reflections if text_matches(words, r.text, r.addressed_note)]
