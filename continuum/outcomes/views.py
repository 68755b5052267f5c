"""The practice outcomes page and the CSV of its tables.

Owner and clinical leads: every therapist, named. A therapist: the practice's figures beside
their own clients', the funnel with only their own point named. Anyone else: 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from continuum.accounts.http import AuthenticatedRequest, actor_of, refuse
from continuum.audit.log import record
from continuum.outcomes import charts, presenters, rules
from continuum.outcomes.access import Scope, outcomes_scope
from continuum.outcomes.exports import to_csv
from continuum.outcomes.forms import OutcomesFilterForm, period_bounds
from continuum.outcomes.queries import Cell, Outcomes, practice_outcomes

TREND_QUARTERS = 8
TABLES = ("overall", "groups", "funnel", "trend")


@dataclass
class PageData:
    scope: Scope
    params: dict[str, Any]
    practice: Outcomes
    own: Outcomes | None  # a therapist's own clients (None for owners and leads)
    funnel: list[Cell]
    trend: list[Cell]
    trend_quarters: list[str] = field(default_factory=list)


def _trend_quarters(end: date) -> list[str]:
    quarters = []
    start, _ = period_bounds("quarter", end)
    for _i in range(TREND_QUARTERS):
        quarters.append(f"{start.year}Q{(start.month - 1) // 3 + 1}")
        start, _ = period_bounds("quarter", start - timedelta(days=1))
    return quarters[::-1]


def _gather(scope: Scope, params: dict[str, Any]) -> PageData:
    """The page's data in 2 queries however many therapists and episodes (one pass over the
    rows and the therapists' names): queries.practice_outcomes, the function
    `manage.py outcomes_report` calls too. The practice's overall figures and breakdown, a
    therapist's own figures and breakdown beside them, the funnel (by therapist) and the
    trend (by quarter, the last eight quarters to the period's end)."""
    start, end = params["start"], params["end"]
    quarters = _trend_quarters(end)
    trend_start = date(int(quarters[0][:4]), (int(quarters[0][-1]) - 1) * 3 + 1, 1)
    figures = practice_outcomes(
        scope.practice,
        start=start,
        end=end,
        by=params["by"],
        trend_start=trend_start,
        instrument=params["instrument"],
        therapist=scope.own,
    )
    return PageData(
        scope, params, figures.practice, figures.own, figures.funnel, figures.trend, quarters
    )


def _funnel_svg(data: PageData) -> str:
    rate = data.practice.overall.rates["recovery_rate"].value
    points = []
    for cell in data.funnel:
        r = cell.rates["recovery_rate"]
        if r.value is None or cell.suppressed:
            continue
        own = data.scope.own is not None and cell.key == data.scope.own.pk
        label = cell.name if data.scope.sees_all else ("You" if own else "")
        points.append(charts.FunnelPoint(r.denominator, r.value, label, own))
    title = "Recovery rate by therapist against finished episodes at caseness, with limits"
    return charts.funnel_svg(rate, points, title)


def _trend_cells(data: PageData) -> list[tuple[str, Cell | None]]:
    by_key = {c.key: c for c in data.trend}
    return [(q, by_key.get(q)) for q in data.trend_quarters]


def _trend_svg(data: PageData) -> str:
    points = []
    for q, cell in _trend_cells(data):
        label = q.replace("Q", " Q")
        if cell is None or cell.suppressed:
            points.append(charts.TrendPoint(label, None, None, None, cell.finished if cell else 0))
            continue
        r = cell.rates["recovery_rate"]
        points.append(charts.TrendPoint(label, r.value, r.low, r.high, cell.finished))
    return charts.trend_svg(points, "Recovery rate per quarter with 95% intervals")


def _rows(cells: list[Cell], by: str, code: str, scope: Scope) -> list[dict[str, Any]]:
    rows = []
    for cell in cells:
        label = presenters.group_label(by, cell)
        rows.append(
            {
                "label": label,
                "cell": cell,
                "own": scope.own is not None and by == "therapist" and cell.key == scope.own.pk,
                "figures": presenters.figures(cell, code),
            }
        )
    return rows


def _parse(request: AuthenticatedRequest, scope: Scope) -> tuple[OutcomesFilterForm, Any]:
    today = timezone.localdate()
    given = request.GET.copy()
    given.pop("table", None)
    form = OutcomesFilterForm(given or None, today=today)
    if given:
        if not form.is_valid():
            return form, None
        return form, form.cleaned_data
    start, end = period_bounds("year", today)
    defaults = {"period": "year", "start": start, "end": end}
    return form, {**defaults, "instrument": rules.DEFAULT_SET, "by": "therapist"}


@login_required
def outcomes_page(request: AuthenticatedRequest) -> HttpResponse:
    scope = outcomes_scope(request.user)
    if refused := refuse(request, "GET", "HEAD"):
        return refused
    form, params = _parse(request, scope)
    context: dict[str, Any] = {"nav": "outcomes", "form": form, "scope": scope}
    if params is None:
        return render(request, "outcomes/page.html", context, status=400)
    data = _gather(scope, params)
    code = params["instrument"]
    previous, following = presenters.period_links(params, request.GET, timezone.localdate())
    record(
        actor_of(request),
        "outcomes.read",
        practice=scope.practice.pk,
        instrument=code,
        by=params["by"],
        scope="practice" if scope.sees_all else "own",
    )
    context.update(
        {
            "params": params,
            "query": request.GET.urlencode(),  # the CSV links repeat the filter
            "previous_period": previous,
            "next_period": following,
            "instrument_label": presenters.instrument_label(code),
            "group_label": presenters.GROUP_LABELS[params["by"]],
            "overall": presenters.figures(data.practice.overall, code),
            "overall_cell": data.practice.overall,
            "own": presenters.figures(data.own.overall, code) if data.own else None,
            "own_cell": data.own.overall if data.own else None,
            "groups": _rows(
                data.own.groups if data.own else data.practice.groups, params["by"], code, scope
            ),
            "funnel_src": charts.as_img_src(_funnel_svg(data)),
            "trend_src": charts.as_img_src(_trend_svg(data)),
            "trend": [
                (q.replace("Q", " Q"), c, presenters.figures(c, code) if c else None)
                for q, c in _trend_cells(data)
            ],
            "suppressed": presenters.SUPPRESSED,
            "suppress_below": rules.SUPPRESS_BELOW,
        }
    )
    return render(request, "outcomes/page.html", context)


FIGURE_COLUMNS = [
    "finished",
    "paired",
    "at_caseness",
    "recovered",
    "reliably_improved",
    "reliably_recovered",
    "reliably_deteriorated",
]
RATE_COLUMNS = [
    "completeness",
    "recovery_rate",
    "reliable_improvement_rate",
    "reliable_recovery_rate",
    "reliable_deterioration_rate",
]


def _csv_row(label: str, cell: Cell) -> list[object]:
    if cell.suppressed:
        return [label, "suppressed", *[""] * (len(FIGURE_COLUMNS) + 3 * len(RATE_COLUMNS))]
    row: list[object] = [label, "", *[getattr(cell, c) for c in FIGURE_COLUMNS]]
    for name in RATE_COLUMNS:
        rate = cell.rates[name]
        row += [
            "" if rate.value is None else f"{rate.value:.4f}",
            "" if rate.low is None else f"{rate.low:.4f}",
            "" if rate.high is None else f"{rate.high:.4f}",
        ]
    return row


@login_required
def outcomes_csv(request: AuthenticatedRequest) -> HttpResponse:
    """?table=overall|groups|funnel|trend and the page's own filter parameters."""
    scope = outcomes_scope(request.user)
    if refused := refuse(request, "GET", "HEAD"):
        return refused
    table = request.GET.get("table", "")
    if table not in TABLES:
        raise Http404("No such table")
    _form, params = _parse(request, scope)
    if params is None:
        return HttpResponse("Invalid filter.", status=400, content_type="text/plain")
    data = _gather(scope, params)
    by = params["by"]
    if table == "overall":
        cells = [("Practice", data.practice.overall)]
        if data.own is not None:
            cells.append(("Your clients", data.own.overall))
    elif table == "groups":
        source = data.own.groups if data.own else data.practice.groups
        cells = [(presenters.group_label(by, c), c) for c in source]
    elif table == "funnel":
        cells = [
            (
                c.name
                if scope.sees_all
                else ("You" if scope.own and c.key == scope.own.pk else ""),
                c,
            )
            for c in data.funnel
        ]
    else:
        cells = [(q, c) for q, c in _trend_cells(data) if c is not None]
    header = ["group", "note", *FIGURE_COLUMNS]
    for name in RATE_COLUMNS:
        header += [name, f"{name}_ci95_low", f"{name}_ci95_high"]
    body = to_csv(header, [_csv_row(label, cell) for label, cell in cells])
    record(
        actor_of(request),
        "outcomes.export",
        practice=scope.practice.pk,
        table=table,
        instrument=params["instrument"],
        rows=len(cells),
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"outcomes-{table}-{params['instrument']}-{params['start']}-{params['end']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
