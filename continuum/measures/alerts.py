"""Alerts: what raises them, and the therapist's acknowledging and resolving.

Rules (issue 3, CLINICAL.md):

- **safety**: any safety item answered above 0 (PHQ-9 item 9; CORE-10 item 6, see
  instruments.py) raises a high alert at once. A later 0 never closes it: only the therapist
  resolves it, and only by recording what was done.
- **deterioration**: a reliable deterioration from the episode's baseline (the first
  completed administration of that instrument in the episode), by the instrument's rule in
  scoring.reliable_change.
- **not_on_track**: the latest score is beyond the expected curve for the intake band and
  session (trajectories.not_on_track, with the practice's recomputed curves or the shipped
  defaults), from session 3 on. The engine's reliable-deterioration reason is covered by the
  deterioration alert, so only the off-curve reason raises this one.
- **overdue**: a pending administration whose window has passed (`raise_overdue_alerts`).

Alerts that stop being true leave (issue 13): when the client's latest score of the measure no
longer meets a deterioration or not-on-track alert's condition, the alert closes itself as
"no longer current", naming that score (`close_no_longer_current`, in the score's
transaction). A newer score that still meets it is new evidence (`confirmed_at`). Safety
alerts never close themselves.

The writes that go with these rules are measures/services.py's actions (completing an
administration raises alerts through `evaluate` inside its transaction; acknowledging,
resolving and raising overdue alerts are actions there too).

Each alert has a `cause`, unique per client and kind, so the same cause never raises twice.
Safety causes are per occasion (a correction keeps its original's cause); deterioration and
not-on-track are raised again for a later occasion only once the earlier alert of the same
episode and measure has been resolved, so an unresolved one is not buried under repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from continuum.measures import scoring, trajectories
from continuum.measures.instruments import (
    Instrument,
    get_instrument,
    goal_rating_instrument,
)
from continuum.measures.models import (
    SEVERITY_RANK,
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    AlertResolution,
    AlertStatus,
    ExpectedCurves,
    Severity,
    check_alert_transition,
)

ACTIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class AlertError(Exception):
    """An alert action that cannot happen; `str(error)` is safe to show."""


def _instrument(admin: Administration) -> Instrument:
    inst = get_instrument(admin.instrument)
    return goal_rating_instrument(admin.goal_labels) if inst.dynamic else inst


def occasion_id(admin: Administration) -> int:
    """The first administration of a chain of corrections (the occasion it describes)."""
    current = admin
    while current.supersedes_id is not None:
        current = Administration.objects.only("pk", "supersedes_id").get(pk=current.supersedes_id)
    return current.pk


def baseline_for(admin: Administration) -> Administration | None:
    """The episode's first current (not superseded) completed score of this instrument."""
    return (
        Administration.objects.filter(
            episode_id=admin.episode_id,
            instrument=admin.instrument,
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
        )
        .order_by("due_at", "completed_at", "pk")
        .first()
    )


# --- Expected curves ------------------------------------------------------------------------


def curves_to_json(curves: trajectories.Curves) -> dict[str, Any]:
    return {
        band: {
            "source": curve.source,
            "episodes": curve.episodes,
            "points": [[p.session, p.n, p.p10, p.p25, p.p50, p.p75, p.p90] for p in curve.points],
        }
        for (_code, band), curve in curves.items()
    }


def curves_from_row(code: str, data: dict[str, Any]) -> trajectories.Curves:
    curves: trajectories.Curves = {}
    for band, entry in data.items():
        points = tuple(
            trajectories.CurvePoint(int(r[0]), int(r[1]), *(float(v) for v in r[2:]))
            for r in entry["points"]
        )
        curves[(code, band)] = trajectories.Curve(
            code, band, entry.get("source", "practice"), int(entry.get("episodes", 0)), points
        )
    return curves


def curves_for(practice_id: int | None, code: str) -> trajectories.Curves:
    """The practice's recomputed curves for `code` over the installation's, over the defaults."""
    curves = trajectories.default_curves()
    scopes: list[int | None] = [None] if practice_id is None else [None, practice_id]
    for scope in scopes:
        rows = ExpectedCurves.objects.filter(instrument=code)
        rows = rows.filter(practice__isnull=True) if scope is None else rows.filter(practice=scope)
        row = rows.order_by("-computed_at", "-pk").first()
        if row is not None:
            curves.update(curves_from_row(code, row.curves))
    return curves


# --- Raising --------------------------------------------------------------------------------


SEVERITY_OF: dict[str, Severity] = {
    AlertKind.SAFETY: Severity.HIGH,
    AlertKind.DETERIORATION: Severity.MEDIUM,
    AlertKind.NOT_ON_TRACK: Severity.MEDIUM,
    AlertKind.OVERDUE: Severity.LOW,
}


