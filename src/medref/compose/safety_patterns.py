"""The curated findings of emergency triage: messages, categories and their patterns.

Every pattern runs on the normalised question (lower case, straight apostrophes, "cant" ->
"can't"); the rules that decide whether a finding counts (person, negation, hypothetical, past,
vignette) live in :mod:`medref.compose.safety`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medref.compose.safety_signs import (
    ALLERGEN,
    BLEEDING,
    CHEST_PAIN,
    FAREWELL,
    ONSET,
    SEIZURE,
    STROKE,
    STROKE_SUDDEN,
    SUICIDE_DESPAIR,
    SUICIDE_EVIDENT,
    SUICIDE_SIGNS,
    SWELLING,
    SWELLING_NEEDS_REACTION,
    SYSTEMIC,
    TAKEN_WITH_SYMPTOMS,
    UNRESPONSIVE,
    WITH_SYMPTOMS,
)
from medref.compose.safety_words import (
    BLEED_SIGNS,
    BREATHING,
    MED,
    OVERDOSE,
    SEVERE_REACTION,
)

CALL = (
    "If this is happening now, call your local emergency number (for example 911 in the US, 112 in "
    "Europe, 999 in the UK) or go to the nearest emergency department."
)
CRISIS_LINE = (
    "You do not have to face this alone: in the US you can call or text 988 (Suicide and Crisis "
    "Lifeline) at any hour; elsewhere, contact a local crisis line or tell someone you trust who can "
    "stay with you."
)
POISON_LINE = "In the US you can also reach Poison Help at 1-800-222-1222."


@dataclass(frozen=True)
class Category:
    """One kind of emergency: its message and the patterns that find it.

    ``patterns`` need someone who has the finding (see ``safety._experienced``); ``evident``
    patterns describe a situation that needs no person cue ("the carbon monoxide alarm is going
    off"). ``requires``: a second finding that must also be in the question. ``safety_first``:
    hypothetical and undated past mentions count too. ``asking_guard``: a pattern preceded by
    "can I", "is it safe to" ... is a question, not a report.
    """

    name: str
    lead: str
    patterns: tuple[re.Pattern[str], ...]
    extra: str = ""
    safety_first: bool = False
    requires: re.Pattern[str] | None = None
    evident: tuple[re.Pattern[str], ...] = ()
    asking_guard: bool = False


def _rx(*parts: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in parts)


_ANAPHYLAXIS_LEAD = (
    "Swelling of the throat, lips or tongue with trouble breathing can be a severe allergic reaction "
    "(anaphylaxis)."
)
_EPINEPHRINE = "Use an epinephrine (adrenaline) auto-injector if one has been prescribed."

_OVERDOSE_LEAD = (
    "Taking too much of a medicine, or swallowing something poisonous, can be dangerous even before "
    "symptoms start."
)

_SUICIDE_LEAD = "Thoughts of ending your life or hurting yourself deserve help right away, and help is there."
_STROKE_LEAD = "These can be signs of a stroke, and every minute counts."
_STROKE_EXTRA = "Note the time the symptoms started."

# Highest priority first: the first category with a finding wins.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "suicide",
        _SUICIDE_LEAD,
        _rx(
            r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|burn|burning|hang|hanged|hanging|"
            r"shoot|shot|drown|stab)\s+(?:my ?self|him ?self|her ?self|themselves)\b",
            r"\bend(?:ing)?\s+(?:my|his|her|their)\s+(?:own\s+)?life\b",
            r"\bend(?:ing)? it (?:all|tonight|today|now|forever)\b",
            r"\btired of (?:living|life|being alive)\b",
            r"\b(?:to stop|to end|sleep|go away),? forever\b",
            r"\b(?:want|wants|going|gonna|plan|planning|ready|need) to end it\b",
            r"\bwant (?:it|this|everything|it all) (?:all )?to end\b",
            r"\btake (?:my|his|her|their) (?:own )?life\b",
            r"\bsuicid(?:e|al)\b",
            r"\bwant(?:s|ed)? to die\b",
            r"\bwanna die\b",
            r"\b(?:don't|doesn't|do not|does not|didn't) want to (?:live|be alive|wake up|exist|be here)\b",
            r"\b(?:how many|how much)\b[^.]{0,40}\b(?:would|will|to|could) kill (?:me|myself)\b",
            r"\bend (?:my|his|her) suffering\b(?! from| with)",
            r"\bwish (?:i|he|she) (?:could|would) (?:just )?die\b",
            r"\bdie in (?:my|his|her) sleep\b",
            r"\bhow to end (?:things|it|it all|my life)\b",
            r"\b(?:use|using|take|taking) (?:them|it|those|these) on myself\b",
            r"\b(?:message|text|note|letter|post)\w* (?:saying|that says) goodbye\b",
            r"\bhave (?:the|my|all the|all my) (?:pills|tablets) (?:here|ready|in my hand|with me)\b",
            r"\bthinking (?:about|of) how (?:i'd|i would|i could|i'll|to) do it\b",
            r"\bhow many (?:\w+ )?(?:pills|tablets) (?:it )?would (?:it )?take\b(?! to (?:work|help|feel))",
            r"\bgiving (?:all )?(?:my|his|her) (?:stuff|things|belongings|possessions) away\b",
            r"\bgiving away (?:all )?(?:my|his|her) (?:stuff|things|belongings|possessions)\b",
            r"\bsorry for everything\b",
            r"\b(?:thinking (?:of|about)|considering|going to|want to|wanna) end(?:ing)? it\b",
            r"\bfeel(?:s|ing)? like dying\b",
            r"\b(?:pills|tablets|meds)\b[^.]{0,30}\bend it\b",
            r"\b(?:going to|gonna|will|i'll|he'll|she'll|they'll|plan to|planning to|want to) (?:take|swallow) (?:all|every one of|the whole|a whole|"
            r"an entire) (?:\w+ )?(?:of )?(?:my |his |her )?(?:pills|tablets|meds|bottle)\b",
            r"\b(?:i|he|she) (?:should|must|deserve to|need to) (?:just )?(?:die|be dead)\b",
            r"\bwish (?:i|he|she) (?:was|were) dead\b",
            r"\b(?:cut|slit|slash|slashed) (?:my|his|her|their) (?:own )?wrists?\b(?![^.]{0,30}\b(?:by accident|accidentally)\b)",
            r"\bwant to end (?:it|everything|it all)\b",
            r"\b(?:will|i'll|he'll|she'll|going to|gonna|plans? to|planning to|about to) end (?:everything|it all|things|"
            r"it tonight|it today)\b",
            r"\bdone with (?:life|living|everything|it all)\b",
            r"\bnever wake up\b",
            r"\b(?:take|need|take it) to (?:die|not wake up|never wake up)\b",
            r"\bdisappear forever\b",
            r"\bjump(?:ing|ed)? (?:off|from|in front of) (?:a|the) (?:bridge|building|roof|train|cliff|car)\b",
            r"\b(?:goodbye|suicide) (?:letter|note|message)\b",
            r"\b(?:posted|wrote|written|sent|left) (?:a )?goodbye\b",
            r"\b(?:saved up|stockpiled|have) (?:all )?(?:my )?(?:pills|tablets|meds) ready\b",
            r"\bsaved up (?:all )?(?:my |enough )?(?:pills|tablets|meds)\b",
            r"\b(?:overdos\w*|took|taken|swallowed|cut|hurt)\b[^.]{0,40}\bon purpose\b",
            r"\bself[- ]?harm(?:ing)?\b",
            *SUICIDE_SIGNS,
        ),
        extra=CRISIS_LINE,
        safety_first=True,
        evident=_rx(
            r"\bbetter off (?:dead|without me)\b",
            r"\b(?:nobody|no one|no-one) (?:would|will) (?:miss|notice|care about) (?:me|if i)\b",
            r"\b(?:isn't|is not|not|no longer) worth living\b",
            r"\blife (?:isn't|is not|is no longer|not) worth it\b",
            r"\b(?:better off|happier|better) without me\b",
            r"\bcan't go on\b",
            r"\b(?:no|don't see (?:the|any)|what's the|whats the) (?:reason|point) (?:to|in|of) (?:live|living|"
            r"go on|going on|being alive)\b",
            r"\b(?:painless|easiest|quickest|best) way to (?:die|kill (?:myself|yourself)|end (?:it|my life))\b",
            r"\btonight is the night\b",
            r"\blife is (?:pointless|meaningless|hopeless)\b",
            r"\bwhat'?s (?:even )?the point (?:anymore|of anything|in anything)\b",
            r"\b(?:don't think i can|can't|cannot) (?:keep going|go on|carry on)\b(?! to)",
            r"\bkms\b",
            *SUICIDE_EVIDENT,
        ),
    ),
    Category(
        "suicide",
        _SUICIDE_LEAD,
        (),
        extra=CRISIS_LINE,
        safety_first=True,
        requires=FAREWELL,
        evident=_rx(*SUICIDE_DESPAIR),
    ),
    Category(
        "unresponsive",
        "A person who is unconscious, will not wake up or is not breathing needs help at once.",
        _rx(
            r"\bunconscious\b",
            r"\bunresponsive\b",
            r"\b(?:won't|will not|can't|cannot|doesn't|does not|isn't)\s+(?:wake|waking)(?: up)?\b",
            r"\b(?:not|hasn't|has not|haven't) (?:waking|woken|woke) up\b",
            r"\b(?:not|isn't|is not|aren't|wasn't|stopped|stops|has stopped|no longer)\s+breathing\b",
            r"\b(?:not|isn't|is not|stopped) (?:responding|moving)\b",
            r"\bno pulse\b",
            r"\bcollapsed\b",
            r"\b(?:blacked|passed) out\b",
            r"\bcan't (?:keep|get) (?:him|her|them|my \w+) (?:awake|up)\b",
            r"\b(?:can't|cannot|won't) (?:stay|keep (?:my|his|her) eyes) (?:awake|open)\b",
            r"\bhard to (?:wake|rouse)\b",
            r"\bcan't (?:bring|get) (?:him|her|them) (?:round|around|to)\b",
            r"\bwon't come (?:round|around|to)\b",
            r"\bout cold\b",
            r"\bbreathing (?:feels |is |seems |sounds )?(?:very |really )?(?:slow|slowly|shallow|shallowly)\b",
            r"\b(?:can't|cannot|can barely|can hardly|can't even) keep (?:my|his|her|their) eyes open\b",
            r"\bnot (?:talking|answering|opening (?:his|her|their) eyes)\b",
            r"(?<!arm )(?<!hand )(?<!leg )\b(?:is|went|gone|has gone|looks|seems) (?:completely |all )?(?:limp|floppy)\b",
            r"\b(?:isn't|is not|not|hasn't|has not) (?:awake|woken|come round|come to)\b",
            r"\b(?:won't|doesn't|does not|isn't|not|will not) (?:respond(?:ing)?|answer(?:ing)? (?:me|us))\b"
            r"(?! to (?:the |any |my )?(?:treatment|medicine|medication|meds|drugs?|therapy|antibiotics?))",
            *UNRESPONSIVE,
        ),
        extra="Follow the dispatcher's instructions, including how to start CPR if you are asked to.",
    ),
    Category(
        "anaphylaxis",
        _ANAPHYLAXIS_LEAD,
        _rx(
            r"\banaphyla(?:xis|ctic)\b",
            r"\b(?:throat|airway)\s+(?:is |are |feels |feel |keeps |getting |is getting |feels like it's |"
            r"feels like it's getting )?(?:\w+ and )?(?:swelling|swollen|closing|tight|tightening|thick|narrow|"
            r"narrowing|constricting|smaller|narrower)\b",
            r"\b(?:tongue|throat) (?:to |is starting to |started to |starting to )?swell(?:ing)?(?: up)?\b",
            r"\bswollen throat\b",
            r"\bswelling of (?:(?:the|my|his|her)\s+)?(?:(?:face|lips?|eyes)\s+(?:and|or)\s+)?(?:throat|tongue)\b",
            r"\btongue\s+(?:and (?:\w+ )?(?:lips?|face|throat|mouth) )?(?:is |are |feels |got |looks |has |have )?(?:swelling|swollen|huge|big|thick|puffy|enlarged|swelled)\b",
            r"\b(?:tongue swelling|swollen tongue)\b",
            r"\b(?:severe|serious|bad)\s+allergic reaction\b",
            r"\b(?:used|gave|give|given|injected)\s+(?:my|his|her|their|an|the)\s+epi-?pen\b",
            r"\bepi-?pen (?:isn't|is not|didn't|did not|not) (?:working|work|helping)\b",
            *SWELLING,
        ),
        extra=_EPINEPHRINE,
    ),
    Category(
        "anaphylaxis",
        _ANAPHYLAXIS_LEAD,
        _rx(
            r"\b(?:lips?|mouth|face|eyes)\s+(?:is |are |has |have |feel |feels |look |looks |got )?"
            r"(?:swelling|swollen|swelled|swelled up|puffing up|puffed up|puffy|big|blew up|blown up|ballooned)\b",
            r"\bswollen\s+(?:lips?|face)\b",
            r"\blips?\b[^.]{0,40}\b(?:huge|massive|puffed up|blown up)\b",
            r"\bhives\b",
            *SWELLING_NEEDS_REACTION,
        ),
        extra=_EPINEPHRINE,
        requires=SEVERE_REACTION,
    ),
    Category(
        "anaphylaxis",
        _ANAPHYLAXIS_LEAD,
        _rx(
            r"\bthroat (?:feels |is |feel )?(?:funny|weird|strange|itchy|scratchy|tight|thick)\b",
            r"\bvoice (?:sounds |is |has gone |went )?(?:funny|hoarse|strange|weird|different|croaky)\b",
            *SYSTEMIC,
        ),
        extra=_EPINEPHRINE,
        requires=ALLERGEN,
    ),
    Category("breathing", "Severe trouble breathing needs urgent care.", _rx(*BREATHING)),
    Category(
        "chest_pain",
        "Chest pain or pressure can be a sign of a heart attack.",
        _rx(
            r"\bchest\s+(?:pain|pains|pressure|tightness|discomfort)\b",
            r"\b(?:pains?|pressure|tightness|squeezing|heaviness|weight|hurts?|hurting|sensation|feeling)\s+(?:in|on|across)\s+"
            r"(?:the\s+)?(?:middle of\s+)?(?:(?:my|his|her|their|the)\s+)?chest\b",
            r"\bchest\s+(?:is |feels |feel )?(?:hurting|hurts|hurt|tight|heavy|crushing|burning)\b",
            r"\bchest\s+(?:started|starts|began)\s+(?:hurting|to hurt|aching)\b",
            r"\bheart\s+(?:hurts|is hurting|aches)\b",
            r"\bchest\b(?!\s+muscles?)(?:\s+(?!(?:bit|little|slightly|mildly|sometimes|when)\b)\S+){0,5}?\s+"
            r"(?:hurts?|hurting|pains?|aching|aches|agony|crushed|crushing|squeezed|squeezing|pressure|tight|"
            r"tightness|heavy|burning|killing me|pounding|paining)\b",
            r"\btight chest\b",
            r"\b(?:pressure|weight|heaviness|elephant)\s+(?:\w+\s+){0,3}?(?:on|in|across)\s+(?:the\s+)?"
            r"(?:(?:centre|center|middle|left side) of\s+)?(?:my|his|her|the)\s+chest\b",
            r"\b(?:clutching|holding|grabbing)\s+(?:his|her|my|their)\s+chest\b",
            r"\bpain\s+(?:behind|in)\s+(?:my|his|her|the)\s+(?:breastbone|sternum)\b",
            r"\bhaving a heart attack\b",
            r"\bcrushing pain\b",
            *CHEST_PAIN,
        ),
        extra="Do not drive yourself.",
    ),
    Category(
        "stroke",
        _STROKE_LEAD,
        _rx(
            r"\bface\s+(?:is |was |has |has been |has gone |gone |went |is going |started |keeps |looks |feels |feel )?"
            r"(?:all |kind of |sort of |really )?"
            r"(?:drooping|droopy|droops|droop|sagging|numb|lopsided|dropped|falling|fallen|crooked|uneven|twisted)\b",
            r"\bside of (?:(?:my|his|her|their|the)\s+)?face\s+(?:is\s+|has\s+|looks\s+)?"
            r"(?:dropped|falling|fallen|drooping|droopy|numb|sagging)\b",
            r"\bface (?:doesn't|does not|won't|isn't|is not) mov(?:e|ing)\b",
            r"\b(?:drooping|droopy|sagging)\s+(?:face|mouth|smile)\b",
            r"\b(?:mouth|smile|lip)\s+(?:is |was |looks |looked |seems |went |has gone |gone )?(?:drooping|droopy|droops|"
            r"crooked)\b",
            r"\b(?:arm|leg|hand)\s+(?:suddenly |just )?(?:is |feels |went |go |has gone |gone )?"
            r"(?:suddenly )?(?:weak|numb|limp|dead)\b",
            r"\b(?:weakness|numbness)\s+(?:in|on)\s+(?:my|his|her|their|one)\s+(?:arm|leg|side|hand)\b",
            r"\b(?:can't|cannot|couldn't|unable to) (?:seem to )?(?:lift|raise|move|feel|use) "
            r"(?:(?:my|his|her|their|one|both|either|the)\s+)?"
            r"(?:(?:left|right)\s+)?(?:arm|leg|hand|side|foot)s?\b",
            r"\bsudden(?:ly)? (?:can't|cannot|unable to) (?:walk|stand|see|speak|talk|move)\b",
            r"\bcan't smile (?:properly|right|straight|evenly)\b",
            r"\bone side (?:of (?:his|her|my|the) (?:face|mouth|body) )?(?:won't|doesn't|isn't|is not|can't) "
            r"(?:go up|move|moving|work|working)\b",
            r"\bsudden(?:ly)?\s+(?:\w+\s+){0,2}?(?:weakness|numbness|weak|numb)\b",
            r"\b(?:confused|confusion|weak|numb)\b[^.]{0,20}\ball of a sudden\b",
            r"\ball of a sudden\b[^.]{0,30}\b(?:confused|weak|numb|can't (?:speak|talk|see|walk))\b",
            r"\b(?:can't|cannot|unable to) (?:say|form|find|get out) (?:any |the |her |his |my )?words\b",
            r"\b(?:can't|cannot|unable to) understand (?:what|anything|people|us|me|words)\b",
            r"\b(?:arm|hand|leg) (?:is |feels |went |suddenly )?clumsy\b",
            r"\bthink (?:i|he|she|my \w+)(?:'s| is| has| had| may have| might have)? (?:had |having )?a stroke\b",
            r"\bhad a stroke (?:just now|right now|today|this morning|tonight|minutes ago|an hour ago)\b",
            r"\bslurred speech\b",
            r"\bspeech\s+(?:is |was |has been |sounds |sounded |became |went |got |is going )?(?:all |really |very )?"
            r"(?:slurred|weird|strange|garbled|jumbled|funny|wrong|slow|drunk)\b",
            r"\b(?:can't|cannot|couldn't) see (?:properly |clearly |anything )?(?:out of|with|from) (?:his|her|my|one) "
            r"(?:\w+ )?eye\b",
            r"\bslurr(?:ing|y|ed)\b",
            r"\b(?:can't|cannot|couldn't|suddenly can't|unable to)\s+(?:speak|talk|get (?:my|his|her) words out)\b",
            r"\b(?:can't|couldn't|cannot) find (?:my|his|her|their|the) words\b",
            r"\b(?:speaking|talking|talk|speak)\s+(?:nonsense|gibberish|strange|strangely|funny)\b",
            r"\bwords (?:are |were )?(?:all )?(?:mixed up|jumbled|not correct|coming out wrong)\b",
            r"\b(?:talks?|talking|speaks?|speaking)\b[^,.]{0,20}(?:doesn't|does not|don't) make (?:any )?sense\b",
            r"\b(?:keeps?|started|suddenly) dropping things\b",
            r"\b(?:trouble|difficulty)\s+(?:speaking|talking)\b",
            r"\bsudden(?:ly)?\s+(?:very\s+)?(?:confused|confusion)\b",
            r"\bsudden(?:ly)?\s+(?:a\s+)?(?:very |really )?(?:severe|terrible|intense|excruciating|worst|bad|awful)\s+"
            r"headache\b",
            r"\bworst headache\b",
            r"\bthunderclap headache\b",
            r"\bsudden(?:ly)?\s+(?:loss of vision|vision loss|blind|can't see|lost (?:my |his |her )?vision)\b",
            r"\bdouble vision\b",
            r"\bcan't walk straight\b",
            r"\bhaving a stroke\b",
            *STROKE,
        ),
        extra=_STROKE_EXTRA,
    ),
    Category("stroke", _STROKE_LEAD, _rx(*STROKE_SUDDEN), extra=_STROKE_EXTRA, requires=ONSET),
    Category(
        "seizure",
        "A seizure that lasts more than five minutes, or seizures one after another, need emergency care.",
        _rx(
            r"\bhaving\s+(?:what (?:looks|seems) like |some kind of |a kind of )?(?:a\s+)?(?:(?:febrile|big|bad|massive|long|"
            r"tonic[- ]clonic|grand mal) )?(?:seizure|seizures|fit|fits|"
            r"convulsions?)\b",
            r"\bseizures?\s+(?:that\s+)?(?:is |has |have )?(?:lasting|lasted|been going on|won't stop|"
            r"will not stop|not stopping|isn't stopping)\b",
            r"\bseizures?\s+(?:for\s+)?(?:over|more than|about)\s+\w+\s+minutes\b",
            r"\b(?:is|keeps|keep|still|started|starting|been)\s+(?:seizing|fitting|convulsing|jerking|"
            r"shaking uncontrollably)\b(?! in\b)",
            r"\bseizures?\s+(?:one after (?:the )?another|back to back|in a row)\b",
            r"\b(?:seizing|convulsing)\b",
            r"\b(?:had|has had)\s+(?:a |her |his |their )?(?:first |first ever |another )?seizures?\b",
            r"\beyes (?:rolled|rolling) (?:back|up)\b",
            r"\b(?:jerking|twitching|shaking) all over\b",
            r"\b(?:went|gone|go|is|goes) (?:all )?stiff and (?:started |is |then )?(?:shaking|jerking|twitching)\b",
            r"\bfoaming at the mouth\b",
            *SEIZURE,
        ),
        extra="Keep the person safe from injury and do not put anything in their mouth.",
    ),
    Category(
        "overdose",
        _OVERDOSE_LEAD,
        _rx(*OVERDOSE),
        extra=POISON_LINE,
        evident=_rx(r"\b(?:carbon monoxide|co) (?:alarm|detector)\b"),
        asking_guard=True,
    ),
    Category(
        "overdose",
        _OVERDOSE_LEAD,
        _rx(
            r"\bwith (?:\d+|some|a few|several) (?:of them |pills |tablets )?missing\b",
            r"\b(?:compartments?|slots?|blisters?|pockets?) (?:are|is|were|was) (?:empty|gone|missing)\b",
            r"\b(?:some|\d+|a few|several|half) (?:of (?:them|the pills|the tablets) )?(?:are|were|is) (?:gone|missing)\b",
        ),
        extra=POISON_LINE,
        requires=re.compile(rf"\b{MED}|\bpill bottle|\bblister"),
        asking_guard=True,
    ),
    Category(
        "overdose",
        _OVERDOSE_LEAD,
        _rx(*TAKEN_WITH_SYMPTOMS),
        extra=POISON_LINE,
        requires=WITH_SYMPTOMS,
        asking_guard=True,
    ),
    Category(
        "bleeding",
        "Heavy bleeding that will not stop needs urgent care. Press firmly on the wound while you wait.",
        _rx(*BLEEDING),
    ),
    Category(
        "bleeding",
        "Heavy bleeding that will not stop needs urgent care. Press firmly on the wound while you wait.",
        _rx(
            r"\b(?:stools?|poop|poo)\s+(?:is|are|was|were|has been|have been)\s+(?:black|tarry)\b",
            r"\bblack,? (?:and )?(?:tarry )?(?:stools?|poop|poo)\b",
            r"\b(?:dark|black) stuff\b",
        ),
        requires=BLEED_SIGNS,
    ),
)
