"""Generate default_curves.json: SYNTHETIC default expected-recovery curves.

    .venv/bin/python -m continuum.measures.data.make_default_curves           # rewrite the file
    .venv/bin/python -m continuum.measures.data.make_default_curves --check   # 1 if out of date

What these are
--------------
They are NOT fitted to patient data: we could not fetch published trajectories, so they are a
documented synthetic norm that imitates their published *shape*. They exist so that a new
practice gets not-on-track information from its first client, and they are meant to be
replaced: trajectories.compute_curves() switches a band to the practice's own completed
episodes once it has enough of them (200 per band by default). Every flag raised from a default
curve says so (Flag.curve_source == "default").

The model
---------
Work on a "severity" scale s where higher is worse (s = score, or max + min - score for
higher-is-better measures such as WHO-5). For intake band b, let s0 be the middle of the band
and m the instrument's minimum. Then at session t (t = 1 is the intake):

    median(t) = a + (s0 - a) * exp(-k * (t - 1)),     a = m + (s0 - m) * (1 - d)
    sd(t)     = sd1 + (sd_end - sd1) * (1 - exp(-r * (t - 1)))
    p_q(t)    = median(t) + z_q * sd(t),  clamped to the instrument's range

- Exponential (negatively accelerated) decay: the shape of the dose-effect curve (Howard,
  Kopta, Krause & Orlinsky 1986) and of the log-linear session curves used for expected
  recovery in Finch, Lambert & Schaalje (2001): most change early, then a plateau.
- d, the share of the intake severity lost by the plateau: 0.55 for PHQ-9 / GAD-7 (typical
  NHS Talking Therapies pre-post means are roughly 16 → 8 on PHQ-9), 0.5 for CORE-10, 0.45
  for PCL-5 and WHO-5 (smaller average change in routine care).
- k, the rate per session: chosen so that the *median* client who starts in the moderately
  severe or severe PHQ-9 band (moderate or severe on GAD-7) has changed by at least the
  reliable-change threshold by session 8, i.e. about half of them have reliably improved by
  session 8 — the dose-effect finding (Howard et al. 1986: about 50% improved by 8 sessions).
  Lambert's later estimates are slower for clinically significant change, so these curves are
  lenient rather than strict: they flag fewer clients, which suits a default.
- sd1: the spread of intake scores inside the band (a discrete uniform over the band's
  values, sqrt((w² - 1) / 12)); sd_end: the spread of end-of-treatment scores, which grows as
  some clients recover and others do not (PHQ-9 5.5, GAD-7 4.5, CORE-10 6.5, PCL-5 14,
  WHO-5 raw 4.5: our estimates of typical post-treatment SDs, *unverified*).
- r, the rate at which the spread grows: 0.35 per session for every instrument, faster than the
  median falls, because session-to-session measurement error (imperfect test-retest
  reliability) widens the spread from the second session on, before clients' courses diverge.
  With r = k the 90th percentile would sit within a point of the intake score at session 3 and
  flag clients for ordinary noise.
- z_q: standard normal quantiles (10th: -1.2816, 25th: -0.6745, 75th: 0.6745, 90th: 1.2816).

Curves ship for phq9, gad7, core10, pcl5 and who5 (the inversion for higher-is-better
measures included); none for wsas, session_feedback and goal_rating.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from continuum.measures.instruments import Band, Instrument, get_instrument

OUTPUT = Path(__file__).resolve().parent / "default_curves.json"
SESSIONS = 20
COLUMNS = ("session", "p10", "p25", "p50", "p75", "p90")
Z = {10: -1.2816, 25: -0.6745, 50: 0.0, 75: 0.6745, 90: 1.2816}


@dataclass(frozen=True)
class Params:
    reduction: float  # d: share of the intake severity lost by the plateau
    rate: float  # k: per session
    sd_end: float  # spread at the plateau, in raw points
    spread_rate: float = 0.35  # r: per session


PARAMETERS: dict[str, Params] = {
    "phq9": Params(reduction=0.55, rate=0.15, sd_end=5.5),
    "gad7": Params(reduction=0.55, rate=0.15, sd_end=4.5),
    "core10": Params(reduction=0.5, rate=0.15, sd_end=6.5),
    "pcl5": Params(reduction=0.45, rate=0.12, sd_end=14.0),
    "who5": Params(reduction=0.45, rate=0.15, sd_end=4.5),
}


def band_values(inst: Instrument, band: Band) -> tuple[int, int]:
    """The lowest and highest whole-number totals in the band."""
    high = inst.max_total if band.below is None else band.below - 1
    return int(band.low), int(high)


def curve_rows(inst: Instrument, band: Band, p: Params) -> list[list[float]]:
    low, high = band_values(inst, band)
    top = inst.max_total + inst.min_total

    def severity(x: float) -> float:  # higher is worse
        return top - x if inst.higher_is_better else x

    s_low, s_high = sorted((severity(low), severity(high)))
    s0 = (s_low + s_high) / 2
    width = s_high - s_low + 1
    sd1 = math.sqrt((width * width - 1) / 12)
    plateau = inst.min_total + (s0 - inst.min_total) * (1 - p.reduction)

    rows = []
    for t in range(1, SESSIONS + 1):
        median = plateau + (s0 - plateau) * math.exp(-p.rate * (t - 1))
        sd = sd1 + (p.sd_end - sd1) * (1 - math.exp(-p.spread_rate * (t - 1)))
        row: list[float] = [t]
        for q in (10, 25, 50, 75, 90):
            # For higher-is-better measures the q-th percentile of the score is the
            # (100 - q)-th percentile of severity, mapped back.
            z = Z[100 - q] if inst.higher_is_better else Z[q]
            s = median + z * sd
            value = top - s if inst.higher_is_better else s
            value = float(min(max(value, inst.min_total), inst.max_total))
            row.append(round(value, 1))
        rows.append(row)
    return rows


def build() -> dict[str, Any]:
    return {
        "about": (
            "SYNTHETIC default expected-recovery curves, not fitted to patient data. A "
            "documented model imitating the shape of published trajectories (see "
            "make_default_curves.py); replaced band by band by the practice's own curves once "
            "it has enough completed episodes."
        ),
        "generated_by": "python -m continuum.measures.data.make_default_curves",
        "model": (
            "median(t) = a + (s0 - a) * exp(-k (t - 1)), a = min + (s0 - min) (1 - d); "
            "sd(t) = sd1 + (sd_end - sd1) (1 - exp(-r (t - 1))); p_q = median + z_q sd; "
            "s = severity (higher is worse), s0 = middle of the intake band"
        ),
        "parameters": {code: asdict(p) for code, p in PARAMETERS.items()},
        "sessions": SESSIONS,
        "columns": list(COLUMNS),
        "curves": {
            code: {
                band.name: curve_rows(get_instrument(code), band, p)
                for band in get_instrument(code).bands
            }
            for code, p in PARAMETERS.items()
        },
    }


def render(data: dict[str, Any]) -> str:
    text = json.dumps(data, indent=2, ensure_ascii=False)

    # One curve row (or other flat list) per line.
    def flat(match: re.Match[str]) -> str:
        return "[" + ", ".join(part.strip() for part in match.group(1).split(",")) + "]"

    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", flat, text) + "\n"


def main(argv: list[str]) -> int:
    text = render(build())
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run without --check", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
