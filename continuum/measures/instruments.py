"""The instrument catalogue as data (no Django).

Every fact here comes from the design docs' CLINICAL.md unless a comment names another
source. Facts that CLINICAL.md marks *unverified* (or that we had to choose ourselves) are
per-instrument fields with their source in a comment, so a clinician can read and change them
in one place.

Answers are stored as the option *value* the person chose (0, 1, 2, ...). Each option also
carries the *score* it contributes: for reverse-scored items (CORE-10 items 2 and 3) the two
differ, and scoring only ever looks up `AnswerOption.score`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ScoringMethod(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    # The total is the raw sum; `display_total` is the sum times `Instrument.factor` (WHO-5 %).
    SUM_X_FACTOR = "sum_x_factor"


class Direction(StrEnum):
    HIGHER_IS_WORSE = "higher_is_worse"
    HIGHER_IS_BETTER = "higher_is_better"


class MissingMethod(StrEnum):
    # Fill each missing item with the mean of the answered items, round the total to the
    # nearest integer (halves round up).
    MEAN_FILL_ROUND = "mean_fill_round"
    # Scale the answered items up to the full item count (sum) or average the answered items
    # (mean). For a sum this is arithmetically the same as mean_fill_round; the two names keep
    # the published rule each instrument follows visible.
    PRORATE = "prorate"
    # No missing items allowed: `max_missing` must be 0.
    NONE = "none"


@dataclass(frozen=True)
class AnswerOption:
    value: int  # what is stored for the answer
    label: str  # "" for unlabelled points of a numeric scale (WSAS 1, 3, 5, 7; 0-10 scales)
    score: int  # what the answer contributes to the total (reversed for reverse-scored items)
    loinc: str | None = None  # LOINC answer code (LA...) where one exists


@dataclass(frozen=True)
class Item:
    key: str  # "1".."n", as in the answers dict
    wording: str
    options: tuple[AnswerOption, ...]
    reverse: bool = False  # the option scores run high to low
    safety: bool = False  # any answer above 0 raises a safety alert
    scored: bool = True  # counts towards the total (PHQ-9 item 10 does not)
    # May be left blank without counting as missing: it is then left out of the total and of
    # the item count (the WSAS work item for people not in work).
    optional: bool = False
    help_text: str = ""
    loinc: str | None = None

    @property
    def values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options)

    @property
    def min_score(self) -> int:
        return min(o.score for o in self.options)

    @property
    def max_score(self) -> int:
        return max(o.score for o in self.options)

    def option(self, value: int) -> AnswerOption | None:
        for o in self.options:
            if o.value == value:
                return o
        return None


@dataclass(frozen=True)
class Band:
    """A severity band: `low <= total < below` (`below` None = up to the instrument maximum)."""

    name: str
    label: str
    low: float
    below: float | None
    # How a sentence names people who started in this band ("who started ___");
    # defaults to the label in lower case.
    phrase: str = ""

    @property
    def started(self) -> str:
        return self.phrase or self.label.lower()

    def contains(self, total: float) -> bool:
        return self.low <= total and (self.below is None or total < self.below)


@dataclass(frozen=True)
class ReliableChangeRule:
    """When a change between two totals counts as reliable.

    Either a fixed threshold in total points (`points`; a change of at least this much is
    reliable), or a Jacobson & Truax (1991) threshold computed from the scale's `sd` and test-
    retest `reliability` (reliable when the change is strictly larger). Neither configured: the
    instrument has no reliable-change rule and `scoring.reliable_change` returns None.
    """

    points: float | None = None
    sd: float | None = None
    reliability: float | None = None
    source: str = ""
    # A smaller change that a published source calls a clinically meaningful response (PCL-5).
    response_points: float | None = None


@dataclass(frozen=True)
class MissingRule:
    max_missing: int
    method: MissingMethod
    source: str


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str  # of our definition of the form; stored with every administration
    name: str  # short name used in sentences: "PHQ-9"
    title: str
    instructions: str
    items: tuple[Item, ...]
    scoring: ScoringMethod
    direction: Direction
    min_total: float  # range of `total` (raw; before `factor`)
    max_total: float
    bands: tuple[Band, ...]
    caseness_cutoff: float | None  # at caseness when total >= cutoff (higher-is-worse only)
    reliable_change: ReliableChangeRule
    missing: MissingRule
    licence: str
    copyright: str
    requires_copyright_display: bool = False
    factor: float = 1  # display_total = total * factor (WHO-5: 4, shown as %)
    display_unit: str = ""  # "%" for WHO-5
    loinc_panel: str | None = None
    loinc_total: str | None = None
    sources: str = ""
    # Items are built per use (goal_rating: one item per active goal).
    dynamic: bool = False

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)

    @property
    def safety_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.safety)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == Direction.HIGHER_IS_BETTER

    def item(self, key: str) -> Item | None:
        for i in self.items:
            if i.key == key:
                return i
        return None

    def band_for(self, total: float) -> Band | None:
        for band in self.bands:
            if band.contains(total):
                return band
        return None

    def band(self, name: str) -> Band | None:
        for band in self.bands:
            if band.name == name:
                return band
        return None

    def display(self, total: float) -> str:
        """A total as a person reads it: "18", "6.5", "48%" (WHO-5 raw 12)."""
        shown = total * self.factor
        text = f"{shown:.1f}".removesuffix(".0")
        return f"{text}{self.display_unit}"


def _options(
    labels: Sequence[str],
    *,
    reverse: bool = False,
    loinc: Sequence[str] | None = None,
    start: int = 0,
) -> tuple[AnswerOption, ...]:
    """Options valued start, start+1, ...; reverse-scored items score them high to low."""
    top = start + len(labels) - 1
    return tuple(
        AnswerOption(
            value=start + n,
            label=label,
            score=(top - n) if reverse else start + n,
            loinc=loinc[n] if loinc else None,
        )
        for n, label in enumerate(labels)
    )


def _items(
    wordings: Sequence[str],
    options: tuple[AnswerOption, ...],
    *,
    loinc: Sequence[str] | None = None,
) -> list[Item]:
    return [
        Item(key=str(n), wording=w, options=options, loinc=loinc[n - 1] if loinc else None)
        for n, w in enumerate(wordings, start=1)
    ]


# --- PHQ-9 --------------------------------------------------------------------------------
# Wording: the public PHQ-9 form (phqscreeners.com). Bands: Kroenke, Spitzer & Williams 2001.
# Caseness and reliable change: NHS Talking Therapies (CLINICAL.md). LOINC: CLINICAL.md "Codes".

PFIZER_COPYRIGHT = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)
PFIZER_LICENCE = (
    "Copyright Pfizer Inc.; no permission required to reproduce, translate, display or "
    "distribute (phqscreeners.com)."
)

# answers 0 / 1 / 2 / 3 (CLINICAL.md "Codes")
_FREQUENCY_LOINC = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
_FREQUENCY = _options(
    ("Not at all", "Several days", "More than half the days", "Nearly every day"),
    loinc=_FREQUENCY_LOINC,
)

_PHQ9_LOINC = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
_phq9_items = _items(
    (
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    _FREQUENCY,
    loinc=_PHQ9_LOINC,
)
# Item 9: any answer above 0 raises a safety alert at once (CLINICAL.md "Notes").
_phq9_items[8] = Item(
    key="9",
    wording=_phq9_items[8].wording,
    options=_FREQUENCY,
    safety=True,
    loinc=_PHQ9_LOINC[8],
)
_phq9_items.append(
    Item(
        key="10",
        wording=(
            "If you checked off any problems, how difficult have these problems made it for "
            "you to do your work, take care of things at home, or get along with other people?"
        ),
        # Answer codes from LOINC answer list LL358-3; CLINICAL.md does not list them and
        # published copies disagree on LA6574-3 / LA6575-0 — *verify* against loinc.org.
        options=_options(
            ("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"),
            loinc=("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"),
        ),
        scored=False,  # the difficulty question is not part of the total (CLINICAL.md table)
        loinc="69722-7",
    )
)

PHQ9 = Instrument(
    code="phq9",
    version="1",
    name="PHQ-9",
    title="Patient Health Questionnaire (PHQ-9)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=tuple(_phq9_items),
    scoring=ScoringMethod.SUM,
    direction=Direction.HIGHER_IS_WORSE,
    min_total=0,
    max_total=27,
    # Kroenke et al. 2001: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe,
    # 20-27 severe.
    bands=(
        Band("minimal", "Minimal", 0, 5),
        Band("mild", "Mild", 5, 10),
        Band("moderate", "Moderate", 10, 15),
        Band("moderately_severe", "Moderately severe", 15, 20),
        Band("severe", "Severe", 20, None),
    ),
    caseness_cutoff=10,  # NHS Talking Therapies: PHQ-9 >= 10
    reliable_change=ReliableChangeRule(
        points=6, source="NHS Talking Therapies: a change of 6 or more points"
    ),
    missing=MissingRule(
        max_missing=2,
        method=MissingMethod.MEAN_FILL_ROUND,
        # CLINICAL.md marks this *unverified*: "one published scorer uses it".
        source="at most 2 missing, each filled with the mean of the answered items (unverified)",
    ),
    licence=PFIZER_LICENCE,
    copyright=PFIZER_COPYRIGHT,
    loinc_panel="44249-1",
    loinc_total="44261-6",
    sources="Kroenke, Spitzer & Williams 2001; NHS Talking Therapies Manual",
)

# --- GAD-7 --------------------------------------------------------------------------------
# Wording: the public GAD-7 form. Bands: Spitzer et al. 2006. Caseness and reliable change:
# NHS Talking Therapies. LOINC: CLINICAL.md "Codes".

GAD7 = Instrument(
    code="gad7",
    version="1",
    name="GAD-7",
    title="Generalised Anxiety Disorder scale (GAD-7)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    items=tuple(
        _items(
            (
                "Feeling nervous, anxious, or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid, as if something awful might happen",
            ),
            _FREQUENCY,
            loinc=(
                "69725-0",
                "68509-9",
                "69733-4",
                "69734-2",
                "69735-9",
                "69689-8",
                "69736-7",
            ),
        )
    ),
    scoring=ScoringMethod.SUM,
    direction=Direction.HIGHER_IS_WORSE,
    min_total=0,
    max_total=21,
    # Spitzer et al. 2006: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
    bands=(
        Band("minimal", "Minimal", 0, 5),
        Band("mild", "Mild", 5, 10),
        Band("moderate", "Moderate", 10, 15),
        Band("severe", "Severe", 15, None),
    ),
    caseness_cutoff=8,  # NHS Talking Therapies: GAD-7 >= 8
    reliable_change=ReliableChangeRule(
        points=4, source="NHS Talking Therapies: a change of 4 or more points"
    ),
    missing=MissingRule(
        max_missing=1,
        method=MissingMethod.MEAN_FILL_ROUND,
        source="at most 1 missing, filled with the mean of the answered items (unverified)",
    ),
    licence=PFIZER_LICENCE,
    copyright=PFIZER_COPYRIGHT,
    loinc_panel="69737-5",
    loinc_total="70274-6",
    sources="Spitzer, Kroenke, Williams & Löwe 2006; NHS Talking Therapies Manual",
)

# --- WHO-5 --------------------------------------------------------------------------------
# Wording: WHO-5 Well-Being Index (1998 version), free to use. Raw 0-25, shown x4 as 0-100 %.

WHO5 = Instrument(
    code="who5",
    version="1",
    name="WHO-5",
    title="WHO-5 Well-Being Index",
    instructions=(
        "Please indicate for each of the five statements which is closest to how you have "
        "been feeling over the last two weeks."
    ),
    items=tuple(
        _items(
            (
                "I have felt cheerful and in good spirits",
                "I have felt calm and relaxed",
                "I have felt active and vigorous",
                "I woke up feeling fresh and rested",
                "My daily life has been filled with things that interest me",
            ),
            _options(
                (
                    "At no time",
                    "Some of the time",
                    "Less than half of the time",
                    "More than half of the time",
                    "Most of the time",
                    "All of the time",
                )
            ),
        )
    ),
    scoring=ScoringMethod.SUM_X_FACTOR,
    factor=4,
    display_unit="%",
    direction=Direction.HIGHER_IS_BETTER,
    min_total=0,
    max_total=25,
    # CLINICAL.md: raw < 13 (i.e. < 52%) is poor well-being; no further bands are given.
    bands=(
        Band("poor_wellbeing", "Poor well-being", 0, 13, phrase="with poor well-being"),
        Band(
            "adequate_wellbeing", "Adequate well-being", 13, None, phrase="with adequate well-being"
        ),
    ),
    caseness_cutoff=None,
    reliable_change=ReliableChangeRule(
        # 10 percentage points on the x4 display scale = 2.5 raw points (CLINICAL.md table).
        points=2.5,
        source="10 percentage points (2.5 raw points)",
    ),
    missing=MissingRule(max_missing=0, method=MissingMethod.NONE, source="no rule published"),
    licence="Free to use (WHO Collaborating Centre in Mental Health, Psychiatric Centre North "
    "Zealand).",
    copyright="© Psychiatric Research Unit, WHO Collaborating Centre in Mental Health.",
    sources="WHO-5 Well-Being Index (1998); Topp et al. 2015",
)

# --- PCL-5 --------------------------------------------------------------------------------
# Wording: PCL-5 (Weathers et al. 2013), US Department of Veterans Affairs National Center for
# PTSD, public domain.

PCL5 = Instrument(
    code="pcl5",
    version="1",
    name="PCL-5",
    title="PTSD Checklist for DSM-5 (PCL-5)",
    instructions=(
        "Below is a list of problems that people sometimes have in response to a very "
        "stressful experience. Please read each problem carefully and then choose one of the "
        "answers to indicate how much you have been bothered by that problem in the past month."
    ),
    items=tuple(
        _items(
            (
                "Repeated, disturbing, and unwanted memories of the stressful experience?",
                "Repeated, disturbing dreams of the stressful experience?",
                "Suddenly feeling or acting as if the stressful experience were actually "
                "happening again (as if you were actually back there reliving it)?",
                "Feeling very upset when something reminded you of the stressful experience?",
                "Having strong physical reactions when something reminded you of the stressful "
                "experience (for example, heart pounding, trouble breathing, sweating)?",
                "Avoiding memories, thoughts, or feelings related to the stressful experience?",
                "Avoiding external reminders of the stressful experience (for example, people, "
                "places, conversations, activities, objects, or situations)?",
                "Trouble remembering important parts of the stressful experience?",
                "Having strong negative beliefs about yourself, other people, or the world (for "
                "example, having thoughts such as: I am bad, there is something seriously wrong "
                "with me, no one can be trusted, the world is completely dangerous)?",
                "Blaming yourself or someone else for the stressful experience or what happened "
                "after it?",
                "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
                "Loss of interest in activities that you used to enjoy?",
                "Feeling distant or cut off from other people?",
                "Trouble experiencing positive feelings (for example, being unable to feel "
                "happiness or have loving feelings for people close to you)?",
                "Irritable behavior, angry outbursts, or acting aggressively?",
                "Taking too many risks or doing things that could cause you harm?",
                "Being “superalert” or watchful or on guard?",
                "Feeling jumpy or easily startled?",
                "Having difficulty concentrating?",
                "Trouble falling or staying asleep?",
            ),
            _options(("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")),
        )
    ),
    scoring=ScoringMethod.SUM,
    direction=Direction.HIGHER_IS_WORSE,
    min_total=0,
    max_total=80,
    # CLINICAL.md: 31-33 suggests provisional PTSD; we use 33 (a setting: change both the band
    # boundary and caseness_cutoff together).
    bands=(
        Band("below_threshold", "Below the PTSD threshold", 0, 33),
        Band("provisional_ptsd", "Provisional PTSD", 33, None, phrase="at the PTSD threshold"),
    ),
    caseness_cutoff=33,
    reliable_change=ReliableChangeRule(
        points=10,
        response_points=5,
        source="US VA National Center for PTSD: 10 points reliable change, 5 points a response",
    ),
    # CLINICAL.md gives no missing-item rule for the PCL-5: none allowed.
    missing=MissingRule(max_missing=0, method=MissingMethod.NONE, source="no rule in CLINICAL.md"),
    licence="Public domain: US Department of Veterans Affairs, National Center for PTSD.",
    copyright="PCL-5 (Weathers, Litz, Keane, Palmieri, Marx & Schnurr 2013), National Center "
    "for PTSD.",
    sources="Weathers et al. 2013; National Center for PTSD",
)

# --- WSAS ---------------------------------------------------------------------------------
# Wording: Work and Social Adjustment Scale (Mundt, Marks, Shear & Greist 2002), "[problem]"
# written as "problem". Item 1 (work) may be skipped by people not in work.

_WSAS_OPTIONS = _options(
    ("Not at all", "", "Slightly", "", "Definitely", "", "Markedly", "", "Very severely")
)

_wsas_items = _items(
    (
        "Because of my problem my ability to work is impaired. 0 means not at all impaired "
        "and 8 means very severely impaired to the point I can't work.",
        "Because of my problem my home management (cleaning, tidying, shopping, cooking, "
        "looking after home or children, paying bills) is impaired.",
        "Because of my problem my social leisure activities (with other people, e.g. parties, "
        "bars, clubs, outings, visits, dating, home entertaining) are impaired.",
        "Because of my problem my private leisure activities (done alone, such as reading, "
        "gardening, collecting, sewing, walking alone) are impaired.",
        "Because of my problem my ability to form and maintain close relationships with "
        "others, including those I live with, is impaired.",
    ),
    _WSAS_OPTIONS,
)
# The work item may be skipped if not working: it is then left out and the total is the sum
# of the other four (our reading of the form's "not working" box; *unverified*, a setting).
_wsas_items[0] = Item(
    key="1",
    wording=_wsas_items[0].wording,
    options=_WSAS_OPTIONS,
    optional=True,
    help_text="Leave this blank if you are retired or choose not to have a job for reasons "
    "unrelated to your problem.",
)

WSAS = Instrument(
    code="wsas",
    version="1",
    name="WSAS",
    title="Work and Social Adjustment Scale (WSAS)",
    instructions=(
        "People's problems sometimes affect their ability to do certain day-to-day tasks in "
        "their lives. To rate your problems look at each section and decide on the scale how "
        "much your problem impairs your ability to carry out the activity."
    ),
    items=tuple(_wsas_items),
    scoring=ScoringMethod.SUM,
    direction=Direction.HIGHER_IS_WORSE,
    min_total=0,
    max_total=40,
    # CLINICAL.md (Mundt et al. 2002): < 10 subclinical, 10-20 significant, > 20 moderately
    # severe or worse.
    bands=(
        Band("subclinical", "Subclinical", 0, 10),
        Band("significant", "Significant impairment", 10, 21, phrase="with significant impairment"),
        Band(
            "moderately_severe_or_worse",
            "Moderately severe impairment or worse",
            21,
            None,
            phrase="with moderately severe impairment or worse",
        ),
    ),
    caseness_cutoff=None,
    reliable_change=ReliableChangeRule(
        # No published threshold: Jacobson-Truax once a clinician configures the SD of the
        # population they compare with. Test-retest reliability 0.73 (Mundt et al. 2002).
        points=None,
        sd=None,
        reliability=0.73,
        source="Jacobson-Truax; reliability 0.73 (Mundt et al. 2002); SD not configured",
    ),
    missing=MissingRule(
        max_missing=0,
        method=MissingMethod.NONE,
        source="only the work item may be skipped (unverified)",
    ),
    licence="Mundt, Marks, Shear & Greist 2002. Terms of use unverified: check before "
    "distributing.",
    copyright="Work and Social Adjustment Scale, Mundt et al. (2002), Br J Psychiatry 180:461-4.",
    sources="Mundt, Marks, Shear & Greist 2002",
)

# --- CORE-10 ------------------------------------------------------------------------------
# Wording: the official CORE-10 form, unchanged (CC BY-NC-ND 4.0 forbids derivatives). The
# paper-only sentence about using a dark pen is left out of the instructions.

CORE10 = Instrument(
    code="core10",
    version="1",
    name="CORE-10",
    title="CORE-10",
    instructions=(
        "This form has 10 statements about how you have been OVER THE LAST WEEK. Please read "
        "each statement and think how often you felt that way last week. Then tick the box "
        "which is closest to this."
    ),
    items=tuple(
        Item(
            key=str(n),
            wording=wording,
            # Positively worded items 2 and 3 are reverse-scored: official CORE-10 form (CORE
            # System Trust); CLINICAL.md says sources disagree — *verify* against the form.
            options=_options(
                (
                    "Not at all",
                    "Only occasionally",
                    "Sometimes",
                    "Often",
                    "Most or all of the time",
                ),
                reverse=n in (2, 3),
            ),
            reverse=n in (2, 3),
            # Item 6 is CORE-10's risk item. CLINICAL.md names only PHQ-9 item 9 as a safety
            # item; we flag this one too (our choice: a clinician may turn it off here).
            safety=n == 6,
        )
        for n, wording in enumerate(
            (
                "I have felt tense, anxious or nervous",
                "I have felt I have someone to turn to for support when needed",
                "I have felt able to cope when things go wrong",
                "Talking to people has felt too much for me",
                "I have felt panic or terror",
                "I made plans to end my life",
                "I have had difficulty getting to sleep or staying asleep",
                "I have felt despairing or hopeless",
                "I have felt unhappy",
                "Unwanted images or memories have been distressing me",
            ),
            start=1,
        )
    ),
    scoring=ScoringMethod.SUM,
    direction=Direction.HIGHER_IS_WORSE,
    min_total=0,
    max_total=40,
    # CLINICAL.md (Barkham et al. 2013; CORE-10 user manual, Connell & Barkham 2007): 0-5
    # healthy, 6-10 low level, 11-14 mild, 15-19 moderate, 20-24 moderate-to-severe, 25-40
    # severe. An earlier version had five bands from 0-10 healthy; stored administrations were
    # re-banded by migration measures 0003, which carries its own copy of both tables.
    bands=(
        Band("healthy", "Healthy", 0, 6),
        Band("low_level", "Low level", 6, 11, phrase="with low-level distress"),
        Band("mild", "Mild", 11, 15),
        Band("moderate", "Moderate", 15, 20),
        Band("moderately_severe", "Moderate-to-severe", 20, 25),
        Band("severe", "Severe", 25, None),
    ),
    caseness_cutoff=11,  # CLINICAL.md: >= 11
    reliable_change=ReliableChangeRule(
        points=6,
        source="6 points (Barkham et al. 2013; *verify*)",
    ),
    missing=MissingRule(
        max_missing=1,
        method=MissingMethod.PRORATE,
        source="CORE System Trust: prorate when at most 1 item (10%) is missing",
    ),
    licence="CORE System Trust, CC BY-NC-ND 4.0: wording unchanged, copyright line shown.",
    copyright="© CORE System Trust",
    requires_copyright_display=True,
    sources="Barkham et al. 2013; CORE System Trust",
)

# --- Session feedback (our own) -------------------------------------------------------------
# Our own non-proprietary wording (CLINICAL.md: do NOT ship ORS/SRS or WAI-SR). Mean of four
# 0-10 items; below 7 prompts a conversation.

_ZERO_TO_TEN = tuple(AnswerOption(value=n, label="", score=n) for n in range(11))


def _anchored(low: str, high: str) -> tuple[AnswerOption, ...]:
    return tuple(
        AnswerOption(value=o.value, label={0: low, 10: high}.get(o.value, ""), score=o.score)
        for o in _ZERO_TO_TEN
    )


SESSION_FEEDBACK = Instrument(
    code="session_feedback",
    version="1",
    name="Session feedback",
    title="How was today's session?",
    instructions=(
        "Your answers help your therapist make the sessions work for you. There are no right "
        "or wrong answers, and honest answers are the most useful."
    ),
    items=(
        Item(
            key="1",
            wording="How well did you feel your therapist listened to you today?",
            options=_anchored("Not at all", "Completely"),
        ),
        Item(
            key="2",
            wording="Did today's session focus on the things that matter most to you right now?",
            options=_anchored("Not at all", "Completely"),
        ),
        Item(
            key="3",
            wording="How well did the way you and your therapist worked together today suit you?",
            options=_anchored("Not at all", "Very well"),
        ),
        Item(
            key="4",
            wording="Overall, how helpful was today's session?",
            options=_anchored("Not at all helpful", "Very helpful"),
        ),
    ),
    scoring=ScoringMethod.MEAN,
    direction=Direction.HIGHER_IS_BETTER,
    min_total=0,
    max_total=10,
    # CLINICAL.md: a mean below 7 prompts a conversation.
    bands=(
        Band("talk_about_it", "Worth talking about", 0, 7),
        Band("ok", "No concerns raised", 7, None),
    ),
    caseness_cutoff=None,
    reliable_change=ReliableChangeRule(source="none (CLINICAL.md)"),
    missing=MissingRule(
        max_missing=1,
        method=MissingMethod.PRORATE,
        source="our form: the mean of the answered items when at most 1 is skipped",
    ),
    licence="Continuum's own form; free to use.",
    copyright="",
)

# --- Goal rating ------------------------------------------------------------------------------
# One 0-10 item per active treatment goal; higher is better; reliable change 3 points
# (CLINICAL.md table). The total is the mean over the rated goals; per-goal scores are in
# `Score.item_scores`.

GOAL_RATING_QUESTION = "How close are you to this goal?"


def goal_rating_instrument(goal_labels: Sequence[str]) -> Instrument:
    """The goal-rating form for these goals (item "1" is the first goal)."""
    return Instrument(
        code="goal_rating",
        version="1",
        name="Goal rating",
        title="Your goals",
        instructions=(
            f"{GOAL_RATING_QUESTION} 0 means not at all close, 10 means you have reached it."
        ),
        items=tuple(
            Item(
                key=str(n),
                wording=label,
                options=_anchored("Not at all close", "Reached it"),
            )
            for n, label in enumerate(goal_labels, start=1)
        ),
        scoring=ScoringMethod.MEAN,
        direction=Direction.HIGHER_IS_BETTER,
        min_total=0,
        max_total=10,
        bands=(),
        caseness_cutoff=None,
        reliable_change=ReliableChangeRule(points=3, source="3 points (CLINICAL.md)"),
        # An unrated goal is left out of the mean; at least one goal must be rated.
        missing=MissingRule(
            max_missing=max(len(goal_labels) - 1, 0),
            method=MissingMethod.PRORATE,
            source="our choice: the mean of the rated goals",
        ),
        licence="Continuum's own form; free to use.",
        copyright="",
        dynamic=True,
    )


GOAL_RATING = goal_rating_instrument([])

INSTRUMENTS: dict[str, Instrument] = {
    i.code: i for i in (PHQ9, GAD7, WHO5, PCL5, WSAS, CORE10, SESSION_FEEDBACK, GOAL_RATING)
}


class UnknownInstrument(KeyError):
    pass


def get_instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        raise UnknownInstrument(code) from None
