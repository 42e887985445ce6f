"""Text written to a language model rather than to a reader: found at ingest, never evidence.

A medical record has no reason to address an AI assistant, to carry chat-template role
tokens, or to tell "the readers" what to believe. A passage that does is a prompt-injection
attempt (or, rarely, a paper quoting one) and is treated as *suspect*: the ingest step
records it in ``Document.meta["suspect_passages"]`` (``{str(ordinal): reason}``), and the
composers never quote it or accept it as support for a claim.

The rules are deliberately narrow so that ordinary clinical imperatives ("Tell your doctor",
"Advise patients to ...", "Do not exceed 4 g per day") and labels' "Instructions for Use"
never match; each rule below names one way text addresses a model. The detector is a pure
function of the text, so every later stage can re-run it on passage text alone and agree
with what ingest recorded.

Public functions: :func:`is_suspect_text` (the reason or None), :func:`suspect_passages`
(the reasons of a document's passages by ordinal), :func:`mark_suspect` (records them in a
document's meta) and :func:`flagged_reason` (reads a recorded flag back).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from medref.models import Document, Passage

META_KEY = "suspect_passages"

_MODEL = r"(?:ai|a\.i\.|assistant|ai assistant|chat ?bot|chatgpt|gpt(?:-?\d\w*)?|llm|large language model|language model|model|bot|copilot|claude|gemini|summari[sz]er)"
_ADDRESSEE = (
    r"(?:ai|a\.i\.|ai assistant|assistant|chat ?bot|chatgpt|gpt(?:-?\d\w*)?|llm|claude|gemini|copilot)"
)
# who a planted message is "for": the addressees above, plural too, and "AI model(s)", "(language) model(s)"
_RECIPIENT = (
    rf"(?:the\s+|any\s+|all\s+|an?\s+)?(?:{_ADDRESSEE}|ai models?|(?:large\s+)?language models?|bots?)s?"
)
_WEAK = r"(?:all|any|the|of|these|those|my|our)"
_PRIOR = (
    r"(?:previous|previously|prior|above|earlier|preceding|foregoing|original|initial|system|safety|all|your)"
)
_ORDERS = (
    r"(?:instructions?|rules?|prompts?|directions?|directives?|guidelines?|guidance|messages?|context"
    r"|programming|training|guardrails?|constraints?|tasks?|orders)"
)

# (reason, pattern) in the order they are tried; the first match names the passage.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.I | re.M))
    for reason, pattern in (
        (
            "chat-template role token",
            r"<\|\s*[a-z_]+\s*\|>|\[/?INST\]|<<\s*/?SYS\s*>>|</?\s*(?:system|assistant|user|instructions?|prompt|source|sources)\s*>",
        ),
        (
            "chat-template role line",
            r"^\s*(?:#{2,}\s*)?(?:system|assistant|instruction|developer)\s*(?:message|prompt)?\s*:"
            r"|#{2,}\s*(?:system|assistant|user|instructions?|developer|response)\b",
        ),
        (
            "asks to ignore earlier instructions",
            rf"\b(?:ignore|disregard|forget|override|bypass|overrule)\s+(?:{_WEAK}\s+){{0,3}}{_PRIOR}\s+(?:{_WEAK}\s+)?(?:[a-z]+\s+)?{_ORDERS}\b"
            r"|\b(?:ignore|disregard|forget)\s+(?:everything|anything|all)\s+(?:above|before|previously|you\s+(?:were|have\s+been)\s+told)\b"
            rf"|\b(?:ignore|disregard|forget)\s+(?:{_WEAK}\s+){{0,3}}(?:[a-z]+\s+)?(?:{_ORDERS}|sources?|documents?|texts?|passages?)"
            r"\s+(?:above|below|before|earlier|given\s+(?:above|earlier|before))\b",
        ),
        ("addresses an AI assistant", rf"\bnote\s+(?:to|for)\s+(?:the\s+|any\s+|an?\s+)?{_MODEL}s?\b"),
        (
            "addresses an AI assistant",
            rf"\b(?:message|instructions?|request|memo|reminder|directive|command)\s+(?:to|for)\s+{_RECIPIENT}\b",
        ),
        ("addresses an AI assistant", rf"\b(?:dear|attention|hey|hello|hi)\s*,?\s+{_ADDRESSEE}\b"),
        ("addresses an AI assistant", rf"(?:^|[.!?;]\s+|[(\[]\s*|\bplease\s*,?\s+){_ADDRESSEE}\s*[,:]"),
        (
            "addresses an AI assistant",
            rf"\bif\s+you\s+are\s+(?:an?\s+)?(?:automated|language model|{_ADDRESSEE})\b",
        ),
        (
            "addresses an AI assistant",
            rf"\b(?:any|all|every)\s+{_ADDRESSEE}s?\s+(?:reading|summari[sz]ing|processing|parsing)\b",
        ),
        ("addresses an AI assistant", r"\bas an (?:ai|a\.i\.|artificial intelligence|ai language model)\b"),
        (
            "tries to change the model's role",
            r"\byou\s+are\s+now\b|\bfrom\s+now\s+on\s*,?\s+(?:you|always|never|respond|answer)\b"
            r"|\b(?:developer|god|jailbreak|dan|unrestricted|unfiltered)\s+mode\b"
            r"|\bpretend\s+(?:to\s+be|you\s+are|that\s+you)\b|\bsystem\s+prompt\b",
        ),
        (
            "gives the model new instructions",
            r"\b(?:new|updated|revised|real|actual|hidden|secret)\s+instructions?\s*:"
            r"|\bthe\s+following\s+instructions?\s+(?:override|replace|supersede)\b"
            r"|\b(?:system|developer)\s+(?:override|instructions?)\b|\boverride\s*(?::|--|—)",
        ),
        (
            "tells the model what to tell its readers",
            r"\b(?:tell|assure|convince)\s+(?:the\s+|all\s+|your\s+)?(?:readers?|users?)\s+(?:that|to)\b"
            r"|\b(?:in|into)\s+(?:your|the)\s+(?:answer|response|reply|summary|output)\s*,?\s+(?:say|state|write|claim|mention|include|add)\b"
            r"|\b(?:when|while|if)\s+(?:you\s+(?:are\s+)?)?(?:summari[sz]|answer|respond|repl)\w*\b[^.!?\n]{0,60}"
            r"\b(?:say|state|write|claim|tell|mention|conclude|stress|recommend)\b"
            r"|\b(?:respond|reply|answer)\s+only\s+with\b|\brepeat\s+(?:after\s+me|the\s+following|this\s+sentence)\b"
            r"|\bdo\s+not\s+(?:mention|reveal|disclose)\s+(?:this|these|the)\s+(?:instructions?|note|prompt|message)\b",
        ),
    )
)

_INVISIBLE = dict.fromkeys(
    i
    for i in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def _prepare(text: str) -> str:
    """Compatibility-folded text without zero-width and bidi characters (which could hide a cue)."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


