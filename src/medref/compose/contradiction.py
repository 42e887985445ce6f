"""Does a sentence contradict the passage window it restates? Opposites, swapped roles, numbers.

The support check (:mod:`medref.compose.support`) finds the passage window (one or two
sentences) that shares most words with a generated sentence. Sharing words is not agreeing:
"more" for "less", "seronegative" for "seropositive", or the two drugs of a comparison in
each other's place keep every word and reverse the claim. This module compares the sentence
with that one window, token by token, and names what was reversed:

- **Opposites.** The two token sequences are aligned (longest common blocks, as ``difflib``
  does); where the sentence has a word and the window has its opposite in the same place,
  the claim is flipped. Opposites come from a short list of pairs (increase/decrease,
  better/worse, early/late, benign/malignant, ...) and from word shape: a negating prefix
  (``effective``/``ineffective``, ``significant``/``nonsignificant``, ``typical``/
  ``atypical``), paired prefixes (``hyper``/``hypo``, ``pre``/``post``, ``up``/``down``,
  ``intra``/``extra``) and paired endings (``-positive``/``-negative``,
  ``-sensitive``/``-resistant``).
- **Swapped roles.** Two words that occur once in each text and appear in opposite order,
  with a third word between them in both texts (the relation they stand on either side
  of: "than", "inhibited", "higher"), have traded places: "A was better than B" against
  "B was better than A". A change of voice ("B was inhibited by A") is not a swap. Moving a
  phrase ("In adults, A ..." / "A ... in adults") leaves no word between the two in both
  texts, so it is not a swap either.
- **Numbers.** Every number of the sentence must be in the window itself, with its unit
  when it has one; finding it elsewhere in the passage is not enough, or "12 weeks" could
  borrow the "12" of another result.

Negation (a "not" added or dropped) is the support module's own check.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache

import Stemmer

from medref.compose.numbers import norm_unit, numbers_as_digits, quantities, strip_markers
from medref.index.textnorm import DEFAULT as _ANALYZER

# Pairs of opposite word groups, as Snowball stems of the words listed. Written from reading
# clinical abstracts and labels; a word may sit in several pairs.
_OPPOSITE_TEXT = """
    more greater higher larger increase increased increases increasing increment elevated elevation
      raise raised rise rises rising rose gain gained augment augmented exceed exceeded
      | less lesser fewer lower smaller decrease decreased decreases decreasing decrement reduce reduced
      reduces reducing reduction lowered decline declined declines fall fell falls drop dropped drops
      loss lost diminish diminished attenuated lessened
    better best improve improved improves improving improvement superior benefit beneficial favourable
      favorable favour favor favoured favored | worse worst worsen worsened worsens worsening
      deteriorate deteriorated deterioration inferior harm harmful detrimental unfavourable unfavorable
    high highest | low lowest
    long longer longest prolonged | short shorter shortest shortened
    early earlier earliest | late later latest delayed
    fast faster fastest rapid | slow slower slowest
    strong stronger strongest | weak weaker weakest
    old older oldest elderly | young younger youngest
    maximum maximal max | minimum minimal min
    major | minor
    most | least
    many | few
    frequent frequently often common commonly | rare rarely infrequent uncommon seldom
    presence present | absence absent lack lacking
    before prior | after following subsequent
    first | last
    upper | lower
    anterior | posterior
    proximal | distal
    left | right
    internal | external
    men man male males boys | women woman female females girls
    maternal | paternal
    benign | malignant
    acute | chronic
    activate activated activates activation activating | inhibit inhibited inhibits inhibition
      inhibiting suppress suppressed suppresses suppression block blocked blocks
    stimulate stimulated stimulates stimulation | suppress suppressed suppresses suppression inhibit
      inhibited inhibits inhibition
    agonist | antagonist
    include included includes inclusion | exclude excluded excludes exclusion
    accept accepted acceptance | reject rejected rejection
    success successful successfully succeeded | failure failed unsuccessful
    sensitive sensitivity susceptible susceptibility | resistant resistance
    safe safer | unsafe dangerous hazardous
    systolic | diastolic
    arterial | venous
    dominant | recessive
    wide wider widened | narrow narrower narrowed
    dilation dilatation dilated vasodilation | constriction constricted vasoconstriction
    excess excessive surplus | deficiency deficient deficit shortage
    similar same identical | different dissimilar distinct
    allow allowed allows permit permitted | prevent prevented prevents prohibit prohibited forbid
    gain | loss
    open opened | closed
    positive positively | negative negatively
    sensitive | insensitive
    all always every | none never
    true truly | false falsely
    protect protective protected protection | harm harmful damaging
    enhance enhanced enhances enhancing enhancement promote promoted promotes | inhibit inhibited
      inhibits inhibiting inhibition impair impaired impairs impairment
    able | unable
