"""Emergency triage of the user's question, run before anything is retrieved.

A question that describes an emergency happening now is answered first with an instruction to
seek emergency care (``Answer.emergency``). The detector is a transparent rule set: curated
patterns per category (:mod:`medref.compose.safety_patterns`, built from the vocabulary in
:mod:`medref.compose.safety_words` and the word classes in :mod:`medref.compose.safety_signs`)
plus the rules here that separate a crisis from an information question:

*   A **finding** (chest pain, face drooping, throat swelling, "can't breathe", "took 30 pills",
    "my toddler ate ... bleach" ...) only triggers when someone is experiencing it: a person cue
    (I, my, me, he, she, my son, mum's, someone ...) stands in the few words before it, or the
    finding itself names the person ("kill myself"), or a possessive follows it ("blood pouring
    from a wound on my leg"), or the clause is a report with no subject ("Severe chest pain,
    help", "Took 3 times the max dose") -- only lead-in words or other findings before it and no
    question word opening the clause -- or the clause says it is happening now ("right now",
    "help", "what do I do"). A telegraphic message counts as a report too: a comma or "and"
    fragment holding only lead-in words or a body part before the finding ("kiwi allergy, ate a
    fruit salad, mouth swelling"; "nose won't stop bleeding"), or I / he / she just after it
    ("lips puffing up and I'm wheezing"). Between the person cue and the finding there must be no
    information word (risk, chance, cause, side effect, exam ...): "what is *my risk of*
    anaphylaxis" is a question, "*my* chest pain" is a report. Generic people in a question
    ("how do I help someone having a seizure", "how many children are poisoned", "can a child be
    poisoned by ...") are no cue, nor is an indefinite subject ("A man collapses and ...").
*   A finding is **negated** when no/not/without/denies/never/n't stands in the three words
    before it within the same comma phrase ("no chest pain", "I don't have trouble breathing"),
    unless the negation governs something else ("I can't tell if this is chest pain") or an "and"
    starts a new finding ("he can't walk and his speech is strange"); a negated intake inside the
    finding ("my son didn't swallow the battery") counts as negated. A clause taken back by the next
    ("he took it twice? No wait, only one") is dropped.
*   **Hypotheticals** ("what should I do if I get chest pain", "could I go into anaphylaxis if
    ..."), **past history** ("a seizure two years ago", "history of ..."; unless "now" stands
    between the past and the finding: "stopped her tablets last week and now she's fitting"),
    **case vignettes** ("a 60-year-old patient presents with ...", third person only; "55 yo
    male" alone is a vignette only when the writer never says I / my), **mild or recurring**
    findings ("my chest hurts a little", "my arm goes numb when I sleep on it", unless it started
    suddenly) and comparisons ("heartburn that feels like chest pain") do not trigger. For
    overdose patterns, "can I take" / "is it safe to take" before the pattern makes it a question.
*   Suicidal thoughts and self-harm are the exception: any mention that is not negated triggers,
    hypothetical or undated past, because pointing to a crisis line costs little and missing one
    costs a lot. Only a clearly dated past ("in 2015", "years ago", "as a teenager", "used to")
    does not.
*   The first category with a finding wins (suicide first); when a medicine or poison was also
    taken, the poison-help line is added to its message.

*   Beside the rules, a small learned model (:mod:`medref.compose.triage_model`) may add a
    notice where no rule fired, with a general message (``GENERAL_LEAD``, the call to emergency
    services, and both the poison-help and crisis lines, since it names no category). It never
    removes or changes a rule's notice; :func:`rule_triage` is the rule set alone.

Only questions are read here; nothing in this module is a diagnosis. ``bench/triage.py``
measures recall and false alarms on a labelled set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medref.compose.safety_patterns import CALL, CATEGORIES, CRISIS_LINE, POISON_LINE, Category
from medref.compose.safety_words import INFO, LEAD_IN, MILD, PERSON, QUESTION_START, SPELLING
from medref.compose.triage_model import model_fires

__all__ = [
    "CALL",
    "CATEGORIES",
    "CRISIS_LINE",
    "GENERAL",
    "GENERAL_LEAD",
    "POISON_LINE",
    "Triage",
    "emergency_notice",
    "rule_triage",
    "triage",
]

GENERAL = "general"  # the category of a notice raised by the learned model alone
GENERAL_LEAD = "Your message may describe an emergency, and some emergencies cannot wait for an answer here."


@dataclass(frozen=True)
class Triage:
    """The result of triage: ``category`` and ``message`` are both None when nothing urgent was found."""

    category: str | None = None
    message: str | None = None

    @property
    def urgent(self) -> bool:
        return self.category is not None


_FIRST_PERSON = {"i", "i'm", "im", "i've", "i'd", "i'll", "me", "my", "myself", "mine", "we", "we're", "our"}
_NEGATION = {"no", "not", "without", "never", "denies", "denied", "nor", "none", "free"}
_NEGATION_OTHER = {
    "tell", "say", "sure", "know", "decide", "explain", "remember", "describe", "certain", "figure",
}  # fmt: skip
_CORRECTION = (["my"], ["his"], ["her"], ["our"], ["their"])  # "no, my son ate ...": a correction
_NOW = re.compile(
    r"\b(?:right now|now|at the moment|currently|help|urgent|emergency|please|pls|plz|"
    r"what (?:do|should|can) (?:i|we) do|should (?:i|we) (?:go|call))\b"
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|in case|suppose|supposing|what happens)\b|^(?:when|whenever)\b|"
    r"\b(?:what|how|should|do|would|could)\b[^,]*\b(?:when|whenever)\b"
)
_HYPO_EXCUSED = re.compile(
    r"\b(?:sure|know|wonder|wondering|unsure|certain|tell|check|see|asking)\s+(?:if|whether)\s*$|"
    r"^(?:is|could) (?:it|this|that) (?:be )?(?:a |an )?(?:stroke|heart attack|seizure|overdose|emergency|serious|"
    r"bad|dangerous)\s+if\s*$"
)
# A question that reports what is happening: "is it normal that my baby is blue", "should I go to the ER".
_REPORT_QUESTION = re.compile(
    r"(?:is (?:it|this|that) (?:normal|serious|bad|an emergency|dangerous)|should i (?:be worried|worry|go|call)|"
    r"do i need to go|how bad is it)\b"
)
# "can humira make my throat swell": a question about what a medicine does.
_CAUSAL = re.compile(
    r"(?:can|could|does|do|will|would|might|may)\b[^.]{0,40}\b(?:make|makes|cause|causes|give|gives|lead to|trigger)\b"
)
# "could I go into anaphylaxis if I eat ...": a question about a possibility.
_POSSIBILITY = re.compile(r"^(?:could|would|can|will|might|may|is it possible)\b.*\bif\b")
# "can I take", "is it safe to take" just before an overdose pattern: a question, not a report.
# "can i drink alcohol the night after taking xanax": the comma phrase opens by asking about doing it.
_ASKING_START = re.compile(
    r"(?:can|could|should|may|is it (?:safe|ok|okay|dangerous|bad) to)\s+(?:i|we|he|she|my \w+)?\s*"
    r"(?:drink|take|have|mix|use|combine|give)\b"
)
_ASKING = re.compile(
    r"(?:\b(?:can|could|should|may|might|would|will|shall|do|does)\s+"
    r"(?:(?:i|we|you|he|she|they|someone|people|one|a person|my \w+|kids|children)\s+)?|"
    r"\b(?:safe|ok|okay|alright|fine|bad|dangerous|possible|allowed|normal|how many|how much) to\s+)$"
)
_DATED_PAST = (
    r"(?:\w+\s+)?(?:years?|months?)\s+(?:ago|back)|last\s+(?:year|month|week|summer|winter|spring|autumn|fall)|"
    r"in (?:19|20)\d\d|used to|in the past|"
    r"when (?:i|he|she|they|we) (?:was|were) (?:a |an )?(?:kid|child|baby|teen|teenager|younger|little|on|\d+)|"
    r"as a (?:child|kid|teen|teenager|baby)|in (?:my|his|her|their) (?:teens|twenties|thirties|forties|fifties|\d0s)|"
    r"(?<!at )(?<!instead of )once(?! a (?:day|week|month)| daily| weekly)"
)
# Past mentions: for most categories any of these; for safety-first ones only a dated past.
_PAST = re.compile(
    rf"\b(?:{_DATED_PAST}|history of|previous|previously|prior|recovered|survivor|"
    r"(?:at|over|on) the weekend|last weekend|the other day|yesterday|last night|"
    r"after (?:my|his|her|a|the) (?:stroke|heart attack|seizure|overdose))\b"
)
_NEW_SUBJECT = {"i", "i'll", "i'm", "he", "he'll", "he's", "she", "she'll", "she's", "they", "they'll", "we"}
_COGNITION = {"think", "believe", "reckon", "suppose", "feel"}
_NEGATED_VERB = re.compile(
    r"\b(?:didn't|did not|hasn't|has not|haven't|have not|never)\s+(?:\w+\s+)?(?:swallow|eat|ate|drink|drank|take|took|"
    r"taken|chew|touch|have|had|get|got)\w*"
)
_RECENT = re.compile(r"yesterday|last night")
_SINCE_THEN = re.compile(
    r"\b(?:now|today|tonight|this (?:morning|evening|afternoon)|right now|since then|ever since|"
    r"i've had|i have had|he's had|she's had|has had)\b"
)
_PAST_DATED = re.compile(rf"\b(?:{_DATED_PAST})\b")
# "how do I help someone having a seizure": how to act, asked in general.
_HOW_TO = re.compile(
    r"\b(?:help|handle|treat|recogni[sz]e|spot|support|manage|deal with|respond to|look after)\s+"
    r"(?:someone|somebody|a person|people|a child|a friend|a patient)\b|"
    r"\b(?:talk|speak|chat) (?:to|with) (?:\w+ ){1,2}about\b"  # "how do I talk to my teenager about self harm"
)
# "can barely breathe": "can" opening a statement, not a question.
_STATEMENT = re.compile(r"(?:can|could) (?:barely|hardly|only|just|no longer|not)\b")
_RECURRING = re.compile(
    r"\W*(?:\w+\W+){0,2}?(?:when|whenever|every time|each time)\s+(?:i|he|she|you|we|they)\b"
)
_ONSET = re.compile(r"\b(?:sudden|suddenly|started|starting|now|since|ago|all of a sudden)\b")
_COMPARISON = re.compile(r"\b(?:heartburn|indigestion|reflux|acid|gas|wind|anxiety)\b[^.]{0,25}\blike\s*$")
# Case vignettes: "a 60-year-old ...", "19 year old male ...", "presents with", "scenario" ...
_AGE = r"\d+[- ]?(?:year|yr|month)s?[- ]old|\d+\s?(?:yo|y/o)"
_VIGNETTE = re.compile(
    rf"\b(?:(?:a|an|the)\s+(?:{_AGE})|"
    r"present(?:s|ing|ed)? with|case report|(?:a|an|the|my) patient|scenarios?|clinical case|"
    r"exam question|usmle|mcq|nursing school)\b|\bcase:"
)
# "55 year old male": a vignette, unless the writer speaks of themself ("chest is tight, I'm a 55 yo male")
_AGE_SEX = re.compile(rf"\b(?:{_AGE}) (?:man|woman|male|female|patient|boy|girl|lady)\b")
_SELF = re.compile(r"\b(?:i|i'm|i've|my|me)\b")
_RETRACTION = re.compile(
    r"(?:no,? (?:wait|actually|sorry)|actually,? no|wait,? no|scratch that|false alarm)\b"
)
_CLAUSE_SPLIT = re.compile(r"[.!?;\n]+|\bbut\b|\bhowever\b|\balthough\b")
_WORD = re.compile(r"[a-z0-9']+")
_FRAGMENT_SPLIT = re.compile(r"[,:()/-]|\band\b|\bthen\b")
# "A man collapses at the gym and ...": someone in general, not a report.
_GENERIC_SUBJECT = re.compile(
    r"(?:a|an|any)\s+(?:\w+\s+)?(?:man|woman|person|child|boy|girl|adult|teenager|baby)\b"
)
_SUBJECT = {"i", "i'm", "i've", "he's", "she's", "he", "she"}
_WINDOW = 10
_AFTER = 6
_POSSESSIVE = {"my", "his", "her", "our"}
_GENERIC = {"children", "kids"}
_ANYONE = {"someone", "somebody"}
_INDEFINITE = {"a", "an", "any"}  # "can a child be poisoned by ...": anyone
_OTHERS_CASE = {"patient", "patients", "client", "clients"}
_BARE = ("cant", "dont", "wont", "isnt", "doesnt", "couldnt", "arent", "wasnt", "didnt", "hasnt", "havent",
         "wouldnt", "shouldnt", "hadnt")  # fmt: skip


_SPELLING_RX = [(re.compile(rf"\b(?:{wrong})\b"), right) for wrong, right in SPELLING.items()]


def _normalise(question: str) -> str:
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").replace('"', " ")
    for bare in _BARE:
        text = re.sub(rf"\b{bare}\b", f"{bare[:-1]}'t", text)
    text = re.sub(r"\bive\b", "i've", text)
    text = re.sub(r"\bi m\b", "i'm", text)
    text = re.sub(r"\b(she|he)s\b", r"\1's", text)
    for wrong, right in _SPELLING_RX:
        text = wrong.sub(right, text)
    return re.sub(r"\s+", " ", text).strip()


def _negated(before: str, finding: str = "") -> bool:
    """True when a negation governs the finding.

    The negation must stand in the same comma phrase, at most three words back, or further back
    across a list joined by "or"/"nor" ("no fever or chest pain"); it does not count when it
    governs something else ("I can't tell if this is chest pain"), nor when the finding opens with
    a subject of its own ("if I don't come back he'll take all his pills").
    """
    phrase = re.split(r"[,:]", before)[-1]
    words = _WORD.findall(phrase)[-8:]
    for i, word in enumerate(words):
        if word in _NEGATION or word.endswith("n't"):
            if any(w in _NEGATION_OTHER for w in words[i + 1 : i + 3]) or words[i + 1 : i + 2] in _CORRECTION:
                continue
            rest = words[i + 1 :]
            if (
                _WORD.findall(finding)[:1]
                and _WORD.findall(finding)[0] in _NEW_SUBJECT
                and not (set(rest[:1]) & _COGNITION)
            ):
                continue
            if "and" in rest:
                continue  # "can't walk and his speech is strange": a new finding
            if len(rest) <= 3 or "or" in rest or "nor" in rest:
                return True
    return False


def _experienced(clause: str, match: re.Match[str], *, vignette: bool) -> bool:
    """Does someone in the clause have this finding (rather than ask about it)?

    A person cue shortly before the finding with no information word in between, a person named
    in the finding itself, a report with no subject ("Severe chest pain since an hour"), or a
    clause that says it is happening now.
    """
    persons = _FIRST_PERSON if vignette else PERSON
    named = _WORD.findall(match.group(0))
    if match.end() < len(clause) and clause[match.end()].isalnum():
        named = named[:-1]  # a pattern that ends inside a word ("took 10 i|ron"): not the word "i"
    if any(_is_person(w, persons) for w in named):
        return True
    all_before = _WORD.findall(clause[: match.start()])
    clause_words = _WORD.findall(clause)
    asking = (
        clause_words[0] in QUESTION_START
        and not _REPORT_QUESTION.match(clause)
        and not _STATEMENT.match(clause)
    )
    if asking and (_HOW_TO.search(clause) or _CAUSAL.match(clause)):
        return False
    words = all_before[-_WINDOW:]
    anyone = False
    for i in range(len(words) - 1, -1, -1):
        if words[i] in _GENERIC and (i == 0 or words[i - 1] not in _POSSESSIVE):
            continue  # "how many children are poisoned": people in general
        if asking and (words[i] in _ANYONE or (i > 0 and words[i - 1] in _INDEFINITE)):
            anyone = True  # "how can I tell if someone is suicidal": the finding is someone's
            continue
        if words[i] in _OTHERS_CASE:
            return False  # "she told me about a patient who overdosed"
        if _is_person(words[i], persons):
            return not anyone and not any(w in INFO for w in words[i + 1 :])
    if vignette:
        return False
    if any(w in INFO for w in all_before + _WORD.findall(clause[match.end() :].split(",")[0])):
        return False
    if not asking:
        if all(w in LEAD_IN for w in all_before):
            return True
        # a telegraphic report: "kiwi allergy, ate a fruit salad, mouth swelling"
        fragment = _WORD.findall(_FRAGMENT_SPLIT.split(clause[: match.start()])[-1])
        if all(w in LEAD_IN for w in fragment) and not _GENERIC_SUBJECT.match(clause):
            return True
        after = _WORD.findall(clause[match.end() :])[:_AFTER]
        if any(w in _POSSESSIVE or w in _SUBJECT for w in after):  # "blood pouring from a wound on my leg"
            return True
    return bool(_NOW.search(clause))


def _is_person(word: str, persons: set[str]) -> bool:
    return word in persons or word.removesuffix("'s") in persons  # "mum's face"


def _hypothetical(before: str, clause: str) -> bool:
    """An "if"/"in case"/"what happens" before the finding, unless it means "whether" ("not sure if");
    or a clause asking whether something could happen "if ..."."""
    if _POSSIBILITY.search(clause):
        return True
    hits = list(_HYPOTHETICAL.finditer(before))
    return bool(hits) and not _HYPO_EXCUSED.search(before[: hits[-1].end()])


def _counts(category: Category, clause: str, match: re.Match[str]) -> bool:
    """The finding is not negated, hypothetical, past, or part of a "can I take ..." question."""
    before = clause[: match.start()]
    if _negated(before, match.group(0)) or _NEGATED_VERB.search(match.group(0)):
        return False  # "no chest pain"; "my son didn't swallow the battery"
    if category.asking_guard and (
        _ASKING.search(before) or _ASKING_START.match(before.split(",")[-1].strip())
    ):
        return False
    if category.safety_first:
        return not _PAST_DATED.search(clause)
    if category.name != "overdose":
        after = clause[match.end() :]
        near = _WORD.findall(before)[-3:] + _WORD.findall(after)[:4]
        if any(w in MILD for w in near):
            return False  # "my chest hurts a little when I cough"
        if _RECURRING.match(after) and not _ONSET.search(clause) and category.name != "unresponsive":
            return False  # "my arm feels numb when I sleep on it" (not "won't open her eyes when I shout")
        if _COMPARISON.search(before):
            return False  # "heartburn that feels like chest pain"
    recent = category.name != "overdose"  # "took 20 paracetamol last night" still counts
    return not (_hypothetical(before, clause) or _past(clause, match.start(), recent=recent))


def _past(clause: str, start: int, *, recent: bool = True) -> bool:
    """A past mention in the clause, unless "now" stands between it and the finding ("stopped her
    tablets last week and now she's fitting") or it follows the finding in a later comma phrase
    ("pain in my chest, I had a stent last year"). ``recent``: "yesterday" and "last night" count."""
    for m in _PAST.finditer(clause):
        if m.end() <= start and _SINCE_THEN.search(clause, m.end(), start):
            continue
        if m.start() > start and "," in clause[start : m.start()]:
            continue
        if not recent and _RECENT.fullmatch(m.group(0)):
            continue
        return True
    return False


def _finding(category: Category, clauses: list[str], *, vignette: bool) -> bool:
    for clause in clauses:
        for pattern in category.evident:
            if any(_counts(category, clause, m) for m in pattern.finditer(clause)):
                return True
        for pattern in category.patterns:
            for match in pattern.finditer(clause):
                if _counts(category, clause, match) and _experienced(clause, match, vignette=vignette):
                    return True
    return False


def _found(category: Category, text: str, clauses: list[str], vignette: bool) -> bool:
    if category.requires is not None and not category.requires.search(text):
        return False
    return _finding(category, clauses, vignette=vignette)


def triage(question: str) -> Triage:
    """Classify ``question``: the rules' category and message; where no rule fires but the learned
    model does, the ``general`` category with a message that carries both the poison-help and the
    crisis lines; ``Triage()`` when neither fires."""
    found = rule_triage(question)
    if found.urgent or not question.strip() or not model_fires(question):
        return found
    return Triage(GENERAL, " ".join((GENERAL_LEAD, CALL, POISON_LINE, CRISIS_LINE)))


def rule_triage(question: str) -> Triage:
    """The rule set alone: an emergency category and its message, or ``Triage()`` when none.

    The first category with a finding wins; when a medicine or poison was also taken, the
    poison-help line is added to its message.
    """
    text = _normalise(question)
    if not text:
        return Triage()
    clauses = _retract([c.strip() for c in _CLAUSE_SPLIT.split(text) if c.strip()])
    vignette = bool(_VIGNETTE.search(text) or (_AGE_SEX.search(text) and not _SELF.search(text)))
    for category in CATEGORIES:
        if _found(category, text, clauses, vignette):
            message = _message(category)
            if category.name != "overdose" and any(
                _found(c, text, clauses, vignette) for c in CATEGORIES if c.name == "overdose"
            ):
                message += " " + POISON_LINE
            return Triage(category.name, message)
    return Triage()


def _retract(clauses: list[str]) -> list[str]:
    """Drop a clause the writer takes back in the next one ("he took it twice? No wait, only one")."""
    kept: list[str] = []
    for clause in clauses:
        if _RETRACTION.match(clause) and kept:
            kept.pop()
        kept.append(clause)
    return kept


def emergency_notice(question: str) -> str | None:
    """The seek-emergency-care message for ``question``, or None when it describes no emergency."""
    return triage(question).message


def _message(category: Category) -> str:
    parts = [category.lead, CALL]
    if category.extra:
        parts.append(category.extra)
    return " ".join(parts)
