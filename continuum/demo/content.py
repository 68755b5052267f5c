"""Fictional people and plausible clinical text for the demo practice (plain Python, no Django).

Everything here is invented: names are common given names and surnames drawn at random, phone
numbers come from Ofcom's range reserved for drama (07700 900000 to 900999) and email addresses use
the reserved example.* domains. Notes never mention the client by name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# --- The practice and its fixed logins --------------------------------------------------------

PRACTICE_NAME = "Riverside Therapy Collective"
PRACTICE_TIME_ZONE = "Europe/London"
DEMO_PASSWORD = "continuum-demo"  # noqa: S105 - demo data only, printed by the command


@dataclass(frozen=True)
class StaffSpec:
    email: str
    full_name: str
    is_owner: bool
    note_format: str  # the format this therapist usually writes in


# The first three staff are always these three logins, in this order.
FIXED_STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("owner@example.org", "Ruth Hallam", True, "birp"),
    StaffSpec("therapist@example.org", "Sam Okafor", False, "soap"),
    StaffSpec("colleague@example.org", "Jonah Whitfield", False, "dap"),
)
LOGINS_LINE = (
    f"therapist@example.org / colleague@example.org / owner@example.org — password: {DEMO_PASSWORD}"
)
# The portal login of one of therapist@example.org's clients (same password).
CLIENT_LOGIN = "client@example.org"
CLIENT_LOGIN_LINE = f"client portal: {CLIENT_LOGIN} (same password)"


def extra_staff_email(number: int) -> str:
    """The login of the `number`-th therapist (4, 5, …) in a larger generated practice."""
    return f"therapist-{number:03d}@example.org"


# --- Names ------------------------------------------------------------------------------------

# fmt: off
FEMALE_FIRST = (
    "Amelia", "Aisha", "Beatrice", "Bethany", "Catherine", "Chloe", "Daisy", "Eleanor",
    "Elizabeth", "Esme", "Fatima", "Freya", "Georgia", "Grace", "Hannah", "Harriet", "Imogen",
    "Isla", "Jasmine", "Joanna", "Katherine", "Lara", "Leah", "Lucy", "Maya", "Margaret",
    "Megan", "Nadia", "Naomi", "Olivia", "Phoebe", "Priya", "Rebecca", "Rosa", "Ruby", "Sara",
    "Sophie", "Tamsin", "Yasmin", "Zara",
)
MALE_FIRST = (
    "Aaron", "Adam", "Ahmed", "Alexander", "Arjun", "Ben", "Callum", "Christopher", "Connor",
    "Daniel", "David", "Dylan", "Ethan", "Felix", "Gareth", "Harry", "Isaac", "Jack", "James",
    "Jonathan", "Kieran", "Liam", "Luke", "Marcus", "Mohammed", "Nathan", "Oliver", "Omar",
    "Owen", "Patrick", "Rhys", "Samuel", "Sebastian", "Stefan", "Thomas", "Tobias", "Tom",
    "Tyler", "William", "Yusuf",
)
NEUTRAL_FIRST = (
    "Alex", "Ash", "Bailey", "Charlie", "Eden", "Frankie", "Jamie", "Jordan", "Kai", "Morgan",
    "Quinn", "Riley", "Robin", "Rowan", "Sasha", "Skye",
)
LAST_NAMES = (
    "Abbott", "Ahmed", "Akhtar", "Allen", "Armstrong", "Bailey", "Baker", "Barker", "Begum",
    "Bell", "Bennett", "Bishop", "Booth", "Bradley", "Brennan", "Burgess", "Carr", "Chapman",
    "Chaudhry", "Clarke", "Coleman", "Collins", "Cooper", "Dale", "Davies", "Dawson", "Doyle",
    "Edwards", "Ellis", "Evans", "Farrell", "Fernandes", "Fletcher", "Foster", "Francis",
    "Gallagher", "Gill", "Goodwin", "Graham", "Grant", "Hale", "Hardy", "Harper", "Hayes",
    "Holland", "Hughes", "Hussain", "Iqbal", "Jennings", "Jones", "Kaur", "Kelly", "Kennedy",
    "Khan", "Knight", "Lambert", "Lawson", "Lewis", "Lloyd", "Lowe", "Malik", "Marsh", "Mason",
    "McCarthy", "Mills", "Morgan", "Murphy", "Nash", "Nowak", "O'Brien", "Osei", "Owusu",
    "Palmer", "Parry", "Patel", "Pearce", "Perry", "Quinn", "Rahman", "Reid", "Reynolds",
    "Rhodes", "Riley", "Rossi", "Sharma", "Shaw", "Singh", "Slater", "Stevens", "Sutton",
    "Thornton", "Turner", "Wade", "Walsh", "Ward", "Webb", "Whelan", "Wilkinson", "Yates",
    "Young",
)
# fmt: on
NICKNAMES = {
    "Alexander": "Alex",
    "Catherine": "Cat",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Elizabeth": "Liz",
    "Jonathan": "Jon",
    "Katherine": "Kate",
    "Margaret": "Maggie",
    "Rebecca": "Becky",
    "Samuel": "Sam",
    "Sebastian": "Seb",
    "Thomas": "Tom",
    "William": "Will",
}
EMERGENCY_RELATIONS = ("partner", "sister", "brother", "mother", "father", "friend", "spouse")


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    preferred_name: str
    pronouns: str


def invent_person(rng: random.Random) -> Person:
    """A fictional first and last name, with pronouns and sometimes a preferred name."""
    pool = rng.random()
    if pool < 0.47:
        first, pronouns = rng.choice(FEMALE_FIRST), "she/her"
    elif pool < 0.92:
        first, pronouns = rng.choice(MALE_FIRST), "he/him"
    else:
        first = rng.choice(NEUTRAL_FIRST)
        pronouns = rng.choice(("they/them", "she/her", "he/him", "they/them"))
    if rng.random() < 0.3:
        pronouns = ""  # not everyone is asked, or chooses to say
    preferred = NICKNAMES.get(first, "") if rng.random() < 0.6 else ""
    return Person(first, rng.choice(LAST_NAMES), preferred, pronouns)


def fictional_phone(rng: random.Random) -> str:
    """A UK mobile number from the range Ofcom reserves for drama (never a real line)."""
    return f"07700 900{rng.randrange(1000):03d}"


def fictional_email(person: Person, number: int) -> str:
    local = f"{person.first_name}.{person.last_name}".lower().replace("'", "")
    return f"{local}{number}@example.net"


# --- Clinical themes and interventions ----------------------------------------------------------

REFERRAL_SOURCES = (
    "Self-referral",
    "GP referral",
    "Referred by the employee assistance programme",
    "Referred by the university wellbeing service",
    "Self-referral on a friend's recommendation",
    "Referred by the community mental health team after triage",
)


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    referrals: tuple[str, ...]  # completes "<source>: …"
    reports: tuple[str, ...]  # what the client brought on a harder week
    better: tuple[str, ...]  # what the client brought on a better week
    observations: tuple[str, ...]
    assessments: tuple[str, ...]
    interventions: tuple[str, ...]  # keys of INTERVENTIONS that fit this theme


THEMES: dict[str, Theme] = {
    t.key: t
    for t in (
        Theme(
            "low_mood",
            "Low mood",
            (
                "low mood for around six months, withdrawal from friends and loss of interest "
                "in hobbies.",
                "persistent low mood since a relationship ended; struggling to get up for work.",
                "flat mood, tiredness and a sense of failure after a difficult year at work.",
            ),
            (
                "Described a flat week; spent most evenings on the sofa and cancelled plans with "
                "a friend.",
                "Said they felt 'heavy' most mornings and found it hard to start anything before "
                "midday.",
                "Reported a setback after a critical comment from a family member; ruminated on "
                "it for several days.",
                "Noticed self-critical thoughts ('I'm useless') returning when tasks piled up.",
                "Stopped going to the gym again and felt guilty about it.",
                "Described low energy and poor appetite; has been skipping lunch.",
            ),
            (
                "Reported a better week: went for two walks and met a friend for coffee.",
                "Said mornings were a little easier; managed to keep to a regular wake-up time.",
                "Described enjoying cooking again for the first time in months.",
                "Noticed mood lifting on days with some structure and contact with others.",
            ),
            (
                "Affect flat at the start, brightening when talking about their niece.",
                "Slowed speech; spoke quietly but engaged throughout.",
            ),
            (
                "Depressive symptoms persist but the client is re-engaging with valued activities.",
                "Mood appears closely linked to inactivity and withdrawal; the cycle is "
                "becoming clearer to the client.",
                "Self-critical thinking remains the main maintaining factor.",
                "Gradual improvement in activity levels; mood lagging behind behaviour as "
                "expected.",
            ),
            ("behavioural_activation", "thought_records", "psychoeducation"),
        ),
        Theme(
            "worry",
            "Worry",
            (
                "constant worry about health, family and money, with tension headaches.",
                "long-standing generalised worry that has worsened since becoming a parent.",
                "difficulty switching off from worry in the evenings; affecting sleep and "
                "concentration.",
            ),
            (
                "Reported worrying for hours most evenings about a minor mistake at work.",
                "Described checking their partner's location repeatedly when they were late home.",
                "Said the 'what ifs' about their father's health took over most of the weekend.",
                "Noticed muscle tension and jaw clenching on most days.",
                "Spent a long time seeking reassurance online about a symptom.",
            ),
            (
                "Used worry time on most days and noticed worries felt less urgent by then.",
                "Said they let a worry about a late bill go without checking, and the anxiety "
                "passed.",
                "Reported fewer evenings lost to worry this week.",
                "Described tolerating uncertainty about a test result better than expected.",
            ),
            (
                "Restless at first; fidgeting eased as the session went on.",
                "Spoke quickly and jumped between topics when describing worries.",
            ),
            (
                "Worry is maintained by beliefs that worrying is protective and by reassurance "
                "seeking.",
                "Intolerance of uncertainty remains high but the client is testing it out.",
                "Worry episodes are shorter; the client is catching them earlier.",
                "Good understanding of the worry cycle; now needs practice in daily life.",
            ),
            ("psychoeducation", "thought_records", "exposure", "grounding"),
        ),
        Theme(
            "panic",
            "Panic",
            (
                "panic attacks on public transport over the last four months, now avoiding "
                "the Underground.",
                "sudden episodes of racing heart and breathlessness, fear of collapsing.",
                "panic attacks at work leading to sick leave.",
            ),
            (
                "Had two panic attacks this week, one in a supermarket queue.",
                "Avoided the bus and walked for forty minutes instead; felt defeated afterwards.",
                "Described a racing heart at night and fear that something is wrong with their "
                "heart.",
                "Left a meeting early because of rising panic.",
                "Noticed carrying water and checking for exits as safety behaviours.",
            ),
            (
                "Rode three stops on the bus without leaving early; anxiety peaked and fell.",
                "Reported a near-panic that passed without escape for the first time.",
                "Stayed in a busy shop for twenty minutes as planned.",
                "Noticed fewer physical symptoms and less fear of them.",
            ),
            (
                "Visibly anxious when describing the last attack; settled with slower breathing.",
                "Calm and engaged; laughed when recalling an exposure that went well.",
            ),
            (
                "Catastrophic misinterpretation of bodily sensations maintains the panic cycle.",
                "Avoidance is reducing; confidence growing with each exposure.",
                "Safety behaviours are being dropped one at a time, which is helping.",
                "Panic frequency falling; residual anticipatory anxiety remains.",
            ),
            ("exposure", "psychoeducation", "grounding", "thought_records"),
        ),
        Theme(
            "grief",
            "Grief",
            (
                "grief after the death of their mother last year; finding it hard to function.",
                "bereavement following the sudden loss of a close friend.",
                "complicated grief since the death of their partner eighteen months ago.",
            ),
            (
                "Described a difficult week around what would have been their mother's birthday.",
                "Said they avoid the room where their partner's things are kept.",
                "Reported waves of sadness at unexpected moments, such as in the supermarket.",
                "Spoke about guilt that they did not visit more in the final months.",
                "Found it hard to talk to family about the loss; feels they should be 'over it'.",
            ),
            (
                "Looked through photographs with their sister and found it comforting as well "
                "as sad.",
                "Visited the grave and described it as meaningful rather than overwhelming.",
                "Reported some days where the loss sat alongside ordinary life.",
                "Began sorting a few of their partner's belongings at their own pace.",
            ),
            (
                "Tearful when speaking about the funeral; able to stay with the feeling.",
                "Composed and reflective; warm when sharing memories.",
            ),
            (
                "Grief is moving from avoidance towards remembering with less distress.",
                "Guilt is a central theme and is softening as it is talked about.",
                "Oscillation between loss and restoration is healthy and increasing.",
                "Client is beginning to rebuild routines while keeping a connection to the "
                "person who died.",
            ),
            ("psychoeducation", "behavioural_activation", "grounding"),
        ),
        Theme(
            "work_stress",
            "Work stress",
            (
                "work stress after a restructure, long hours and irritability at home.",
                "burnout symptoms: exhaustion, cynicism about work and poor concentration.",
                "conflict with a new manager and anxiety on Sunday evenings.",
            ),
            (
                "Worked late four nights this week and felt exhausted and irritable.",
                "Described dread on Sunday evening and checking emails in bed.",
                "Reported a tense meeting with their manager and replaying it afterwards.",
                "Said they could not say no to extra projects and felt resentful.",
                "Noticed headaches and difficulty concentrating by mid-afternoon.",
            ),
            (
                "Left work on time three days out of five and protected their lunch break.",
                "Raised workload concerns with their manager; the conversation went better than "
                "feared.",
                "Turned off email notifications in the evening and noticed feeling calmer.",
                "Took a full day off at the weekend without checking messages.",
            ),
            (
                "Tired and tense; shoulders raised, eased later in the session.",
                "Animated and frustrated when describing the week at work.",
            ),
            (
                "Perfectionism and difficulty setting limits drive overwork.",
                "Stress is reducing as boundaries around work become firmer.",
                "Client recognises the link between workload, sleep and irritability.",
                "Values conflict between career and family time is now explicit.",
            ),
            ("psychoeducation", "thought_records", "behavioural_activation", "dbt_skills"),
        ),
        Theme(
            "relationships",
            "Relationships",
            (
                "repeated conflict with their partner and fear of the relationship ending.",
                "difficulties trusting others after a controlling relationship.",
                "feeling lonely and disconnected since moving to the area.",
            ),
            (
                "Described an argument with their partner that escalated quickly.",
                "Said they withdrew for two days after feeling criticised by a friend.",
                "Reported feeling lonely at the weekend and scrolling social media for hours.",
                "Spoke about fear of being abandoned when a friend did not reply.",
                "Found it hard to say what they needed during a family visit.",
            ),
            (
                "Used a calmer script to raise a difficult topic with their partner.",
                "Joined a walking group and spoke to two new people.",
                "Noticed the urge to withdraw and chose to send a message instead.",
                "Reported a warm weekend with family with fewer conflicts.",
            ),
            (
                "Guarded at first; opened up when discussing the argument.",
                "Engaged and thoughtful; reflected on patterns from earlier relationships.",
            ),
            (
                "Interpersonal sensitivity to criticism maintains withdrawal and conflict.",
                "Client is more able to name needs directly, with some success.",
                "Attachment-related fears are clearer and are being tested against evidence.",
                "Social connection is increasing, which supports mood.",
            ),
            ("dbt_skills", "thought_records", "psychoeducation"),
        ),
        Theme(
            "sleep",
            "Sleep",
            (
                "insomnia for over a year, lying awake for hours, relying on naps.",
                "poor sleep since shift work began, with low mood during the day.",
                "early waking and difficulty getting back to sleep.",
            ),
            (
                "Sleep diary shows four nights with over an hour to fall asleep.",
                "Took long naps after work and then lay awake until 2 a.m.",
                "Described lying in bed worrying about not sleeping.",
                "Woke at 4 a.m. most days and checked the time repeatedly.",
            ),
            (
                "Kept to the agreed rise time every day, including the weekend.",
                "Sleep diary shows falling asleep faster on five of seven nights.",
                "Got out of bed when awake for long and noticed less frustration.",
                "Reported feeling more rested despite a slightly shorter night.",
            ),
            (
                "Tired, yawning at times; attentive throughout.",
                "More alert than last time; brought a completed sleep diary.",
            ),
            (
                "Conditioned arousal in bed and irregular timing maintain the insomnia.",
                "Sleep efficiency improving with the stimulus control plan.",
                "Worry about sleep itself is reducing as sleep becomes more predictable.",
                "Daytime fatigue remains but is no longer the main complaint.",
            ),
            ("psychoeducation", "behavioural_activation", "grounding"),
        ),
        Theme(
            "trauma",
            "Trauma",
            (
                "intrusive memories and nightmares after a road traffic collision.",
                "flashbacks and hypervigilance following an assault two years ago.",
                "difficulties with trust and startle responses related to childhood experiences.",
            ),
            (
                "Reported two nightmares and feeling on edge for the rest of the day.",
                "A sudden noise at work triggered a flashback; left the room to calm down.",
                "Described avoiding the road where the collision happened.",
                "Said they felt numb and detached for much of the week.",
                "Noticed scanning exits and sitting with their back to the wall in cafés.",
            ),
            (
                "Used grounding during an intrusive memory and felt back in the present within "
                "minutes.",
                "Drove part of the avoided route with a friend.",
                "Reported fewer nightmares and better sleep this week.",
                "Noticed feeling safer in busy places than a month ago.",
            ),
            (
                "Hypervigilant to noise outside the room; settled with grounding.",
                "Calm and steady; able to talk about the event without becoming overwhelmed.",
            ),
            (
                "Trauma memories remain poorly integrated; stabilisation is the priority.",
                "Window of tolerance is widening; client can use skills when triggered.",
                "Avoidance of reminders is reducing, allowing more ordinary activity.",
                "Ready to begin carefully paced work with the memory itself.",
            ),
            ("grounding", "psychoeducation", "exposure", "dbt_skills"),
        ),
    )
}


@dataclass(frozen=True)
class Intervention:
    key: str
    label: str
    delivered: tuple[str, ...]
    responses: tuple[str, ...]
    homework: tuple[str, ...]
    next_steps: tuple[str, ...]


INTERVENTIONS: dict[str, Intervention] = {
    i.key: i
    for i in (
        Intervention(
            "thought_records",
            "CBT thought records",
            (
                "Worked through a thought record on the belief 'I always let people down'; "
                "looked at evidence for and against.",
                "Reviewed last week's thought records and identified a pattern of mind-reading.",
                "Introduced the five-column thought record using a situation from Tuesday.",
                "Practised generating a balanced alternative thought for a recent trigger.",
                "Explored the link between a hot thought and the urge to withdraw.",
            ),
            (
                "Engaged well; generated an alternative thought with some prompting.",
                "Found it hard to believe the balanced thought at first; belief shifted from "
                "90% to 60%.",
                "Said the thought record helped them 'step back' from the thought.",
                "Identified their own thinking traps with little help this time.",
            ),
            (
                "Complete two thought records when mood dips below 4/10.",
                "Notice and write down hot thoughts in the moment, then review them at the "
                "end of the day.",
                "Test the prediction 'people will think I'm stupid' by asking one question in "
                "a meeting.",
                "Add the 'what would I say to a friend?' column to each thought record.",
            ),
            (
                "Review the thought records and look for recurring themes.",
                "Move from thought records to a behavioural experiment on the main belief.",
                "Start work on the underlying rule about needing to be perfect.",
            ),
        ),
        Intervention(
            "behavioural_activation",
            "Behavioural activation",
            (
                "Reviewed the activity diary and rated each activity for achievement and pleasure.",
                "Scheduled small, specific activities for the coming week, starting with mornings.",
                "Identified valued directions (friendship, health) and linked activities to them.",
                "Problem-solved barriers to last week's plan and broke tasks into smaller steps.",
            ),
            (
                "Noticed mood was higher on days with planned activity; motivated to continue.",
                "Felt discouraged by missed activities; reframed as information, not failure.",
                "Chose activities with enthusiasm and set realistic targets.",
                "Recognised avoidance as a pattern and agreed to act 'outside in'.",
            ),
            (
                "Keep the activity diary daily and schedule three valued activities.",
                "Walk for twenty minutes on three days, regardless of mood.",
                "Contact one friend and arrange to meet.",
                "Do one small household task each morning before checking the phone.",
            ),
            (
                "Review the activity diary and increase the challenge gradually.",
                "Add one social activity to the schedule.",
                "Look at routines for the weekend, which remain the hardest days.",
            ),
        ),
        Intervention(
            "exposure",
            "Graded exposure",
            (
                "Built an exposure hierarchy together and rated each step for anxiety.",
                "Reviewed last week's exposure; anxiety peaked at 70 and fell to 30 within "
                "fifteen minutes.",
                "Planned the next step on the hierarchy and agreed to drop one safety behaviour.",
                "Did an in-session exposure to feared bodily sensations (spinning, breathing "
                "through a straw).",
            ),
            (
                "Anxious during the exercise but stayed with it; surprised how quickly it passed.",
                "Pleased with progress; wants to move faster than planned, so we agreed pacing.",
                "Hesitant about the next step; reduced it to something manageable.",
                "Recognised that the feared outcome did not happen.",
            ),
            (
                "Repeat the current step on the hierarchy on four days, without safety behaviours.",
                "Take the bus for three stops on two occasions and record anxiety before, "
                "during and after.",
                "Stay in the situation until anxiety falls by half before leaving.",
                "Practise interoceptive exposure daily for ten minutes.",
            ),
            (
                "Review the exposure records and move up the hierarchy if ready.",
                "Plan a longer exposure in a busier setting.",
                "Look at any remaining safety behaviours.",
            ),
        ),
        Intervention(
            "grounding",
            "Grounding",
            (
                "Practised 5-4-3-2-1 grounding and paced breathing in the session.",
                "Created a personal grounding kit (scent, smooth stone, phrase).",
                "Rehearsed noticing early signs of distress and switching to grounding.",
                "Used a slow breathing exercise (in for four, out for six) for ten minutes.",
            ),
            (
                "Felt calmer after the exercise; heart rate slowed noticeably.",
                "Found the sensory focus more helpful than the breathing.",
                "Initially self-conscious, then able to use it with eyes open.",
                "Said the grounding phrase helped them feel 'here, not there'.",
            ),
            (
                "Practise grounding twice daily when calm, so it is available under stress.",
                "Carry the grounding kit and use it at the first sign of distress.",
                "Use paced breathing before bed for five minutes.",
            ),
            (
                "Review use of grounding in real situations.",
                "Build on stabilisation skills before any memory-focused work.",
                "Add a self-soothing plan for evenings.",
            ),
        ),
        Intervention(
            "dbt_skills",
            "DBT skills",
            (
                "Taught the DEAR MAN skill and role-played asking a partner for help.",
                "Introduced the TIPP skills for moments of intense emotion.",
                "Worked on 'check the facts' for a recent episode of anger.",
                "Completed a chain analysis of last weekend's argument.",
                "Practised radical acceptance with a situation the client cannot change.",
            ),
            (
                "Engaged with the role-play; found it awkward but useful.",
                "Identified the point in the chain where a different choice was possible.",
                "Said 'check the facts' helped them respond less quickly.",
                "Sceptical about acceptance at first; open to trying it.",
            ),
            (
                "Use DEAR MAN for one request this week and note what happened.",
                "Try the cold-water TIPP skill when distress is above 7/10.",
                "Complete the skills diary card daily.",
                "Practise opposite action when the urge to withdraw appears.",
            ),
            (
                "Review the diary card and the DEAR MAN attempt.",
                "Move on to distress tolerance skills.",
                "Repeat the chain analysis for any further episode.",
            ),
        ),
        Intervention(
            "psychoeducation",
            "Psychoeducation",
            (
                "Explained the fight-or-flight response and how it drives physical symptoms.",
                "Drew the vicious cycle of thoughts, feelings, body and behaviour together.",
                "Shared information on how grief can come in waves and is not linear.",
                "Explained sleep drive and the body clock, and why naps undermine night sleep.",
                "Discussed how stress builds up and the early warning signs to watch for.",
            ),
            (
                "Found the model made sense of their experience; said it was a relief.",
                "Asked thoughtful questions and related the model to recent events.",
                "Recognised their own pattern in the cycle diagram.",
                "Said understanding the symptoms made them less frightening.",
            ),
            (
                "Read the information sheet and note anything that fits or does not.",
                "Notice one example of the cycle this week and write it down.",
                "Share the model with a partner or friend if comfortable.",
            ),
            (
                "Check understanding of the model and apply it to a new example.",
                "Use the formulation to choose the focus for the next phase.",
                "Move from understanding to change strategies.",
            ),
        ),
    )
}


# --- Text that is not specific to a theme -------------------------------------------------------

OBSERVATIONS = (
    "Arrived on time, appropriately dressed, good eye contact.",
    "Arrived a few minutes late after a train delay; settled quickly.",
    "Well kempt; speech normal in rate and volume.",
    "Appeared tired but alert and oriented.",
    "Engaged and reflective; good rapport.",
    "Affect congruent with reported mood.",
    "Thought content focused on the week's events; no evidence of psychotic features.",
    "Initially quiet, more forthcoming as the session progressed.",
)
MODALITY_LINES = {
    "in_person": ("Seen in person in room 2.", "Seen in person.", "Face-to-face session."),
    "video": (
        "Video session; good connection, client in a private room at home.",
        "Video session; brief audio drop-out, otherwise fine.",
        "Seen by video from their office with the door closed.",
    ),
    "phone": (
        "Telephone session at the client's request.",
        "Phone session; client in their car, parked, able to speak privately.",
    ),
}
RISK_LINES = (
    "No current thoughts of self-harm or suicide reported; protective factors include family "
    "and work.",
    "Denied thoughts of harming self or others. Risk remains low.",
    "Risk reviewed: no change, low. Client knows how to access crisis support.",
    "Fleeting passive thoughts last week ('what's the point'), no plan or intent; safety plan "
    "reviewed and still fits.",
    "No risk concerns raised today.",
    "Risk reviewed; low. Client has the crisis numbers saved on their phone.",
)
MOOD_LINE = "Rated mood {now}/10 (last session {before}/10)."
PROGRESS_GOOD = (
    "Progress is encouraging.",
    "Steady progress towards the agreed goals.",
    "The client is noticing change for themselves.",
)
PROGRESS_STUCK = (
    "A harder week, understandable given the circumstances; no loss of overall progress.",
    "Progress has plateaued; worth reviewing the focus of the work.",
    "The setback is being used to understand triggers.",
)
CONTINUATIONS = (
    "Next appointment as booked.",
    "Continue the current focus.",
    "Review progress towards goals in two sessions.",
    "Keep the same session time.",
    "Continue with the agreed plan.",
)

# The first session of an episode is an assessment.
FIRST_SESSION_DATA = (
    "Assessment session. Explored the presenting difficulties, history and current circumstances.",
    "First session: gathered history, current difficulties and what the client hopes to change.",
    "Assessment: discussed the reasons for referral, supports and previous help received.",
)
FIRST_SESSION_ASSESSMENTS = (
    "Presentation consistent with the referral; the client is motivated and suitable for "
    "short-term work.",
    "Difficulties are long-standing but the client has good resources; agreed to start therapy.",
    "Clear goals identified; a structured approach seems a good fit.",
)
FIRST_SESSION_WORK = (
    "Shared an initial formulation and agreed three goals in the client's words.",
    "Discussed confidentiality, the therapy contract and how we will measure progress.",
    "Agreed goals and the number of sessions to review at.",
)
FIRST_SESSION_RESPONSES = (
    "Relieved to have started; hopeful about the work.",
    "Nervous at first, more at ease by the end.",
    "Keen to begin and asked about what to expect.",
)
FIRST_SESSION_HOMEWORK = (
    "Keep a simple diary of mood and activity before the next session.",
    "Read the welcome information and think about goals.",
    "Notice when the main difficulty shows up this week and jot it down.",
)
FIRST_SESSION_NEXT = (
    "Complete the formulation and choose the first focus together.",
    "Review the diary and agree the first goal to work on.",
    "Introduce the model and start the first intervention.",
)

# The last sessions of a planned ending.
ENDING_DATA = (
    "Reviewed progress over the course of therapy against the original goals.",
    "Talked about the upcoming ending and what the client wants to take forward.",
    "Worked on the relapse-prevention plan: early warning signs and what helps.",
)
ENDING_ASSESSMENTS = (
    "Goals largely met; the client is ready to end as planned.",
    "Good gains maintained; some anxiety about ending, which is normal and was discussed.",
    "The client can describe the skills that helped and how to use them independently.",
)
ENDING_WORK = (
    "Drafted a relapse-prevention plan together (triggers, warning signs, coping steps, who "
    "to contact).",
    "Reviewed the journey of therapy and the skills learned; planned the final sessions.",
    "Discussed feelings about ending and options for follow-up check-ins.",
)
ENDING_RESPONSES = (
    "Proud of the progress made; a little sad about ending.",
    "Felt confident about managing on their own, with the plan as a back-up.",
    "Reflective; said therapy had been 'a turning point'.",
)
ENDING_HOMEWORK = (
    "Finish the relapse-prevention plan and keep a copy somewhere easy to find.",
    "Write a letter to themselves about what they have learned.",
    "Practise the key skills without prompting and note what works.",
)
ENDING_NEXT = (
    "Finalise the relapse-prevention plan.",
    "Final review of goals; agree follow-up arrangements.",
    "Prepare for the last session and discuss follow-up check-ins.",
)

ADDENDA = (
    "Client phoned the next day to say the homework sheet was missing from the email; resent.",
    "Correction: the activity discussed took place on Wednesday, not Thursday.",
    "Following the session the client emailed to say the safety plan is saved on their phone.",
    "GP letter received confirming the medication review mentioned in this session.",
    "Clarification: the mood rating above was for the past week, not for the day itself.",
    "Client asked to move next week's session; rebooked at the same time on the following day.",
)


@dataclass(frozen=True)
class NoteText:
    sections: dict[str, str]
    next_session_plan: str


def _sentences(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def compose_note(
    rng: random.Random,
    *,
    fmt: str,
    theme: Theme,
    second_theme: Theme | None,
    intervention: Intervention,
    phase: str,
    progress: float,
    modality: str,
) -> NoteText:
    """Fill every section of `fmt` (soap, dap, birp) with text for one session.

    `phase` is "first" (assessment), "middle" or "ending"; `progress` runs from 0 at the start
    of the episode to 1 at its end and makes better weeks and higher mood ratings more likely.
    """
    better = rng.random() < 0.25 + 0.5 * progress
    report = rng.choice(theme.better if better else theme.reports)
    if second_theme is not None and rng.random() < 0.35:
        report = _sentences(report, rng.choice(second_theme.reports))
    mood_now = round(3 + 4 * progress + rng.uniform(-1.5, 1.5) + (0.8 if better else -0.8))
    mood_before = round(mood_now + rng.uniform(-2, 2) - (1 if better else -1) * 0.5)
    mood = MOOD_LINE.format(now=min(max(mood_now, 1), 10), before=min(max(mood_before, 1), 10))
    seen = rng.choice(OBSERVATIONS)
    if rng.random() < 0.5:
        seen = _sentences(seen, rng.choice(theme.observations))
    setting = rng.choice(MODALITY_LINES[modality])
    risk = rng.choice(RISK_LINES)

    if phase == "first":
        report = _sentences(rng.choice(FIRST_SESSION_DATA), rng.choice(theme.reports))
        assessment = rng.choice(FIRST_SESSION_ASSESSMENTS)
        work = rng.choice(FIRST_SESSION_WORK)
        response = rng.choice(FIRST_SESSION_RESPONSES)
        homework = rng.choice(FIRST_SESSION_HOMEWORK)
        next_plan = rng.choice(FIRST_SESSION_NEXT)
    elif phase == "ending":
        report = _sentences(rng.choice(ENDING_DATA), report)
        assessment = rng.choice(ENDING_ASSESSMENTS)
        work = rng.choice(ENDING_WORK)
        response = rng.choice(ENDING_RESPONSES)
        homework = rng.choice(ENDING_HOMEWORK)
        next_plan = rng.choice(ENDING_NEXT)
    else:
        assessment = _sentences(
            rng.choice(theme.assessments),
            rng.choice(PROGRESS_GOOD if better else PROGRESS_STUCK),
        )
        work = rng.choice(intervention.delivered)
        response = rng.choice(intervention.responses)
        homework = rng.choice(intervention.homework)
        next_plan = rng.choice(intervention.next_steps)
    homework = f"Homework: {homework}"
    plan = _sentences(homework, rng.choice(CONTINUATIONS))

    if fmt == "soap":
        sections = {
            "subjective": _sentences(report, mood),
            "objective": _sentences(seen, setting, work),
            "assessment": _sentences(assessment, response, risk),
            "plan": plan,
        }
    elif fmt == "dap":
        sections = {
            "data": _sentences(report, mood, work, setting),
            "assessment": _sentences(assessment, response, risk),
            "plan": plan,
        }
    elif fmt == "birp":
        sections = {
            "behavior": _sentences(report, seen, mood),
            "intervention": _sentences(work, setting),
            "response": _sentences(response, risk),
            "plan": plan,
        }
    else:
        raise ValueError(f"unknown note format {fmt!r}")
    return NoteText(sections, next_plan)


# What a therapist wrote when resolving a safety alert (PHQ-9 item 9 above 0), by the action
# recorded (measures.models.SafetyAction). Never names the client.
SAFETY_ACTION_NOTES: dict[str, tuple[str, ...]] = {
    "contacted_client": (
        "Phoned the same day; passive thoughts only, no plan or intent. Agreed to review at "
        "the next session.",
        "Spoke by phone within the hour; client safe, crisis numbers to hand.",
        "Called and left a message, then spoke later that afternoon; risk assessed as low.",
    ),
    "safety_plan_reviewed": (
        "Went through the safety plan together at the start of the session; still fits.",
        "Safety plan updated with a new coping step and a second contact.",
        "Reviewed warning signs and reasons for living; plan saved on the client's phone.",
    ),
    "emergency_services": (
        "Could not reach the client and was concerned; called 999 for a welfare check.",
    ),
    "other": (
        "Discussed with the GP, with the client's consent; GP to review medication this week.",
        "Consulted clinical supervisor the same day; agreed to increase sessions to weekly.",
        "Client attended A&E with a family member; followed up by phone the next morning.",
    ),
}