"""

# Before a word of 5+ letters (4+ after a prefix of 3+ letters): effective/ineffective.
_NEGATING_PREFIXES = ("non", "un", "in", "im", "il", "ir", "ab", "dis", "anti", "ant", "a")
_PREFIX_PAIRS = (
    ("hyper", "hypo"),
    ("over", "under"),
    ("up", "down"),
    ("pre", "post"),
    ("intra", "extra"),
    ("inter", "intra"),
    ("pro", "anti"),
    ("in", "out"),
    ("ipsi", "contra"),
    ("tachy", "brady"),
    ("micro", "macro"),
    ("endo", "exo"),
    ("sub", "supra"),
    ("infra", "supra"),
    ("max", "min"),
    ("inc", "dec"),
    ("mono", "poly"),
    ("uni", "bi"),
    ("homo", "hetero"),
)
_SUFFIX_PAIRS = (
    ("positive", "negative"),
    ("positivity", "negativity"),
    ("sensitive", "resistant"),
    ("sensitivity", "resistance"),
    ("philic", "phobic"),
    ("ful", "less"),
)

# Function words that may sit between two words without making their order meaningful.
_ORDERLESS = frozenset(
    "and or nor both either neither versus vs plus with between among the a an as well also "
    "of to in on at for its their this that these those is are was were be been".split()
)
_STOP = frozenset(
    "a an the and or nor of to in on at by for with from as is are was were be been being it its "
    "this that these those than then there their they which who whom whose what when where while "
    "vs versus also both either neither not no".split()
)
_TOKEN = re.compile(
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[^\W\d_][^\W_]*(?:[-‐‑][^\W_]+)*|\d[^\W_]*|[,;:().%]"
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _build_opposites() -> dict[str, frozenset[tuple[int, int]]]:
    stem = _stemmer().stemWord
    table: dict[str, set[tuple[int, int]]] = {}
    for pair_id, line in enumerate(" ".join(_OPPOSITE_TEXT.split("\n      ")).strip().split("\n")):
        for side, words in enumerate(line.split("|")):
            for word in words.split():
                table.setdefault(stem(word), set()).add((pair_id, side))
    return {k: frozenset(v) for k, v in table.items()}


_OPPOSITES = _build_opposites()


def _token_key(tok: str) -> tuple[str, str]:
    """(surface word, alignment key: the stem of the word without hyphens, or a number without
    padding zeros)."""
    if tok in ",;:().%":
        return tok, tok
    if tok[0].isdigit() and re.fullmatch(r"[\d,.]+", tok):
        whole, _, frac = tok.replace(",", "").partition(".")
        value = (whole.lstrip("0") or "0") + ("." + frac.rstrip("0") if frac.rstrip("0") else "")
        return value, value
    return tok, _stemmer().stemWord(_HYPHENS.sub("", tok))


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[tuple[str, str], ...]:
    """The words and numbers of ``text`` as ``(surface, key)``, lower-cased, markers removed."""
    text = re.sub(r"\.(?=\s+[a-z])", " ", strip_markers(text))  # "vs. placebo", "i.c.v. injection"
    norm = _ANALYZER.normalize(text)
    norm = re.sub(r"n['’]t\b", " not", norm)
    norm = numbers_as_digits(re.sub(r"\bcannot\b", "can not", norm))
    return tuple(_token_key(t) for t in _TOKEN.findall(norm))


_HYPHENS = re.compile(r"[-‐‑]")


def _shape_opposed(a: str, b: str) -> bool:
    for prefix in _NEGATING_PREFIXES:
        rest = len(b) - len(prefix)
        if b.startswith(prefix) and b[len(prefix) :] == a and rest >= (5 if len(prefix) <= 2 else 4):
            return True
    for x, y in _PREFIX_PAIRS:
        if a.startswith(x) and b.startswith(y) and a[len(x) :] == b[len(y) :] and len(a) - len(x) >= 3:
            return True
    return any(a.endswith(x) and b.endswith(y) and a[: -len(x)] == b[: -len(y)] for x, y in _SUFFIX_PAIRS)


def _is_number(key: str) -> bool:
    return key[:1].isdigit() and key.replace(".", "", 1).isdigit()


_UNIT_WORDS = frozenset(
    "mg g mcg µg ug kg ng ml l dl iu mmol mol meq mmhg mm cm h hr hrs hour hours min mins minute minutes "
    "d day days wk wks week weeks mo month months y yr yrs year years % percent".split()
)


def _unit(word: str) -> str | None:
    return norm_unit(word) if word in _UNIT_WORDS else None


def opposed(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two tokens ``(surface, key)`` say opposite things (either order); two different
    numbers in the same place count as opposed."""
    if a[1] == b[1]:
        return False
    parts_a, parts_b = _HYPHENS.split(a[0]), _HYPHENS.split(b[0])
    if len(parts_a) > 1 and len(parts_a) == len(parts_b):  # 51-year-old / 51-month-old, EBV-positive
        differ = [(x, y) for x, y in zip(parts_a, parts_b, strict=True) if x != y]
        if len(differ) == 1:
            x, y = differ[0]
            return opposed((x, _stemmer().stemWord(x)), (y, _stemmer().stemWord(y)))
    if _is_number(a[1]) or _is_number(b[1]):
        return _is_number(a[1]) and _is_number(b[1])
    unit_a, unit_b = _unit(a[0]), _unit(b[0])
    if unit_a and unit_b:
        return unit_a != unit_b
    sides_a, sides_b = _OPPOSITES.get(a[1], frozenset()), _OPPOSITES.get(b[1], frozenset())
    if any((pair, 1 - side) in sides_b for pair, side in sides_a):
        return True
    plain_a, plain_b = _HYPHENS.sub("", a[0]), _HYPHENS.sub("", b[0])
    return any(_shape_opposed(x, y) or _shape_opposed(y, x) for x, y in ((plain_a, plain_b), (a[1], b[1])))


