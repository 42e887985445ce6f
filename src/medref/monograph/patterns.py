"""Sentence patterns the monograph fields select by (wording cues, not medical facts).

Each pattern decides whether a quoted sentence belongs in a field: mechanism wording, results
of studies (a figure or comparison with an effect word, not study design, not harm), serious
harm, "most common" statements, pre-treatment tests, management actions, patient do's and
don'ts, renal and hepatic impairment.
"""

from __future__ import annotations

import re

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
COMMON = re.compile(
    r"\bmost (?:common(?:ly)?|frequent(?:ly)?)\b|\bcommon(?:ly)? reported\b|\breported frequently\b", re.I
)
PRETREATMENT = re.compile(
    r"\b(?:before|prior to)\b[^.;]{0,80}?\b(?:start\w*|initiat\w*|begin\w*|treatment|therapy|use|administ\w*|dos\w*)\b"
    r"|\bbaseline\b",
    re.I,
)
TESTING = re.compile(
    r"\b(?:test\w*|screen\w*|evaluat\w*|assess\w*|check\w*|confirm\w*|measur\w*|obtain\w*|examin\w*|monitor\w*|"
    r"serolog\w*|serostatus|seropositiv\w*|laboratory|enzymes?)\b",
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
POPULATION_TITLES = {
    "dose_pregnancy": re.compile(r"pregnan", re.I),
    "dose_lactation": re.compile(r"nursing|lactat|breast", re.I),
    "dose_pediatric": re.compile(r"pediatric|paediatric|^(?!keep out).*\bchildren\b", re.I),
    "dose_geriatric": re.compile(r"geriatric|elderly", re.I),
}


def is_pretreatment(text: str) -> bool:
    """A test, screen or check to do before starting the drug."""
    return bool(PRETREATMENT.search(text) and TESTING.search(text))
