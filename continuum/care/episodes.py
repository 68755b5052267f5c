"""Episode-of-care statuses and the one table of legal transitions (no Django)."""

from __future__ import annotations

from enum import StrEnum


class EpisodeStatus(StrEnum):
    REFERRAL = "referral"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


LABELS: dict[EpisodeStatus, str] = {
    EpisodeStatus.REFERRAL: "Referral",
    EpisodeStatus.ACTIVE: "Active",
    EpisodeStatus.ENDING: "Ending",
    EpisodeStatus.ENDED: "Ended",
    EpisodeStatus.FOLLOW_UP: "Follow-up",
    EpisodeStatus.CLOSED: "Closed",
}

# referral → active → ending → ended → follow_up → closed, plus:
#   active → ended      an unplanned ending (the client stopped coming)
#   referral → closed   a referral that never became treatment
#   ended → closed      an ending without consented follow-up
TRANSITIONS: dict[EpisodeStatus, tuple[EpisodeStatus, ...]] = {
    EpisodeStatus.REFERRAL: (EpisodeStatus.ACTIVE, EpisodeStatus.CLOSED),
    EpisodeStatus.ACTIVE: (EpisodeStatus.ENDING, EpisodeStatus.ENDED),
    EpisodeStatus.ENDING: (EpisodeStatus.ENDED,),
    EpisodeStatus.ENDED: (EpisodeStatus.FOLLOW_UP, EpisodeStatus.CLOSED),
    EpisodeStatus.FOLLOW_UP: (EpisodeStatus.CLOSED,),
    EpisodeStatus.CLOSED: (),
}

# Episodes in these statuses are "open": a client has at most one open episode at a time.
OPEN_STATUSES = (
    EpisodeStatus.REFERRAL,
    EpisodeStatus.ACTIVE,
    EpisodeStatus.ENDING,
)

# Episodes in these statuses are "finished": treatment has ended, whatever came after (follow-up,
# closing). Every status is either open or finished. The one definition: the client's summary,
# re-opening care and the expected-recovery curves all read it.
FINISHED_STATUSES = (
    EpisodeStatus.ENDED,
    EpisodeStatus.FOLLOW_UP,
    EpisodeStatus.CLOSED,
)


def is_finished(status: str) -> bool:
    """Whether an episode with this status has finished (see FINISHED_STATUSES)."""
    return status in FINISHED_STATUSES


class InvalidTransition(ValueError):
    """A status change that the episode's current status does not allow."""


def check_transition(current: str, target: str) -> EpisodeStatus:
    """Return the target status if `current → target` is legal, else raise with the options."""
    try:
        now, then = EpisodeStatus(current), EpisodeStatus(target)
    except ValueError:
        raise InvalidTransition(f"“{target}” is not an episode status") from None
    allowed = TRANSITIONS[now]
    if then not in allowed:
        options = ", ".join(LABELS[s] for s in allowed) or "none (the episode is closed)"
        raise InvalidTransition(
            f"An episode that is {LABELS[now]} cannot become {LABELS[then]}. "
            f"Possible next steps: {options}."
        )
    return then