@lru_cache(maxsize=8192)
def is_suspect_text(text: str) -> str | None:
    """Why ``text`` reads as instructions to a language model, or None when it does not.

    Works on any span (a sentence, a passage, a whole record); the reason is a short phrase
    such as ``"addresses an AI assistant"``, fit for a note or a log line.
    """
    if not text:
        return None
    prepared = _prepare(text)
    for reason, pattern in _RULES:
        if pattern.search(prepared):
            return reason
    return None


def suspect_passages(passages: Iterable[Passage]) -> dict[str, str]:
    """``{str(ordinal): reason}`` for every passage whose text reads as instructions to a model."""
    out: dict[str, str] = {}
    for passage in passages:
        reason = is_suspect_text(passage.text)
        if reason is not None:
            out[str(passage.ordinal)] = reason
    return out


def mark_suspect(document: Document) -> Document:
    """Record the document's suspect passages in ``meta[META_KEY]`` (in place; returned for chaining).

    A document without suspect passages is left exactly as it was (no empty key), so its
    content hash does not change.
    """
    found = suspect_passages(document.passages)
    if document.title and is_suspect_text(document.title):
        found.setdefault("title", str(is_suspect_text(document.title)))
    if found:
        document.meta[META_KEY] = found
    else:
        document.meta.pop(META_KEY, None)
    return document


def flagged_reason(meta: Mapping[str, Any] | None, ordinal: int | str) -> str | None:
    """The reason ingest recorded for passage ``ordinal`` in a document's ``meta``, or None."""
    flags = (meta or {}).get(META_KEY)
    if not isinstance(flags, Mapping):
        return None
    reason = flags.get(str(ordinal))
    return str(reason) if reason else None
