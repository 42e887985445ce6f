"""Emergency triage of the user's question, run before anything is retrieved.

A question that describes an emergency happening now is answered first with an instruction to
seek emergency care (``Answer.emergency``). The detector is a small set of curated patterns per
category plus one rule that separates a crisis from an information question:

*   A **symptom pattern** (chest pain, face drooping, throat swelling, "can't breathe" ...) only
    triggers when someone is experiencing it: a person cue (I, my, me, he, she, my son, someone
    ...) stands in the few words before the symptom, or the symptom itself names the person
    ("kill myself", "my face is drooping"), or the clause says it is happening now ("right now",
    "help"). Between that cue and the symptom there must be no information word (risk, chance,
    cause, side effect ...): "what is *my risk of* anaphylaxis" is a question, "*my* chest pain"
    is a report.
*   A symptom is **negated** when no/not/without/denies/never/n't stands in the three words
    before it within the same clause ("no chest pain", "I don't have trouble breathing"), unless
    the negation governs something else ("I can't tell if this is chest pain").
*   **Hypotheticals** ("what should I do if I get chest pain"), **past history** ("a seizure two
    years ago", "history of ...") and **case vignettes** ("a 60-year-old patient presents with
    ...", third person only) do not trigger.
*   Suicidal thoughts and self-harm are the exception to the last rule: any first-person mention
    that is not negated triggers, hypothetical or past, because pointing to a crisis line costs
    little and missing one costs a lot.

Only questions are read here; nothing in this module is a diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
class Triage:
    """The result of triage: ``category`` and ``message`` are both None when nothing urgent was found."""

    category: str | None = None
    message: str | None = None

    @property
    def urgent(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class _Category:
    name: str
    lead: str
    patterns: tuple[re.Pattern[str], ...]
    extra: str = ""
    safety_first: bool = False  # trigger on hypothetical and past mentions too
    requires: re.Pattern[str] | None = None  # a second finding that must also be present


def _rx(*parts: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in parts)


_BREATHING = (
    r"\b(?:can't|cannot|can not|couldn't|unable to|struggling to|hard to|difficult to|hardly)\s+"
    r"(?:breathe|breath|catch (?:my|his|her|a|their) breath|get (?:my|his|her|their) breath)\b",
    r"\b(?:trouble|difficulty|problems?)\s+breathing\b",
    r"\b(?:severe|severely|very|extremely|really|suddenly)\s+short(?:ness)?\s+of\s+breath\b",
    r"\bshort(?:ness)? of breath (?:at rest|while resting|and getting worse|getting worse)\b",
    r"\bgasping\b",
    r"\bchoking\b",
    r"\bsuffocating\b",
    r"\b(?:lips|face|skin) (?:are |is )?(?:turning )?blue\b",
)

# Highest priority first: the first category with a finding wins.
CATEGORIES: tuple[_Category, ...] = (
    _Category(
        "suicide",
        "Thoughts of ending your life or hurting yourself deserve help right away, and help is there.",
        _rx(
            r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting)\s+(?:myself|himself|herself|themselves)\b",
            r"\bend(?:ing)?\s+(?:my|his|her|their)\s+(?:own\s+)?life\b",
            r"\bend(?:ing)? it all\b",
            r"\btake (?:my|his|her|their) (?:own )?life\b",
            r"\bsuicid(?:e|al)\b",
            r"\bwant(?:s|ed)? to die\b",
            r"\bwanna die\b",
            r"\bdon't want to (?:live|be alive|wake up)\b",
            r"\bbetter off dead\b",
            r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on)\b",
            r"\bself[- ]?harm(?:ing)?\b",
        ),
        extra=CRISIS_LINE,
        safety_first=True,
    ),
    _Category(
        "unresponsive",
        "A person who is unconscious, will not wake up or is not breathing needs help at once.",
        _rx(
            r"\bunconscious\b",
            r"\bunresponsive\b",
            r"\b(?:won't|will not|can't|cannot|doesn't|does not|isn't)\s+(?:wake|waking)(?: up)?\b",
            r"\bnot waking up\b",
            r"\b(?:not|isn't|is not|aren't|wasn't|stopped|has stopped|no longer)\s+breathing\b",
            r"\bno pulse\b",
            r"\bcollapsed\b",
        ),
        extra="Follow the dispatcher's instructions, including how to start CPR if you are asked to.",
    ),
    _Category(
        "anaphylaxis",
        "Swelling of the throat, lips or tongue with trouble breathing can be a severe allergic reaction "
        "(anaphylaxis).",
        _rx(
            r"\banaphyla(?:xis|ctic)\b",
            r"\b(?:throat|airway)\s+(?:is |feels |feel |keeps )?(?:swelling|swollen|closing|tight|tightening)\b",
            r"\bswollen throat\b",
            r"\b(?:severe|serious|bad)\s+allergic reaction\b",
        ),
        extra="Use an epinephrine (adrenaline) auto-injector if one has been prescribed.",
    ),
    _Category(
        "anaphylaxis",
        "Swelling of the throat, lips or tongue with trouble breathing can be a severe allergic reaction "
        "(anaphylaxis).",
        _rx(
            r"\b(?:lips?|tongue|mouth)\s+(?:is |are |has |have )?(?:swelling|swollen|swelled|puffing up|puffed up)\b",
            r"\bswollen\s+(?:lips?|tongue)\b",
        ),
        extra="Use an epinephrine (adrenaline) auto-injector if one has been prescribed.",
        requires=re.compile("|".join(_BREATHING)),
    ),
    _Category(
        "breathing",
        "Severe trouble breathing needs urgent care.",
        _rx(*_BREATHING),
    ),
    _Category(
        "chest_pain",
        "Chest pain or pressure can be a sign of a heart attack.",
        _rx(
            r"\bchest\s+(?:pain|pains|pressure|tightness|discomfort)\b",
            r"\b(?:pain|pressure|tightness|squeezing|heaviness)\s+in\s+(?:my|his|her|their|the)\s+chest\b",
            r"\bchest\s+(?:is |feels |feel )?(?:hurting|hurts|hurt|tight|heavy|crushing)\b",
            r"\bhaving a heart attack\b",
            r"\bcrushing pain\b",
        ),
        extra="Do not drive yourself.",
    ),
    _Category(
        "stroke",
        "These can be signs of a stroke, and every minute counts.",
        _rx(
            r"\bface\s+(?:is |was |has been |started |keeps )?(?:drooping|droopy|droops|droop|sagging|numb)\b",
            r"\b(?:drooping|droopy|sagging)\s+(?:face|mouth|smile)\b",
            r"\b(?:mouth|smile|lip)\s+(?:is |was )?(?:drooping|droopy|droops)\b",
            r"\b(?:arm|leg|hand)\s+(?:is |feels |went |has gone |suddenly )?(?:weak|numb|limp)\b",
            r"\b(?:weakness|numbness)\s+(?:in|on)\s+(?:my|his|her|their|one)\s+(?:arm|leg|side|hand)\b",
            r"\bcan't (?:lift|raise|move) (?:my|his|her|their|one) (?:arm|leg)\b",
            r"\bslurred speech\b",
            r"\bspeech\s+(?:is |was |has been |sounds )?slurred\b",
            r"\bslurring\b",
            r"\b(?:can't|cannot|suddenly can't|unable to)\s+(?:speak|talk|get (?:my|his|her) words out)\b",
            r"\b(?:trouble|difficulty)\s+(?:speaking|talking)\b",
            r"\bsudden(?:ly)?\s+(?:very\s+)?(?:confused|confusion)\b",
            r"\bsudden(?:ly)?\s+(?:a\s+)?(?:severe|terrible|intense|excruciating|worst)\s+headache\b",
            r"\bworst headache of (?:my|his|her|their) life\b",
            r"\bthunderclap headache\b",
            r"\bsudden(?:ly)?\s+(?:loss of vision|vision loss|blind|can't see)\b",
            r"\bhaving a stroke\b",
        ),
        extra="Note the time the symptoms started.",
    ),
    _Category(
        "seizure",
        "A seizure that lasts more than five minutes, or seizures one after another, need emergency care.",
        _rx(
            r"\bhaving\s+(?:a\s+)?(?:seizure|seizures|fit|fits|convulsions?)\b",
            r"\bseizures?\s+(?:that\s+)?(?:is |has |have )?(?:lasting|lasted|been going on|won't stop|will not stop|not stopping)\b",
            r"\bseizures?\s+(?:for\s+)?(?:over|more than|about)\s+\w+\s+minutes\b",
            r"\b(?:is|keeps|keep|still|started|starting)\s+(?:seizing|fitting|convulsing|shaking uncontrollably)\b",
            r"\bseizures?\s+(?:one after (?:the )?another|back to back)\b",
            r"\b(?:seizing|convulsing)\b",
        ),
        extra="Keep the person safe from injury and do not put anything in their mouth.",
    ),
    _Category(
        "overdose",
        "Taking too much of a medicine, or swallowing something poisonous, can be dangerous even before "
        "symptoms start.",
        _rx(
            r"\boverdos(?:e|ed|ing)\b",
            r"\b(?:took|taken|take|swallowed|ate|drank|had|given)\s+(?:way\s+)?too\s+(?:many|much)\b",
            r"\b(?:took|taken|swallowed|ate)\s+(?:all|the whole|a whole|a handful)\s+(?:of\s+)?"
            r"(?:my|his|her|their|the|a)?\s*(?:pills|tablets|medicine|medicines|meds|bottle|pack|box|packet)\b",
            r"\b(?:took|taken|given)\s+(?:a\s+)?double\s+(?:dose|doses|the dose)\b",
            r"\b(?:took|taken|given)\s+(?:two|2|three|3)\s+doses\s+by\s+mistake\b",
            r"\bpoison(?:ed|ing)\b",
            r"\b(?:swallowed|drank|ate)\s+(?:some\s+)?(?:bleach|antifreeze|detergent|a battery|batteries|"
            r"drain cleaner|weed killer|rat poison)\b",
        ),
        extra=POISON_LINE,
    ),
    _Category(
        "bleeding",
        "Heavy bleeding that will not stop needs urgent care. Press firmly on the wound while you wait.",
        _rx(
            r"\b(?:severe|heavy|heavily|uncontrolled|profuse|lots of|a lot of)\s+bleeding\b",
            r"\bbleeding\s+(?:heavily|badly|a lot|profusely|non-?stop)\b",
            r"\bbleeding\s+(?:that\s+)?(?:won't|will not|wouldn't|doesn't|does not|can't|isn't)\s+stop",
            r"\b(?:can't|cannot|won't|will not|couldn't)\s+stop\s+(?:the\s+)?bleeding\b",
            r"\b(?:vomiting|throwing up|coughing up|spitting up)\s+(?:blood|bright red blood)\b",
            r"\bblood\s+(?:is\s+)?(?:gushing|pouring|spurting)\b",
        ),
    ),
)

_PERSON = {
    "i", "i'm", "im", "i've", "i'd", "i'll", "me", "my", "myself", "mine", "we", "we're", "our",
    "he", "he's", "she", "she's", "his", "him", "her", "they're", "someone", "somebody",
    "husband", "wife", "son", "daughter", "mom", "mum", "mother", "dad", "father", "baby", "child",
    "kid", "friend", "partner", "brother", "sister", "grandma", "grandpa", "grandmother",
    "grandfather", "roommate", "boyfriend", "girlfriend", "toddler",
}  # fmt: skip
_FIRST_PERSON = {"i", "i'm", "im", "i've", "i'd", "i'll", "me", "my", "myself", "mine", "we", "we're", "our"}
_INFO = {
    "risk", "risks", "chance", "chances", "odds", "likelihood", "incidence", "rate", "rates",
    "cause", "causes", "caused", "causing", "associated", "linked", "side", "effect", "effects",
    "common", "often", "frequency", "frequent", "prevent", "prevents", "prevention", "signs",
    "symptoms", "symptom", "warning", "history", "reduce", "lower", "increase", "increases",
}  # fmt: skip
_NEGATION = {"no", "not", "without", "never", "denies", "denied", "nor", "none", "free"}
_NEGATION_OTHER = {
    "tell",
    "say",
    "sure",
    "know",
    "decide",
    "explain",
    "remember",
    "describe",
    "certain",
    "figure",
}
_NOW = re.compile(
    r"\b(?:right now|now|at the moment|currently|help|urgent|emergency|please|"
    r"what (?:do|should|can) (?:i|we) do|should (?:i|we) (?:go|call))\b"
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|in case|suppose|supposing|what happens)\b|^(?:when|whenever)\b|"
    r"\b(?:what|how|should|do|would|could)\b[^,]*\b(?:when|whenever)\b"
)
_HYPO_EXCUSED = re.compile(
    r"\b(?:sure|know|wonder|wondering|unsure|certain|tell|check|see|asking)\s+(?:if|whether)\s*$"
)
_PAST = re.compile(
    r"\b(?:\w+\s+(?:years?|months?)\s+ago|last\s+(?:year|month|summer|winter|spring|autumn|fall)|"
    r"history of|in the past|previous|previously|prior|used to|recovered|survivor|"
    r"after (?:my|his|her|a|the) (?:stroke|heart attack|seizure|overdose))\b"
)
_VIGNETTE = re.compile(
    r"\b(?:\d+[- ]?(?:year|yr)s?[- ]old|presents? with|presenting with|presented with|case report|"
    r"(?:a|an|the|my) patient)\b"
)
_CLAUSE_SPLIT = re.compile(r"[.!?;\n]+|\bbut\b|\bhowever\b|\balthough\b")
_WORD = re.compile(r"[a-z0-9']+")
_WINDOW = 10


def _normalise(question: str) -> str:
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    for bare, fixed in (
        ("cant", "can't"), ("dont", "don't"), ("wont", "won't"), ("isnt", "isn't"), ("doesnt", "doesn't"),
        ("couldnt", "couldn't"), ("arent", "aren't"), ("wasnt", "wasn't"), ("ive", "i've"),
    ):  # fmt: skip
        text = re.sub(rf"\b{bare}\b", fixed, text)
    return re.sub(r"\s+", " ", text).strip()


def _negated(before: str) -> bool:
    """True when a negation governs the finding.

    The negation must stand in the same comma phrase, at most three words back, or further back
    across a list joined by "or"/"nor" ("no fever or chest pain"); it does not count when it
    governs something else ("I can't tell if this is chest pain").
    """
    phrase = re.split(r"[,:]", before)[-1]
    words = _WORD.findall(phrase)[-8:]
    for i, word in enumerate(words):
        if word in _NEGATION or word.endswith("n't"):
            if any(w in _NEGATION_OTHER for w in words[i + 1 : i + 3]):
                continue
            rest = words[i + 1 :]
            if len(rest) <= 3 or "or" in rest or "nor" in rest:
                return True
    return False


def _experienced(clause: str, match: re.Match[str], *, vignette: bool) -> bool:
    """Does someone in the clause have this finding (rather than ask about it)?"""
    persons = _FIRST_PERSON if vignette else _PERSON
    if any(w in persons for w in _WORD.findall(match.group(0))):
        return True
    words = _WORD.findall(clause[: match.start()])[-_WINDOW:]
    for i in range(len(words) - 1, -1, -1):
        if words[i] in persons:
            return not any(w in _INFO for w in words[i + 1 :])
    if vignette:
        return False
    return bool(_NOW.search(clause)) and not any(w in _INFO for w in _WORD.findall(clause))


def _hypothetical(before: str) -> bool:
    """An "if"/"in case"/"what happens" before the finding, unless it means "whether" ("not sure if")."""
    hits = list(_HYPOTHETICAL.finditer(before))
    return bool(hits) and not _HYPO_EXCUSED.search(before[: hits[-1].end()])


def _finding(category: _Category, clauses: list[str], *, vignette: bool) -> bool:
    for clause in clauses:
        for pattern in category.patterns:
            for match in pattern.finditer(clause):
                before = clause[: match.start()]
                if _negated(before):
                    continue
                if not category.safety_first and (_hypothetical(before) or _PAST.search(clause)):
                    continue
                if _experienced(clause, match, vignette=vignette):
                    return True
    return False


def triage(question: str) -> Triage:
    """Classify ``question``: an emergency category and its message, or ``Triage()`` when none."""
    text = _normalise(question)
    if not text:
        return Triage()
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text) if c.strip()]
    vignette = bool(_VIGNETTE.search(text))
    for category in CATEGORIES:
        if category.requires is not None and not category.requires.search(text):
            continue
        if _finding(category, clauses, vignette=vignette):
            return Triage(category.name, _message(category))
    return Triage()


def emergency_notice(question: str) -> str | None:
    """The seek-emergency-care message for ``question``, or None when it describes no emergency."""
    return triage(question).message


def _message(category: _Category) -> str:
    parts = [category.lead, CALL]
    if category.extra:
        parts.append(category.extra)
    return " ".join(parts)
