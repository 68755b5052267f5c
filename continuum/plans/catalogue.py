"""The catalogue of common interventions, as data (no Django).

Each technique has a short description for the therapist and a plain-language sentence for
the client's "My plan" page (no clinical jargon). A plan may also name a technique in free
text; the catalogue is a help, not a limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Technique:
    key: str
    name: str
    description: str  # for the therapist: what it is, in a line
    plain: str  # for the client: what we will do together, in everyday words


TECHNIQUES: tuple[Technique, ...] = (
    Technique(
        "thought_records",
        "CBT thought records",
        "Catch automatic thoughts in situations, examine the evidence, and write balanced "
        "alternatives.",
        "Writing down upsetting thoughts when they happen, then looking at them together "
        "to find a fairer way of seeing things.",
    ),
    Technique(
        "behavioural_activation",
        "Behavioural activation",
        "Schedule and monitor activities that bring pleasure or mastery, to break the cycle "
        "of withdrawal and low mood.",
        "Planning small, doable activities that matter to you, and noticing how they affect "
        "your mood.",
    ),
    Technique(
        "graded_exposure",
        "Graded exposure",
        "Approach feared situations step by step along a hierarchy until the anxiety lessens.",
        "Facing the things you have been avoiding a small step at a time, at a pace you agree to.",
    ),
    Technique(
        "erp",
        "Exposure and response prevention",
        "Exposure to obsessional triggers while resisting compulsions or neutralising.",
        "Facing the things that set off the urges, and practising not doing the rituals, so "
        "the urges fade.",
    ),
    Technique(
        "dbt_distress_tolerance",
        "DBT distress tolerance skills",
        "Crisis-survival skills (TIPP, distraction, self-soothing, radical acceptance) to get "
        "through intense moments without making them worse.",
        "Learning ways to get through very hard moments safely, without making things worse.",
    ),
    Technique(
        "dbt_emotion_regulation",
        "DBT emotion regulation",
        "Name emotions, check the facts, act opposite to unhelpful urges, and reduce "
        "vulnerability.",
        "Learning to notice and name feelings, and to respond to strong feelings in ways that "
        "help.",
    ),
    Technique(
        "mindfulness",
        "Mindfulness",
        "Present-moment, non-judgemental attention practice (breathing, body scan, noticing "
        "thoughts).",
        "Short practices for paying attention to the present moment, gently and without "
        "judging yourself.",
    ),
    Technique(
        "motivational_interviewing",
        "Motivational interviewing",
        "Explore ambivalence and strengthen the client's own reasons for change.",
        "Talking through what you want to change and why it matters to you, in your own words.",
    ),
    Technique(
        "psychoeducation",
        "Psychoeducation",
        "Shared understanding of the problem: how it works and what keeps it going.",
        "Learning how what you are going through works, and what keeps it going.",
    ),
    Technique(
        "problem_solving",
        "Problem solving",
        "Define a problem, brainstorm options, weigh them, choose, try and review.",
        "Breaking a problem down, listing options, picking one to try, and seeing how it went.",
    ),
    Technique(
        "sleep_cbti",
        "Sleep hygiene / CBT-I techniques",
        "Stimulus control, sleep scheduling and habits that support sleep.",
        "Changing routines around bedtime and sleep so that sleep can settle.",
    ),
    Technique(
        "grounding",
        "Grounding",
        "Sensory and cognitive techniques to return to the present during flashbacks, "
        "dissociation or panic.",
        "Simple ways to bring yourself back to the here and now when feelings become overwhelming.",
    ),
    Technique(
        "relapse_prevention",
        "Relapse prevention planning",
        "Identify early warning signs and triggers, and plan what helps, for after therapy.",
        "Making a plan for spotting early signs of difficulty and what to do, for after our "
        "sessions end.",
    ),
    Technique(
        "compassion_focused",
        "Compassion-focused exercises",
        "Build self-compassion and soothing to counter shame and self-criticism.",
        "Exercises to treat yourself with more kindness, especially when you are self-critical.",
    ),
    Technique(
        "interpersonal",
        "Interpersonal work",
        "Work on relationships, role transitions, conflicts and grief as they relate to mood.",
        "Looking at the relationships and changes in your life, and how they affect how you feel.",
    ),
)

CATALOGUE: dict[str, Technique] = {t.key: t for t in TECHNIQUES}

# The form's choice for a technique named in free text.
OTHER = "other"


def technique_choices() -> list[tuple[str, str]]:
    """(key, name) for a select, in catalogue order, then "Other (describe)"."""
    return [(t.key, t.name) for t in TECHNIQUES] + [(OTHER, "Other (describe below)")]


def technique_name(key: str, custom: str = "") -> str:
    """The name to show: the catalogue name, or the free text for an "other" technique."""
    technique = CATALOGUE.get(key)
    return technique.name if technique is not None else custom


def plain_description(key: str) -> str:
    """The client-facing sentence for a catalogue technique; "" for free-text ones."""
    technique = CATALOGUE.get(key)
    return technique.plain if technique is not None else ""
