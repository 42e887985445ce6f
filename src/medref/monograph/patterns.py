"""Sentence patterns the monograph fields select by (wording cues, not medical facts).

Each pattern decides whether a quoted sentence belongs in a field: mechanism wording, results
of studies (a figure or comparison with an effect word, not study design, not harm), serious
harm, "most common" statements, pre-treatment tests, management actions, patient do's and
don'ts, renal and hepatic impairment, the special populations, dose changes with interacting
drugs. :data:`KEEPS` names the sentence filters of :mod:`medref.monograph.mapping`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from medref.compose.patient import DOSE_AMOUNT
from medref.compose.sentences import is_recommendation

MECHANISM_WORDS = re.compile(
    r"\bmechanism\b|\bbind(?:s|ing)?\b|\bblock(?:s|ing|er)?\b|\binhibit(?:s|ion|or)?\b|\bantagoni[sz]\w*|\bagonist\b"
    r"|\btarget(?:s|ing)?\b|\binterfere\w*|\bsuppress\w*",
    re.I,
)
EFFECT = re.compile(
    r"\bimprov\w*|\breduc\w*|\bincreas\w*|\bdecreas\w*|\bhigher\b|\blower\b|\bgreater\b|\bfewer\b|\bbetter\b|\bworse\b"
    r"|\brespon\w*|\bremission\b|\bsurviv\w*|non-?inferior\w*|\bsuperior\w*|\bsignificant\w*|\bversus\b|\bcompared\b"
    r"|\bdifference\b|\bendpoint\b|\befficac\w*|\beffective\w*|\bbenefit\w*|\bachiev\w*|\bmaintain\w*|\bflares?\b",
    re.I,
)
HARM = re.compile(
    r"\bincidence\b|\brisk of\b|\badverse\b|\btoxicit\w*|\bside effects?\b|\bserious\b|\bthrombo\w*", re.I
)


DESIGN = re.compile(
    r"\benroll\w*|\bevaluated\s+\d|\b(?:was|were) (?:assessed|evaluated|studied) in\b|\brandomi[sz]ed (?:to|in|into)\b"
    r"|\bwere treated with\b|\beligible\b|\binclusion\b|\bdefined as\b|\bstratified\b|\bentered\b|\bwere allowed\b",
    re.I,
)
FIGURE = re.compile(
    r"\d+(?:\.\d+)?\s*%|\bp\s*[<=≤]|\bvs\.?\s|\bversus\b|\bcompared\b|\bthan\b|\d+\s*(?:of|/)\s*\d+", re.I
)


def is_result(text: str) -> bool:
    """A results sentence about benefit: a figure or comparison with an effect word, not study design or harm."""
    return bool(
        FIGURE.search(text) and EFFECT.search(text) and not DESIGN.search(text) and not HARM.search(text)
    )


OVERDOSE = re.compile(r"\boverdos\w*", re.I)
SERIOUS = re.compile(
    r"\bserious\b|\bfatal\w*|\bdeaths?\b|\blife-threatening\b|\bhospitali[sz]\w*|\bsevere\b", re.I
)
EVENT = re.compile(
    r"\brisks?\b|\bserious\b|\bfatal\w*|\bdeaths?\b|\breported\b|\bcases?\b|\bassociated with\b"
    r"|\b(?:may|can|could) (?:cause|result|increase|lead|occur|lower|raise|worsen)\b|\breactions?\b|\btoxicit\w*"
    r"|\bfailure\b|\bsevere\b"
    r"|\blife-threatening\b|\bhospitali\w*|\bexacerbat\w*|\boccurred\b|\bincidence\b",
    re.I,
)
# reactions that are serious by nature, named in postmarketing lists without the word "serious"
GRAVE_EVENT = re.compile(
    r"\b(?:\w+ )?failure\b|\banaphyla\w*|\binfarction\b|\bstroke\b|\barrhythmi\w*|\bh(?:a)?emorrhag\w*"
    r"|\bnecrolysis\b|\bstevens-johnson\b|\bseizures?\b|\bpancreatitis\b|\bhepatitis\b|\brhabdomyolysis\b"
    r"|\bsepsis\b|\blymphoma\b|\btorsade\w*|\bsudden (?:cardiac )?death\b",
    re.I,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
# figures about antibodies, laboratory titres, drug levels or discontinuation are not reaction incidences
NOT_A_REACTION = re.compile(
    r"\bantibod\w*|\bANA\b|\btit(?:er|re)s?\b|\blevels?\b|\bconcentrations?\b|\bdiscontinu\w*", re.I
)
TREATED = re.compile(r"\bpatients? (?:treated|receiving|taking|given|on)\b", re.I)


def above_ten_percent(text: str) -> bool:
    """Any figure in the text is a percentage above 10 (an incidence stated in running text)."""
    return any(float(m.group(1)) > 10 for m in _PERCENT.finditer(text))


COMMON = re.compile(
    r"\bmost (?:common(?:ly)?|frequent(?:ly)?)\b|\bcommon(?:ly)? reported\b|\breported frequently\b", re.I
)
PRETREATMENT = re.compile(
    r"\b(?:before|prior to)\b[^.;]{0,80}?\b(?:start\w*|initiat\w*|begin\w*|treatment|therapy|use|administ\w*|dos\w*)\b"
    r"|\bbaseline\b",
    re.I,
)
# present-tense instructions and test nouns ("tested negative" describes a patient, not a test to do)
TESTING = re.compile(
    r"\b(?:test(?:s|ing)?|screen(?:s|ing)?|evaluat(?:e|es|ion)|assess(?:es|ment)?|check|confirm|measure(?:ment)?s?|"
    r"obtain|examin(?:e|ation)|serolog\w*|serostatus|seropositiv\w*|laboratory|enzymes?|status|up to date)\b",
    re.I,
)
# a sentence about a study (design, observational data, participants) is not an instruction
STUDY = re.compile(
    r"\b(?:stud(?:y|ies)|trials?|observational|case-crossover|cohort|enroll\w*|randomi[sz]ed|participants|"
    r"subjects|treatment groups?|placebo|post-hoc|versus|vs)\b",
    re.I,
)
ACTION = re.compile(
    r"\bdiscontinu\w*|\bstop\w*|\bwithh[eo]ld\w*|\binterrupt\w*|\bmonitor\w*|\bconsider\w*|\bavoid\w*|\btreat\w*"
    r"|\breduc\w*|\bcaution\w*|\bevaluat\w*|\bassess\w*|\badvise\w*|\bseek\w*|\breport\w*|\binstitut\w*|\bmanag\w*"
    r"|\bnot recommended\b|\bdo not\b|\bcontraindicated\b",
    re.I,
)


def is_management(text: str) -> bool:
    """Recommendation wording with an action (stop, monitor, avoid, treat ...), not a pre-treatment test."""
    return bool(is_recommendation(text) and ACTION.search(text) and not is_pretreatment(text))


DO_DONT = re.compile(
    r"^(?:do not|don't|never|always|avoid|tell|call|ask|keep|take|store|stop|read|use|inject|check|throw|talk|get|"
    r"seek|wear|limit|report|inform|advise|instruct|protect|choose|wash|follow)\b|\byou should\b|\bdo not\b",
    re.I,
)
RENAL_TITLE = re.compile(r"\brenal\b|\bkidney\b", re.I)
RENAL_TEXT = re.compile(
    r"\brenal (?:impairment|insufficiency|dysfunction|disease|failure|function)\b|\bcreatinine clearance\b|\b(?:hemo)?dialysis\b",
    re.I,
)
HEPATIC_TITLE = re.compile(r"\bhepatic\b|\bliver\b", re.I)
HEPATIC_TEXT = re.compile(
    r"\bhepatic (?:impairment|insufficiency|dysfunction|disease)\b|\bliver (?:impairment|disease|dysfunction)\b|\bchild-pugh\b",
    re.I,
)


# "Prior to initiating X, evaluate patients ...": the instruction after a leading clause
_INSTRUCTION = re.compile(
    r"(?:^|[,;]\s*)(?:test|screen|evaluate|assess|check|confirm|measure|obtain|examine|perform|consider)\b",
    re.I,
)


def is_pretreatment(text: str) -> bool:
    """A test, screen or check to do before starting the drug: an instruction, not a study finding."""
    return bool(
        PRETREATMENT.search(text)
        and TESTING.search(text)
        and not STUDY.search(text)
        and not DESIGN.search(text)
        and (is_recommendation(text) or _INSTRUCTION.search(text))
    )


GERIATRIC_TEXT = re.compile(
    r"\belderly\b|\bgeriatric\b|\bolder (?:adults|patients|subjects|people)\b"
    r"|(?:>|≥|over|older than|aged|age)\s*=?\s*6[05]\b|\b6[05] years (?:of age )?(?:and|or) (?:older|over|above)\b",
    re.I,
)
PEDIATRIC_TEXT = re.compile(
    r"\bpa?ediatric\b|\bchild(?:ren)?\b|\badolescents?\b|\binfants?\b|\bneonates?\b", re.I
)
# animal studies ("rats given 20 mg/kg/day ... pups") and nursing infants are not paediatric use
ANIMAL_TEXT = re.compile(r"\b(?:rats?|mice|mouse|rabbits?|dogs?|monkeys?|pups|animals?)\b", re.I)
PREGNANCY_TEXT = re.compile(r"\bpregnan\w*", re.I)
LACTATION_TEXT = re.compile(
    r"\bnursing (?:mothers?|women|woman|infants?)\b|\bbe nursed\b|\bbreast[- ]?(?:fe\w*|milk)\b|\blactat\w*"
    r"|\bhuman milk\b",
    re.I,
)
DOSE_CHANGE = re.compile(
    r"\b(?:dose|doses|dosage|dosing)\b[^.;]{0,40}?\b(?:reduc\w*|decreas\w*|lower\w*|adjust\w*|increas\w*|limit\w*|"
    r"modif\w*|halv\w*|exceed\w*)"
    r"|\b(?:reduc\w*|decreas\w*|lower\w*|adjust\w*|limit\w*|halv\w*)\b[^.;]{0,40}?\b(?:dose|doses|dosage|dosing)\b"
    r"|\bnot (?:to )?exceed\b|\bshould not exceed\b|\bdo not exceed\b|\blimited to\b|\bstarting dose\b"
    r"|\bmaximum (?:recommended )?(?:single |daily )?dose\b",
    re.I,
)
AVOID = re.compile(r"\bavoid\w*|\bcontraindicated\b|\bnot recommended\b|\bcaution\b", re.I)
INTERACTING_TEXT = re.compile(
    r"\binhibitors?\b|\binducers?\b|\bblockers?\b|\bnitrates?\b|\bconcomitant\w*|\bco-?administ\w*"
    r"|\bin combination with\b|\b(?:taking|receiving|treated with)\b",
    re.I,
)


# older labels state interactions in their Precautions text: drugs given together
GIVEN_WITH = re.compile(
    r"\bco-?administ\w*|\bconcomitant\w*|\bconcurrent\w*|\bin combination with\b|\bcombined (?:use|therapy|with)\b"
    r"|\bpotentiat\w*|\binteract\w*|\binterfer\w*|\bplus\b|\bwhen (?:given|used|taken) with\b"
    r"|\breceiving (?:\w+ )?(?:medications?|drugs?|agents?|anticoagulants?|anticonvulsants?|inhibitors?|blockers?)\b",
    re.I,
)


# a dosing instruction without an amount: when to continue, stop, check or the most to take
DOSING_CONDITION = re.compile(
    r"(?:\b(?:continu\w*|discontinu\w*|stop\w*|titrat\w*|analy[sz]ed|monitor\w*|measur\w*|check\w*|re-?evaluat\w*)\b"
    r"[^.;]{0,120}?\b(?:within|after|by|every)\b[^.;]{0,40}?\b(?:weeks?|days?|months?|hours?|Day \d+)\b)"
    r"|\b(?:no|not) more than \d+ (?:doses?|times)\b|\bin (?:any )?24[- ]hours?\b",
    re.I,
)


_SECTION_NUMBER = re.compile(r"\(\d+(?:\.\d+)*\)")
_LINK_WORDS = frozenset({"and", "or", "see", "the", "in", "of"})


def is_cross_reference(text: str) -> bool:
    """Section names with their numbers and nothing else ("Warnings and Precautions (5.1),
    Clinical Pharmacology (12.3)"): a pointer left by sentence splitting, not a statement."""
    if not _SECTION_NUMBER.search(text) or re.search(r"\w[^\[(]*[\[(]\s*see\b", text, re.I):
        return False  # no section number, or an item with its pointer ("Malignancies [see ...]")
    words = re.findall(r"[A-Za-z][A-Za-z-]{2,}", _SECTION_NUMBER.sub(" ", text))
    return bool(words) and all(w[0].isupper() or w.lower() in _LINK_WORDS for w in words)


def _dose(text: str) -> bool:
    return DOSE_AMOUNT.search(text) is not None


def _children(text: str) -> bool:
    """A sentence about treating children: names them, and is not about nursing infants (lactation)
    or an animal study."""
    return bool(
        PEDIATRIC_TEXT.search(text) and not LACTATION_TEXT.search(text) and not ANIMAL_TEXT.search(text)
    )


KEEPS: dict[str, Callable[[str], bool]] = {
    "names renal impairment and states a dose": lambda t: bool(RENAL_TEXT.search(t)) and _dose(t),
    "names hepatic impairment and states a dose": lambda t: bool(HEPATIC_TEXT.search(t)) and _dose(t),
    "names renal impairment": lambda t: bool(RENAL_TEXT.search(t)),
    "names hepatic impairment": lambda t: bool(HEPATIC_TEXT.search(t)),
    "a dose statement": lambda t: bool(DOSE_CHANGE.search(t) or _dose(t) or AVOID.search(t)),
    "names pregnancy": lambda t: bool(PREGNANCY_TEXT.search(t)),
    "names nursing or breastfeeding": lambda t: bool(LACTATION_TEXT.search(t)),
    "names children": lambda t: _children(t),
    "names older patients": lambda t: bool(GERIATRIC_TEXT.search(t)),
    "names another drug and a dose change": lambda t: bool(
        INTERACTING_TEXT.search(t) and (DOSE_CHANGE.search(t) or _dose(t))
    ),
    "states a dose change": lambda t: bool(DOSE_CHANGE.search(t)),
    "names another drug it is given with": lambda t: bool(GIVEN_WITH.search(t)),
    "mechanism wording": lambda t: bool(MECHANISM_WORDS.search(t)),
    "a test before starting": is_pretreatment,
    "serious wording": lambda t: bool(SERIOUS.search(t) or GRAVE_EVENT.search(t)),
    "most common": lambda t: bool(COMMON.search(t)),
}
# a dosing table whose header row names the population: its rows with a dose are that population's
TABLE_HEADER_KEEPS: dict[str, re.Pattern[str]] = {
    "names renal impairment and states a dose": RENAL_TEXT,
    "names hepatic impairment and states a dose": HEPATIC_TEXT,
}
POPULATION_HEADER: dict[str, re.Pattern[str]] = {
    "dose_geriatric": GERIATRIC_TEXT,
    "dose_pediatric": PEDIATRIC_TEXT,
}
# "names the population and states a dose", per population field
POPULATION_DOSE: dict[str, Callable[[str], bool]] = {
    "dose_geriatric": lambda t: bool(GERIATRIC_TEXT.search(t)) and _dose(t),
    "dose_pediatric": lambda t: _children(t) and _dose(t),
}