def alert_cause(kind: str, occasion: int | str, instrument: str = "") -> str:
    """An alert's cause, unique per client and kind: the instrument and the occasion (the first
    administration of a chain of corrections), or for an overdue one the administration."""
    if kind == AlertKind.OVERDUE:
        return f"overdue:{occasion}"
    return f"{kind}:{instrument}:{occasion}"


def new_alert(kind: str, cause: str, message: str, **fields: Any) -> Alert:
    """An unsaved alert of `kind`, with the kind's severity and the message cut to fit;
    `fields` name the client, episode and administration (and anything else to set)."""
    severity = SEVERITY_OF[kind]
    return Alert(
        kind=kind,
        severity=severity,
        severity_rank=SEVERITY_RANK[severity],
        cause=cause,
        message=message[:300],
        **fields,
    )


def deterioration_message(inst: Instrument, baseline: float, total: float) -> str:
    threshold = scoring.reliable_change_threshold(inst)
    moved = "fell" if inst.higher_is_better else "rose"
    rule = f" ({threshold.describe(inst)})" if threshold else ""
    return (
        f"{inst.name} {moved} from {inst.display(baseline)} at baseline to "
        f"{inst.display(total)}, a reliable deterioration{rule}."
    )


def overdue_message(name: str, due_at: datetime, window_ends_at: datetime, zone: tzinfo) -> str:
    """The overdue alert's sentence: the due date in the therapist's zone."""
    due = timezone.localtime(due_at, zone)
    days = max((window_ends_at - due_at).days, 1)
    return (
        f"{name} due {due:%-d %b %Y} was not completed within {days} day{'s' if days != 1 else ''}."
    )


def score_alerts(
    inst: Instrument,
    baseline: float,
    total: float,
    session_number: int | None,
    curves: trajectories.Curves,
) -> list[tuple[AlertKind, str]]:
    """The alerts a completed total calls for against the episode's baseline, with their
    messages: a reliable deterioration; not on track (only the off-curve reason, from the
    expected `curves`, for instruments with bands). A caller holds either back while an earlier
    alert of the same kind, episode and measure is still active."""
    found: list[tuple[AlertKind, str]] = []
    if scoring.reliable_change(inst, before=baseline, after=total) == "deteriorated":
        found.append((AlertKind.DETERIORATION, deterioration_message(inst, baseline, total)))
    if inst.bands:
        session = max(session_number or 1, 1)
        flag = trajectories.not_on_track(inst, baseline, session, total, curves)
        if flag is not None and "off_curve" in flag.reasons:
            found.append((AlertKind.NOT_ON_TRACK, flag.sentences[flag.reasons.index("off_curve")]))
    return found


def raise_alert(admin: Administration, kind: AlertKind, cause: str, message: str) -> Alert | None:
    if Alert.objects.filter(client_id=admin.client_id, kind=kind, cause=cause).exists():
        return None
    try:
        with transaction.atomic():
            alert = new_alert(
                kind,
                cause,
                message,
                client_id=admin.client_id,
                episode_id=admin.episode_id,
                administration=admin,
            )
            alert.save(force_insert=True)
            return alert
    except IntegrityError:
        return None  # raised concurrently for the same cause


def _has_active(admin: Administration, kind: AlertKind) -> bool:
    return Alert.objects.filter(
        episode_id=admin.episode_id,
        kind=kind,
        status__in=ACTIVE,
        administration__instrument=admin.instrument,
    ).exists()


def safety_message(inst: Instrument, answers: dict[str, Any]) -> str:
    parts = []
    for item in inst.safety_items:
        value = answers.get(item.key)
        if isinstance(value, int) and value > 0:
            option = item.option(value)
            label = f" (“{option.label}”)" if option and option.label else ""
            parts.append(f"item {item.key} was answered {value}{label}")
    top = max((o.value for i in inst.safety_items for o in i.options), default=0)
    return (
        f"{inst.name}: safety {' and '.join(parts)} on a scale of 0\N{EN DASH}{top}; "
        "check in with the client."
    )


# The alerts that close themselves when a newer score no longer meets them.
SELF_CLOSING = (AlertKind.DETERIORATION, AlertKind.NOT_ON_TRACK)


@dataclass
class Evaluation:
    """What a just-completed score did to the alerts: raised new ones, closed outdated ones."""

    raised: list[Alert] = field(default_factory=list)
    closed: list[Alert] = field(default_factory=list)


def is_latest_score(admin: Administration) -> bool:
    """Whether `admin` is the client's latest current score of its measure (by occasion)."""
    later = (
        Q(due_at__gt=admin.due_at)
        | Q(due_at=admin.due_at, completed_at__gt=admin.completed_at)
        | Q(due_at=admin.due_at, completed_at=admin.completed_at, pk__gt=admin.pk)
    )
    return not (
        Administration.objects.filter(
            client_id=admin.client_id,
            instrument=admin.instrument,
            status=AdministrationStatus.COMPLETED,
        )
        .exclude(pk=admin.pk)
        .filter(later)
        .exists()
    )