_NEGATION_WORDS = frozenset({"not", "no", "never", "without", "none", "neither", "nor"})
MAX_EDIT = 3  # tokens on either side of a local edit


def negation_edit_problem(
    sentence: Sequence[tuple[str, str]], window: Sequence[tuple[str, str]]
) -> str | None:
    """A negation added or dropped by a small edit inside text the two otherwise share."""
    s_keys, w_keys = [t[1] for t in sentence], [t[1] for t in window]
    ops = difflib.SequenceMatcher(None, s_keys, w_keys, autojunk=False).get_opcodes()
    for n, (op, i1, i2, j1, j2) in enumerate(ops):
        before = n == 0 or ops[n - 1][0] == "equal"
        after = n == len(ops) - 1 or ops[n + 1][0] == "equal"
        inside = before and after and len(ops) > 1
        if op == "equal" or not inside or i2 - i1 > MAX_EDIT or j2 - j1 > MAX_EDIT:
            continue
        s_neg = [w for w, k in sentence[i1:i2] if k in _NEGATION_WORDS]
        w_neg = [w for w, k in window[j1:j2] if k in _NEGATION_WORDS]
        if len(s_neg) != len(w_neg):
            said = f"adds '{s_neg[0]}'" if len(s_neg) > len(w_neg) else f"drops '{w_neg[0]}'"
            return f"negation mismatch: the sentence {said} where it otherwise follows the cited passage"
    return None


