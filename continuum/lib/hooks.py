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


# --- A client's reasons to be on the day changed ---------------------------------------------
#
# The day reads one small table of reasons per client (continuum.continuity.attention), kept
# by the actions that add or clear a reason. The domain apps sit below the day and cannot
# import it, so their actions call `client_changed(client_id, *sources)` inside their own
# transaction; continuity registers the refresh in its `AppConfig.ready()`. `sources` name
# the day contributions (`contributions.DayContribution.name`) whose reasons may have changed;
# none means all of them. `cleared` names contributions whose reasons the change can only have
# taken away, never added (a check-in or a message is activity: it can end "may have stopped
# coming", not begin it); they are refreshed only for a client who has one, which spares the
# common case a query. A failing callback fails the action, so the day is never left behind
# a change that was committed.

# (client_id, sources, cleared); its result is ignored
ClientCallback = Callable[[int, tuple[str, ...], tuple[str, ...]], Any]

_client_changed: dict[str, ClientCallback] = {}


def register_client_changed(name: str, callback: ClientCallback) -> None:
    """Call `callback(client_id, sources, cleared)` whenever an action may have added or
    cleared one of a client's reasons to be on the day. Registering a name again replaces
    its callback."""
    _client_changed[name] = callback


def client_changed(client_id: int, *sources: str, cleared: tuple[str, ...] = ()) -> None:
    """Tell every registered app that client `client_id`'s reasons from `sources` (all when
    none and nothing is `cleared`) may have changed, and that those from `cleared` may have
    gone (in the caller's transaction)."""
    for callback in _client_changed.values():
        callback(client_id, tuple(sources), tuple(cleared))
