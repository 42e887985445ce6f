"""Numbers in generated text: the ``[n]`` citation markers and the quantities a claim states.

Quantities are normalised so that spelling does not matter and only the value and unit do:
``15mg/kg`` = ``15 mg / kg`` = ``15 mg per kg``, ``25 percent`` = ``25%``, ``µg`` = ``mcg``,
``6 months`` = ``six months``, and a range's unit carries over to its first number
(``5-10 mg`` = ``5 mg to 10 mg``).
"""

from __future__ import annotations

import re
from functools import lru_cache

#: A citation marker: [3], [1, 2], [1-3], [Source 2]; group 1 holds the numbers.
MARKER_PATTERN = r"\[\s*(?:(?:sources?|refs?|references?)\s*)?(\d+(?:\s*(?:[,;]|[-–—]|and)\s*\d+)*)\s*\]"
_MARKER = re.compile(MARKER_PATTERN, re.I)
_NUMBER_WORD_TEXT = """
    two 2 three 3 four 4 five 5 six 6 seven 7 eight 8 nine 9 ten 10 eleven 11 twelve 12 thirteen 13
    fourteen 14 fifteen 15 sixteen 16 seventeen 17 eighteen 18 nineteen 19 twenty 20 thirty 30
    forty 40 fifty 50 sixty 60 seventy 70 eighty 80 ninety 90 hundred 100
"""
_pairs = _NUMBER_WORD_TEXT.split()
_NUMBER_WORDS = dict(zip(_pairs[::2], _pairs[1::2], strict=True))
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)

# ----------------------------------------------------------------------------- quantities
_UNIT_SYNONYM_TEXT = """
    µg=mcg μg=mcg ug=mcg microgram=mcg micrograms=mcg milligram=mg milligrams=mg gram=g grams=g
    kilogram=kg kilograms=kg millilitre=ml milliliter=ml millilitres=ml milliliters=ml percent=%
    per_cent=% hour=h hours=h hr=h hrs=h day=d days=d week=wk weeks=wk wks=wk month=mo months=mo
    year=y years=y yr=y yrs=y minute=min minutes=min mins=min unit=u units=u m²=m2
"""
_UNIT_SYNONYMS = {
    a.replace("_", " "): b for a, _, b in (item.partition("=") for item in _UNIT_SYNONYM_TEXT.split())
}
_UNIT_BASE = (
    r"mcg|µg|μg|ug|mg|g|kg|ng|ml|dl|l|iu|units?|u|mmol|mol|meq|mmhg|mm|cm|%|percent|per cent"
    r"|micrograms?|milligrams?|grams?|kilograms?|millilit(?:re|er)s?|hours?|hrs?|h|days?|d|weeks?|wks?"
    r"|wk|months?|years?|yrs?|yr|minutes?|mins?|min"
)
_UNIT_DENOM = r"m2|m²|kg|g|mg|l|dl|ml|min|minute|h|hours?|d|days?|wk|weeks?|dose|\d+\s*h(?:ours?)?"
_UNIT = rf"(?:{_UNIT_BASE})(?:\s*(?:/|per)\s*(?:{_UNIT_DENOM}))*"
_QTY = re.compile(rf"(?<![\w.])(\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(\d+))?(?:\s*({_UNIT})(?![^\W_]))?", re.I)
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to|or|and|,)\s*", re.I)


def strip_markers(text: str) -> str:
    """The sentence without ``[n]`` citation markers, with tidy spacing."""
    out = _MARKER.sub(" ", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return re.sub(r"\s{2,}", " ", out).strip()


def cited_numbers(text: str) -> list[int]:
    """Source numbers of every ``[n]``, ``[n, m]`` and ``[n-m]`` marker, in order, once each."""
    out: list[int] = []
    for m in _MARKER.finditer(text):
        for piece in re.split(r"\s*(?:[,;]|and)\s*", m.group(1)):
            a, _, b = re.sub(r"\s", "", piece).replace("–", "-").replace("—", "-").partition("-")
            lo, hi = int(a), int(b or a)
            out.extend(range(lo, hi + 1) if 0 <= hi - lo <= 20 else (lo, hi))
    return list(dict.fromkeys(out))


def numbers_as_digits(text: str) -> str:
    """Number words (two .. hundred) written as digits."""
    return _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], text)


def norm_unit(unit: str) -> str:
    """A unit in one spelling: ``mg per kg`` -> ``mg/kg``, ``weeks`` -> ``wk``, ``percent`` -> ``%``."""
    pieces = []
    for part in re.split(r"\s*(?:/|\bper\b(?! cent))\s*", unit.lower().strip()):
        part = re.sub(r"\s+", " ", part)
        pieces.append(_UNIT_SYNONYMS.get(part, part).replace(" ", ""))
    return "/".join(pieces)


def _norm_value(whole: str, frac: str | None) -> str:
    whole = whole.replace(",", "").lstrip("0") or "0"
    frac = (frac or "").rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def quantities(text: str) -> list[tuple[str, str | None]]:
    """Numbers in ``text`` as ``(value, unit or None)``, normalised, in order."""
    return list(_quantities(text))


@lru_cache(maxsize=8192)
def _quantities(text: str) -> tuple[tuple[str, str | None], ...]:
    prepared = numbers_as_digits(strip_markers(text))
    found = [
        (
            m.start(),
            m.end(),
            _norm_value(m.group(1), m.group(2)),
            norm_unit(m.group(3)) if m.group(3) else None,
        )
        for m in _QTY.finditer(prepared)
    ]
    out: list[tuple[str, str | None]] = [(v, u) for _, _, v, u in found]
    for i in range(len(found) - 2, -1, -1):  # a range's unit carries back: 5-10 mg -> 5 mg
        gap = prepared[found[i][1] : found[i + 1][0]]
        if out[i][1] is None and out[i + 1][1] is not None and _RANGE_GAP.fullmatch(gap):
            out[i] = (out[i][0], out[i + 1][1])
    return tuple(out)


def is_quantity(text: str) -> bool:
    """Whether ``text`` is exactly one number, with or without a unit (``15mg``, ``2.5``)."""
    return _QTY.fullmatch(text) is not None
