"""Hooks a lower app calls when something changed that a higher app keeps a copy of.

The stored outcomes (continuum.outcomes) keep one row per finished episode, made from the
episode, its attended appointments and its scores. care and measures sit below outcomes and
cannot import it, so their actions call `episode_changed(episode_id)` after a change that can
alter an outcome (an episode ending or being edited, an appointment attended or not, a score
added or corrected), inside their own transaction; outcomes registers its refresh in its
`AppConfig.ready()`. A failing callback fails the action, so a stored row is never left stale
by a change that was committed.

Pure Python: no Django, no app imports (the `lib` layer of docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EpisodeCallback = Callable[[int], Any]  # its result is ignored

_episode_changed: dict[str, EpisodeCallback] = {}


def register_episode_changed(name: str, callback: EpisodeCallback) -> None:
    """Call `callback(episode_id)` whenever an action changed what an episode's outcome is
    made from. Registering a name again replaces its callback."""
    _episode_changed[name] = callback


def episode_changed(episode_id: int) -> None:
    """Tell every registered app that episode `episode_id` changed (in the caller's
    transaction)."""
    for callback in _episode_changed.values():
        callback(episode_id)
