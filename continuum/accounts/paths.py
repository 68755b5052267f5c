"""Paths for long lists: one reverse() per route and page, not one per row.

Django's reverse() walks the URL resolver and quotes every argument; for a list of a hundred
clients with three links each, that was a third of the page's rendering (issue 8,
docs/performance.md). `path_for_ids` reverses a route once with a marker id and returns a
function that puts any id in its place.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

# An id that no route's other parts contain, so partitioning on it is exact.
_MARKER = 987654321


def path_for_ids(name: str, kwarg: str) -> Callable[[int], str]:
    """A function from an integer id to the path of route `name` with `kwarg` set to it."""
    head, found, tail = reverse(name, kwargs={kwarg: _MARKER}).partition(str(_MARKER))
    if not found:  # a route that does not put the id in its path
        raise ValueError(f"{name} has no {kwarg} in its path")
    return lambda pk: f"{head}{int(pk)}{tail}"