def close_no_longer_current(admin: Administration, still_met: set[str]) -> list[Alert]:
    """Close the client's active deterioration / not-on-track alerts of this measure that
    `admin`, their latest score, no longer meets (`still_met`: the kinds it does meet);
    the ones it still meets get it as new evidence. Returns the closed alerts (the caller
    audits them, inside the score's transaction)."""
    if admin.total is None or admin.completed_at is None or not is_latest_score(admin):
        return []
    earlier = Alert.objects.filter(
        client_id=admin.client_id,
        kind__in=SELF_CLOSING,
        status__in=ACTIVE,
        administration__instrument=admin.instrument,
    ).exclude(administration=admin)
    earlier.filter(kind__in=sorted(still_met)).update(confirmed_at=admin.completed_at)
    closed = list(earlier.exclude(kind__in=sorted(still_met)).select_for_update())
    for alert in closed:
        check_alert_transition(alert.status, AlertStatus.RESOLVED)
        alert.status = AlertStatus.RESOLVED
        alert.resolution = AlertResolution.NO_LONGER_CURRENT
        alert.resolved_at = admin.completed_at
        alert.closed_by_administration = admin
        alert.save(
            update_fields=["status", "resolution", "resolved_at", "closed_by_administration"]
        )
    return closed


def evaluate(admin: Administration) -> list[Alert]:
    """Raise the alerts a just-completed administration calls for; returns the new ones."""
    return evaluate_score(admin).raised


def evaluate_score(admin: Administration) -> Evaluation:
    """Raise the alerts a just-completed administration calls for, and close the earlier
    ones of its measure that it no longer meets."""
    inst = _instrument(admin)
    occasion = occasion_id(admin)
    raised: list[Alert | None] = []
    if admin.safety:
        raised.append(
            raise_alert(
                admin,
                AlertKind.SAFETY,
                alert_cause(AlertKind.SAFETY, occasion, admin.instrument),
                safety_message(inst, admin.answers),
            )
        )
    found = score_findings(admin, inst)
    if found is None:
        return Evaluation([a for a in raised if a is not None])
    closed = close_no_longer_current(admin, {str(kind) for kind, _ in found})
    for kind, message in found:
        if not _has_active(admin, kind):
            raised.append(
                raise_alert(admin, kind, alert_cause(kind, occasion, admin.instrument), message)
            )
    return Evaluation([a for a in raised if a is not None], closed)


def score_findings(
    admin: Administration, inst: Instrument | None = None
) -> list[tuple[AlertKind, str]] | None:
    """The score alerts `admin` meets against its episode's baseline (score_alerts), or None
    when it cannot say (no total, or it is the baseline itself)."""
    inst = inst or _instrument(admin)
    baseline = baseline_for(admin) if admin.total is not None else None
    if baseline is None or baseline.pk == admin.pk or baseline.total is None:
        return None
    assert admin.total is not None
    curves = curves_for(admin.client.practice_id, inst.code) if inst.bands else {}
    return score_alerts(inst, baseline.total, admin.total, admin.session_number, curves)


def outdated_alert_scores() -> list[Administration]:
    """For every client and measure with an active deterioration or not-on-track alert and a
    newer current score, that latest score: the ones to check the alerts against (the
    periodic sweep, for alerts older than the closing rule). One query when there are none,
    which is the usual case: a new score closes what it no longer meets at once."""
    newer = Administration.objects.filter(
        client_id=OuterRef("client_id"),
        instrument=OuterRef("administration__instrument"),
        status=AdministrationStatus.COMPLETED,
        total__isnull=False,
        due_at__gt=OuterRef("administration__due_at"),
    )
    pairs = sorted(
        set(
            Alert.objects.filter(kind__in=SELF_CLOSING, status__in=ACTIVE)
            .filter(Exists(newer))
            .values_list("client_id", "administration__instrument")
        )
    )
    latest: list[Administration] = []
    for client_id, code in pairs:
        admin = (
            Administration.objects.filter(
                client_id=client_id,
                instrument=code,
                status=AdministrationStatus.COMPLETED,
                total__isnull=False,
            )
            .select_related("client")
            .order_by("-due_at", "-completed_at", "-pk")
            .first()
        )
        if admin is not None:
            latest.append(admin)
    return latest


def resolve_overdue_for(admin: Administration, now: datetime) -> list[int]:
    """Resolve the overdue alerts of an administration just completed; returns their ids.

    Called inside the completion's transaction, whose audit row names them.
    """
    ids = list(
        Alert.objects.filter(
            administration=admin, kind=AlertKind.OVERDUE, status__in=ACTIVE
        ).values_list("pk", flat=True)
    )
    if ids:
        Alert.objects.filter(pk__in=ids).update(
            status=AlertStatus.RESOLVED, resolved_at=now, resolution=AlertResolution.COMPLETED
        )
    return ids


def zone(name: str) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