def opposite_problem(sentence: Sequence[tuple[str, str]], window: Sequence[tuple[str, str]]) -> str | None:
    """A word of the sentence standing where the window has its opposite, as a reason."""
    s_keys, w_keys = [t[1] for t in sentence], [t[1] for t in window]
    matcher = difflib.SequenceMatcher(None, s_keys, w_keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace":
            continue
        s_block, w_block = sentence[i1:i2], window[j1:j2]
        s_set, w_set = {t[1] for t in s_block}, {t[1] for t in w_block}
        for a in s_block:
            if a[1] in w_set:
                continue
            for b in w_block:
                if b[1] not in s_set and opposed(a, b):
                    return f"contradiction: the sentence says '{a[0]}' where the cited passage says '{b[0]}'"
    return None


_COMPARISON = frozenset({"than", "versus", "vs", "compar", "relat", "unlik"})  # stems
_BOUNDARY = frozenset(
    {",", ";", ":", "(", ")", ".", "but", "although", "though", "whereas", "however", "while"}
)


def _clause(keys: Sequence[str], at: int) -> tuple[Counter[str], Counter[str], bool]:
    """Content keys before and after position ``at`` within its clause, and whether a "by"
    follows it there (a passive: "B was inhibited by A")."""
    lo = at
    while lo > 0 and keys[lo - 1] not in _BOUNDARY:
        lo -= 1
    hi = at + 1
    while hi < len(keys) and keys[hi] not in _BOUNDARY:
        hi += 1
    content = lambda part: Counter(k for k in part if k not in _STOP and k not in "()")  # noqa: E731
    return content(keys[lo:at]), content(keys[at + 1 : hi]), "by" in keys[at + 1 : hi]


def _pivots(
    s_keys: Sequence[str], w_keys: Sequence[str], s_count: Counter[str], w_count: Counter[str]
) -> Iterator[tuple[str, int, int]]:
    """(word, position in the sentence, position in the window) of each word both texts have the
    same number of times (at most three), its n-th occurrences paired."""
    for pivot in dict.fromkeys(s_keys):
        if (
            pivot in _BOUNDARY
            or pivot in _ORDERLESS
            or s_count[pivot] != w_count[pivot]
            or s_count[pivot] > 3
        ):
            continue
        s_at = [i for i, k in enumerate(s_keys) if k == pivot]
        w_at = [i for i, k in enumerate(w_keys) if k == pivot]
        for i, j in zip(s_at, w_at, strict=True):
            yield pivot, i, j


def swap_problem(sentence: Sequence[tuple[str, str]], window: Sequence[tuple[str, str]]) -> str | None:
    """Words that changed sides of a relation word both texts share once, as a reason.

    Across a comparison ("than", "versus", "compared") one word changing sides is enough
    ("more in arm B than in arm A" / "more in arm than in arm B"); across any other word it
    takes one word going each way (A caused B / B caused A), and not with a change of voice
    (a "by" on one side in one text only).
    """
    s_keys, w_keys = [t[1] for t in sentence], [t[1] for t in window]
    s_count, w_count = Counter(s_keys), Counter(w_keys)
    surface = {key: word for word, key in (*window, *sentence)}
    for pivot, at_s, at_w in _pivots(s_keys, w_keys, s_count, w_count):
        s_left, s_right, s_by = _clause(s_keys, at_s)
        w_left, w_right, w_by = _clause(w_keys, at_w)
        went_right = [k for k in s_right if s_right[k] > w_right[k] and s_left[k] < w_left[k]]
        went_left = [k for k in s_left if s_left[k] > w_left[k] and s_right[k] < w_right[k]]
        comparison = pivot in _COMPARISON
        if not (went_right or went_left) or (not comparison and not (went_right and went_left)):
            continue
        if not comparison and s_by != w_by:
            continue  # active and passive voice: the roles did not change
        moved = ", ".join(f"'{surface[k]}'" for k in [*went_right, *went_left][:3])
        return f"contradiction: {moved} changed sides of '{surface[pivot]}' compared with the cited passage"
    return None


def number_place_problem(
    sentence: Sequence[tuple[str, str]], window: Sequence[tuple[str, str]]
) -> str | None:
    """A number standing, between the same words, where the window has another number.

    The texts are aligned with every number masked, so "Of 120 adults, 75 received tarnacept"
    lines up with "Of 120 adults, 45 received tarnacept and 75 received velocimab" and the 75 is
    compared with the 45 in its place. Only numbers with matching words on both sides count.
    """
    mask = lambda toks: ["#" if _is_number(k) else k for _, k in toks]  # noqa: E731
    matcher = difflib.SequenceMatcher(None, mask(sentence), mask(window), autojunk=False)
    for i, j, size in matcher.get_matching_blocks():
        for k in range(1, size - 1):
            a, b = sentence[i + k], window[j + k]
            if _is_number(a[1]) and a[1] != b[1]:
                return f"number mismatch: the sentence says '{a[0]}' where the cited passage says '{b[0]}'"
    return None


def number_problem(sentence: str, window: str, context: Sequence[str] = ()) -> str | None:
    """A number of the sentence missing from the window (bare numbers may come from ``context``)."""
    found = quantities(window)
    values = {v for v, _ in found}
    context_values = {v for text in context for v, _ in quantities(text)}
    for value, unit in quantities(sentence):
        if unit is None and (value in values or value in context_values):
            continue
        if unit is not None and (value, unit) in found:
            continue
        shown = f"{value} {unit}" if unit else value
        return f"number mismatch: '{shown}' is not in the passage sentence the claim restates"
    return None


def similarity(sentence: str, window: str) -> float:
    """How alike two texts are in wording, 0..1 (difflib's ratio over their token keys)."""
    a, b = [k for _, k in tokens(sentence)], [k for _, k in tokens(window)]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def contradiction(
    sentence: str, window: str, context: Sequence[str] = (), parts: Sequence[str] = ()
) -> str | None:
    """Why ``sentence`` contradicts ``window`` (opposites, swapped roles, numbers), or None.

    ``parts`` are the sentences of a two-sentence window: the claim is also compared with the
    one closest to it on its own, so that an opposite word elsewhere in the window ("extremely low" against
    "extremely high. ... low cost") cannot absorb the flipped one in the alignment.
    """
    s_toks = tokens(sentence)
    problem = number_problem(sentence, window, context)
    keys = {k for _, k in s_toks}
    closest = max(parts, key=lambda p: len(keys & {k for _, k in tokens(p)}), default=None)
    for text in (window, closest) if closest is not None else (window,):
        w_toks = tokens(text)
        problem = (
            problem
            or negation_edit_problem(s_toks, w_toks)
            or number_place_problem(s_toks, w_toks)
            or opposite_problem(s_toks, w_toks)
            or swap_problem(s_toks, w_toks)
        )
    return problem
