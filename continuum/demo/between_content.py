"""Words for the demo's between-session records: reflections, plans, reviews, homework,
check-ins. Fictional and generic: no text names anyone, so none can leak a client's name.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Reflections (the therapist's private notes) ----------------------------------------------

REFLECTION_TEXTS: dict[str, tuple[str, ...]] = {
    "concern": (
        "Mentioned in passing that the weekends feel 'pointless' at the moment. Not a risk "
        "statement as such, but I want to check in on safety and what the weekends look like.",
        "Looked more tired than I have seen before and kept the camera off for the first ten "
        "minutes. Worth asking gently about sleep and whether anything has happened at home.",
        "Talked about drinking more in the evenings 'to switch off'. Ask how much and how "
        "often, without making it feel like a telling-off.",
        "Said they had 'stopped bothering' with meals on work days. Keep an eye on this; "
        "review the safety plan together if it comes up again.",
        "The relationship at home sounds more tense than they let on. Ask directly whether "
        "they feel safe, and make sure they have the crisis numbers.",
        "Withdrew from the group chat with friends this week. The isolation is creeping back; "
        "I am a little worried about the next few weeks with the anniversary coming up.",
        "Hinted at money worries for the first time. Could be adding a lot of pressure; "
        "signpost to debt advice if they want it.",
    ),
    "breakthrough": (
        "For the first time they caught the thought in the moment and answered it, instead of "
        "only on paper afterwards. Real shift in how they talked about themselves.",
        "Managed the full step on the hierarchy that felt impossible a month ago, and came in "
        "almost laughing about it. Name this clearly next time: it was their doing.",
        "Spoke about the loss without apologising for crying. Something softened in the room.",
        "Said 'I think I have been waiting to feel ready before doing things, and that is "
        "backwards'. A lovely summary of activation in their own words.",
        "Set a boundary at work and the sky did not fall in. Confidence noticeably higher.",
        "Linked the panic to the situation at work without my prompting. The formulation is "
        "theirs now, not mine.",
        "Slept through four nights in a row for the first time in months and noticed how "
        "different the days felt.",
    ),
    "setback": (
        "A hard fortnight: back to staying in bed until midday and cancelled plans twice. "
        "Felt like failure to them; frame it as information about what knocks the routine.",
        "Avoided the supermarket again after a bad moment last week. Go back a step on the "
        "hierarchy rather than pushing on.",
        "The argument at home seems to have undone some of the progress on speaking up. "
        "Scores went up again too.",
        "Stopped the diary altogether; said it felt like homework they were failing at. "
        "Rethink the format.",
        "Nightmares back after a news story. Return to grounding before anything else.",
        "Work deadline ate every evening this week and the old self-criticism came straight "
        "back. Expected, but they were very discouraged.",
    ),
    "idea": (
        "Try a shorter thought record on the phone's notes app: situation, thought, one "
        "kinder alternative. The five columns are too much right now.",
        "Could use the walk to the station as the daily activation task: it is already there "
        "and costs nothing extra.",
        "Introduce the 'opposite action' skill for the urge to withdraw after arguments.",
        "Bring the exposure steps into the session itself next time (a short walk to the "
        "shop together on video) so the first step is shared.",
        "A compassionate letter from the part of them that copes well, to the part that is "
        "struggling. Might suit them better than more structured work.",
        "Suggest a wind-down hour without screens and a fixed getting-up time, and keep a "
        "simple sleep diary for two weeks.",
        "Draw the vicious cycle together on the whiteboard; they seem to think visually.",
    ),
    "question": (
        "What would be different at home if the worry took up half the space it does now?",
        "Ask how the new medication is going and whether the GP review happened.",
        "Check whether they want to bring their partner to one session, as they mentioned.",
        "How do they feel about moving to fortnightly sessions after the summer?",
        "Ask what got in the way of the activity plan, and what a smaller step would be.",
        "Revisit the goals: is 'feel normal again' still the right one, or has it changed?",
        "Ask about the job interview and how they prepared for it.",
        "Explore what ending therapy might feel like, well before we get there.",
    ),
    "self_reflection": (
        "I noticed I was working harder than the client in the second half. Slow down and let "
        "the silences be.",
        "Felt a strong pull to reassure rather than explore. Worth taking to supervision.",
        "Found myself irritated when the homework was not done again. That is my frustration, "
        "not theirs to carry; get curious about it instead.",
        "Their story about their father stayed with me on the way home. Look after myself "
        "after Thursday sessions.",
        "I may have moved too fast into techniques before the relationship was solid enough.",
        "I felt protective and a bit anxious for them all week. Notice it, name it in "
        "supervision, do not act it out by over-functioning.",
        "Surprised by how much I enjoyed this session: the humour is coming back, and I "
        "should let it.",
    ),
}

# A client who has gone quiet (drifting): what the therapist notes to themselves.
DRIFT_REFLECTIONS = (
    "Cancelled and has not rebooked since. When they come back, ask gently what got in the "
    "way, without blame; consider a short letter if there is no reply.",
    "Has gone quiet after a difficult session. Check whether something I said landed badly.",
    "No contact for a few weeks. Think about whether the sessions still fit their week, or "
    "whether something has happened.",
)

# For a referral not yet seen: what to ask at the assessment.
REFERRAL_QUESTIONS = (
    "Referral mentions poor sleep and a recent bereavement: ask about both at the assessment, "
    "and about any support at home.",
    "Ask what made them look for help now, and what they hope will be different.",
    "Referral letter is brief. Check risk carefully at the assessment and ask about previous "
    "therapy.",
)

ADDRESSED_NOTES = (
    "Raised it at the start; they were glad I remembered.",
    "Talked it through. Agreed to come back to it in a couple of weeks.",
    "Covered it briefly; less of an issue than I had feared.",
    "Discussed it. They had been thinking about the same thing.",
    "Brought it up; led to the most useful part of the session.",
    "Asked about it; no concerns for now, safety plan reviewed.",
    "Tried it in session; worth another go next week.",
)

# --- Treatment plans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentGoal:
    instrument: str
    comparison: str  # plans.models.Comparison value
    value: float
    statements: tuple[str, ...]  # in the client's own words


PHQ9_BELOW_10 = ("phq9", "below", 10.0)
GAD7_BELOW_8 = ("gad7", "below", 8.0)


def _goal(target: tuple[str, str, float], *statements: str) -> InstrumentGoal:
    return InstrumentGoal(target[0], target[1], target[2], statements)


# Each theme's measurable goal: PHQ-9 below 10 or GAD-7 below 8, in the client's words.
INSTRUMENT_GOALS: dict[str, InstrumentGoal] = {
    "low_mood": _goal(
        PHQ9_BELOW_10,
        "Feel like myself again and enjoy the things I used to",
        "Stop feeling so flat and heavy every morning",
    ),
    "worry": _goal(
        GAD7_BELOW_8,
        "Worry less and be able to switch off in the evenings",
        "Not let worrying run my day",
    ),
    "panic": _goal(
        GAD7_BELOW_8,
        "Stop being frightened of the next panic attack",
        "Feel calm enough to go out without planning an escape route",
    ),
    "grief": _goal(
        PHQ9_BELOW_10,
        "Carry the loss without it flattening everything else",
        "Have more good days than bad days again",
    ),
    "work_stress": _goal(
        GAD7_BELOW_8,
        "Leave work at work and stop dreading Mondays",
        "Feel less wound up all the time",
    ),
    "relationships": _goal(
        PHQ9_BELOW_10,
        "Feel better in myself, whatever happens between us",
        "Stop feeling so low after every argument",
    ),
    "sleep": _goal(
        PHQ9_BELOW_10,
        "Wake up feeling rested and get through the day",
        "Have the energy to do things after work",
    ),
    "trauma": _goal(
        GAD7_BELOW_8,
        "Feel safe in my own home again",
        "Not be on high alert all the time",
    ),
}

# Goals rated 0-10 ("how close are you to this goal?"), target 7 or more.
RATING_GOALS: dict[str, tuple[str, ...]] = {
    "low_mood": (
        "See friends at least once a week",
        "Get up at the same time every day, weekends too",
        "Go back to the choir",
    ),
    "worry": (
        "Make decisions without asking three people first",
        "Go a whole evening without checking my emails",
        "Let my daughter walk to school on her own",
    ),
    "panic": (
        "Take the bus into town on my own",
        "Do the weekly shop in the big supermarket",
        "Go to a concert again",
    ),
    "grief": (
        "Sort through the things in the spare room",
        "Talk about him with the family without shutting down",
        "Go back to the walking group",
    ),
    "work_stress": (
        "Say no to extra work without feeling guilty",
        "Take a proper lunch break most days",
        "Have one evening a week just for me",
    ),
    "relationships": (
        "Say what I need instead of going quiet",
        "Have one calm conversation a week about something difficult",
        "Spend time with friends without feeling guilty",
    ),
    "sleep": (
        "Be in bed by half eleven on work nights",
        "Stop napping in the afternoon",
        "Keep my phone out of the bedroom",
    ),
    "trauma": (
        "Walk past the place without my heart racing",
        "Sleep with the light off",
        "Tell my partner when something has triggered me",
    ),
}

FOCUS: dict[str, str] = {
    "low_mood": "Low mood with withdrawal and loss of interest; a cycle of inactivity and "
    "self-criticism keeps it going.",
    "worry": "Persistent worry and 'what if' thinking, with reassurance-seeking and avoidance "
    "of uncertainty.",
    "panic": "Panic attacks and fear of further attacks, with avoidance of crowded places and "
    "public transport.",
    "grief": "Grief after a significant bereavement, with low mood and withdrawal from others.",
    "work_stress": "Work-related stress: long hours, perfectionism and difficulty switching "
    "off, with poor sleep.",
    "relationships": "Difficulties in close relationships: conflict, going quiet, and low mood "
    "afterwards.",
    "sleep": "Poor sleep with irregular routines and worry at night, affecting mood and energy.",
    "trauma": "Symptoms after a frightening event: intrusive memories, hypervigilance and "
    "avoidance.",
}

FOCUS_REVISED = (
    "Revised after the review: {second} has become a larger part of the work.",
    "Revised after the review: progress on the first goals; adding work on {second}.",
)
FOCUS_ENDING = (
    "Consolidating progress and preparing for the ending: what has helped, early warning "
    "signs, and a plan for afterwards.",
)

# The demo's note vocabulary (content.INTERVENTIONS keys) → the plans catalogue.
CATALOGUE_KEYS: dict[str, tuple[str, ...]] = {
    "thought_records": ("thought_records",),
    "behavioural_activation": ("behavioural_activation",),
    "exposure": ("graded_exposure",),
    "grounding": ("grounding",),
    "dbt_skills": ("dbt_distress_tolerance", "dbt_emotion_regulation"),
    "psychoeducation": ("psychoeducation",),
}

RATIONALES: dict[str, tuple[str, ...]] = {
    "thought_records": (
        "Self-critical automatic thoughts drive the low mood; recording and testing them "
        "builds a fairer view.",
        "Worry is fed by catastrophic predictions; thought records make them visible and testable.",
    ),
    "behavioural_activation": (
        "Withdrawal and inactivity maintain the low mood; scheduled valued activity breaks the "
        "cycle.",
        "Rebuilding routine and contact with others, starting small and building up.",
    ),
    "graded_exposure": (
        "Avoidance maintains the fear; a graded hierarchy lets anxiety fall with repeated "
        "practice.",
    ),
    "grounding": (
        "Intrusive memories and dissociation overwhelm the client; grounding gives a way back "
        "to the present.",
    ),
    "dbt_distress_tolerance": (
        "Intense moments after conflict lead to impulsive coping; crisis-survival skills give "
        "safer options.",
    ),
    "dbt_emotion_regulation": (
        "Emotions escalate quickly and feel unmanageable; naming and regulating them reduces "
        "the swings.",
    ),
    "psychoeducation": (
        "A shared understanding of what keeps the problem going makes the rest of the work "
        "make sense.",
    ),
    "mindfulness": (
        "Rumination pulls attention into the past and future; short present-moment practice "
        "loosens its grip.",
    ),
    "problem_solving": (
        "Practical problems are piling up and feeding the worry; a structured approach makes "
        "them manageable.",
    ),
    "compassion_focused": (
        "Harsh self-criticism undermines every gain; building a kinder inner voice supports "
        "the other work.",
    ),
    "motivational_interviewing": (
        "Mixed feelings about change; exploring the client's own reasons keeps them in charge "
        "of it.",
    ),
    "sleep_cbti": (
        "Irregular sleep and time awake in bed worsen mood and energy; stimulus control and a "
        "fixed rising time.",
    ),
    "interpersonal": (
        "Mood follows the ups and downs of a key relationship; work on communication and roles.",
    ),
    "relapse_prevention": (
        "Towards the ending: a written plan of what helped, early warning signs and what to do "
        "if they return.",
    ),
}

# What a further technique may be added to a plan at a revision, per theme.
EXTRA_TECHNIQUES: dict[str, tuple[str, ...]] = {
    "low_mood": ("compassion_focused", "mindfulness", "problem_solving"),
    "worry": ("mindfulness", "problem_solving"),
    "panic": ("mindfulness", "graded_exposure"),
    "grief": ("interpersonal", "compassion_focused"),
    "work_stress": ("problem_solving", "mindfulness", "sleep_cbti"),
    "relationships": ("interpersonal", "dbt_emotion_regulation"),
    "sleep": ("sleep_cbti", "mindfulness"),
    "trauma": ("dbt_distress_tolerance", "compassion_focused"),
}


@dataclass(frozen=True)
class Adaptation:
    technique: str  # a catalogue key, or "other" with `custom`
    custom: str
    rationale: str


ADAPTATIONS: dict[str, tuple[Adaptation, ...]] = {
    "thought_records": (
        Adaptation(
            "thought_records",
            "",
            "Shorter three-column records kept on the phone, done the same evening rather "
            "than in the moment.",
        ),
        Adaptation(
            "other",
            "Behavioural experiments",
            "The records work on paper but belief hardly shifts; testing the main prediction "
            "in real situations instead.",
        ),
        Adaptation(
            "compassion_focused",
            "",
            "Self-criticism kept taking over the records; building a kinder inner voice first.",
        ),
    ),
    "behavioural_activation": (
        Adaptation(
            "behavioural_activation",
            "",
            "Smaller steps: one planned activity each morning, weekends included, and "
            "no more than three a week to start.",
        ),
        Adaptation(
            "problem_solving",
            "",
            "Practical barriers keep stopping the plan; solving them one at a time first.",
        ),
    ),
    "graded_exposure": (
        Adaptation(
            "graded_exposure",
            "",
            "A gentler hierarchy with more intermediate steps, practised daily for a short "
            "time rather than weekly for long.",
        ),
        Adaptation(
            "graded_exposure",
            "",
            "Dropping the safety behaviours (water bottle, phone call) during exposure, now "
            "the lower steps are manageable.",
        ),
    ),
    "grounding": (
        Adaptation(
            "dbt_distress_tolerance",
            "",
            "Grounding helps in session but not in the worst moments; adding crisis-survival "
            "skills for those.",
        ),
        Adaptation(
            "grounding",
            "",
            "A personal grounding kit (scent, a smooth stone, a card with the 5-4-3-2-1 steps) "
            "to carry everywhere.",
        ),
    ),
    "dbt_distress_tolerance": (
        Adaptation(
            "dbt_emotion_regulation",
            "",
            "Crises are rarer now; moving on to noticing and regulating emotions earlier.",
        ),
    ),
    "dbt_emotion_regulation": (
        Adaptation(
            "mindfulness",
            "",
            "Labelling emotions works once they slow down; short daily mindfulness first.",
        ),
    ),
    "psychoeducation": (
        Adaptation(
            "other",
            "Shared formulation diagram",
            "The handouts did not stick; drawing the client's own cycle together instead.",
        ),
        Adaptation(
            "motivational_interviewing",
            "",
            "Understanding is there but commitment to change is mixed; exploring the "
            "ambivalence first.",
        ),
    ),
}
# Techniques without their own entry keep the technique and change how it is done.
DEFAULT_ADAPTATION_RATIONALE = (
    "Same approach, adjusted: shorter, more frequent practice fitted around the working week."
)

REVIEW_WHAT_HAPPENED = (
    "Used in most sessions since the last review; practised between sessions about half the time.",
    "Worked on it every session; homework completed most weeks.",
    "Practised consistently at first, less so in the last fortnight (holiday, illness).",
    "Introduced and practised in session; harder to keep going at home.",
    "Regular practice, with the client now suggesting when to use it.",
)
REVIEW_RESPONSES = {
    "keep": (
        "Finds it useful and is starting to use it without prompting.",
        "Says it helps 'most of the time'; scores moving in the right direction.",
        "Engaged and motivated; would like to keep going.",
    ),
    "adapt": (
        "Likes the idea but finds it hard to do between sessions.",
        "Some benefit, but it has stalled; feels repetitive to them.",
        "Helpful in session, rarely used when it matters.",
    ),
    "stop": (
        "Says it has done its job; no longer needed.",
        "Found it unhelpful and a bit of a chore; agreed to drop it.",
    ),
}
REVIEW_REASONS = {
    "keep": (
        "Still helping; keep it and review again in four weeks.",
        "Good response; continue as planned.",
        "Too early to judge; give it another month.",
    ),
    "adapt": (
        "The principle fits but the format does not; change how it is done.",
        "Progress has stalled; a different route to the same goal.",
        "Barriers at home keep getting in the way; make it simpler.",
    ),
    "stop": (
        "The goals it supported are mostly met.",
        "Not a good fit for this client; effort better spent elsewhere.",
    ),
}

# --- Homework ----------------------------------------------------------------------------------

HOMEWORK_TITLES: dict[str, tuple[str, ...]] = {
    "thought_records": (
        "Two thought records when your mood drops below 4 out of 10",
        "Write down one hot thought a day and a kinder answer to it",
        "Add 'what would I say to a friend?' to each thought record",
    ),
    "behavioural_activation": (
        "Keep the activity diary every day",
        "Three planned activities that matter to you",
        "A twenty-minute walk on three days, whatever your mood",
        "Arrange to meet one friend",
    ),
    "graded_exposure": (
        "Practise the next step on your list three times",
        "Stay in the shop until the anxiety halves, twice this week",
        "One short bus journey, on your own",
    ),
    "grounding": (
        "Use the 5-4-3-2-1 exercise once a day, even when calm",
        "Carry your grounding kit and note when you used it",
    ),
    "dbt_distress_tolerance": (
        "Try one TIPP skill when an urge is strong and note what happened",
        "Write your own list of distraction activities",
    ),
    "dbt_emotion_regulation": (
        "Name the emotion and rate it twice a day",
        "One 'opposite action' when the urge to withdraw comes",
    ),
    "psychoeducation": (
        "Read the leaflet on how worry works and note what fits",
        "Spot one example of the cycle we drew",
    ),
    "mindfulness": (
        "A ten-minute breathing practice on five days",
        "One mindful walk this week",
    ),
    "problem_solving": (
        "Pick one problem from the list and try the first step",
        "Write three options for the problem we discussed",
    ),
    "compassion_focused": (
        "Write a short compassionate letter to yourself",
        "Notice the critic once a day and answer it kindly",
    ),
    "motivational_interviewing": (
        "List what you would gain and lose by changing",
        "Rate how important the change is each day, and why not lower",
    ),
    "sleep_cbti": (
        "Get up at 7 every day, weekends too, and keep a sleep diary",
        "Leave the bedroom if you are awake for more than twenty minutes",
    ),
    "interpersonal": (
        "Have one conversation where you say what you need",
        "Notice how you feel after time with each of the people we mapped",
    ),
    "relapse_prevention": (
        "Draft your list of early warning signs",
        "Write down the three things that helped most",
    ),
    "other": (
        "Try the experiment we planned and write down what happened",
        "Add one box to the cycle diagram when you notice it",
    ),
}
HOMEWORK_WHY = (
    "Practice between sessions is what makes it stick.",
    "So we can see together what helps.",
    "A small step towards the goal.",
)
HOMEWORK_NOTES: dict[str, tuple[str, ...]] = {
    "done": (
        "Did it every day. Easier than I expected by the end of the week.",
        "Done. Felt silly at first but it helped.",
        "Managed all of it, even on the bad day.",
        "Done, and I noticed I felt lighter afterwards.",
        "Did it. The Tuesday one was hard but I stayed with it.",
    ),
    "partly": (
        "Did about half. Work got on top of me midweek.",
        "Managed twice, not three times. Better than last week though.",
        "Started well, then forgot over the weekend.",
        "Did the easy part. The rest felt too much this week.",
    ),
    "not_done": (
        "Didn't manage it this week. Too tired every evening.",
        "I kept putting it off and then felt bad about it.",
        "Not this time - we had a family thing all week.",
        "Couldn't face it. Can we talk about why next time?",
    ),
}

# --- Check-ins ---------------------------------------------------------------------------------

CHECKIN_NOTES: dict[str, tuple[str, ...]] = {
    "low": (
        "Rough week. Didn't really leave the house after Tuesday.",
        "Sleeping badly again and everything feels like an effort.",
        "Had an argument at home and I've been low since.",
        "Work is too much at the moment. I'm not coping very well.",
        "Felt really down on Sunday. Better today but not great.",
    ),
    "mid": (
        "Up and down. A good day on Thursday, the rest so-so.",
        "Did some of the homework. Still finding the mornings hard.",
        "Okay week. Worried about the appointment with my manager.",
        "Saw a friend at the weekend, which helped a bit.",
        "Not much to report. Tired but getting through.",
    ),
    "high": (
        "Good week! Went to the choir and enjoyed it.",
        "Feeling more like myself. Slept well most nights.",
        "Managed the bus journey on my own. Really pleased.",
        "Better week. Used the breathing exercise when I needed it.",
        "Quite a calm week. Looking forward to the session.",
    ),
}
URGENT_NOTES = (
    "Things are really bad tonight. I don't know how to get through the weekend.",
    "I had a panic attack at work and had to go home. I can't stop shaking.",
    "Everything has got on top of me since the news on Monday. I need to talk before our "
    "next session if possible.",
    "I've been having the thoughts again. I'm safe right now but I wanted you to know.",
)
