"""Questions that cannot be answered as asked: say so plainly instead of composing a padded page.

:func:`question_problem` returns the message a reader sees, or None for a usable question:

* nothing but common words ("what is it and how"): nothing to search for;
* a pasted passage rather than a question: three or more sentences, or a long text whose words
  repeat (a flood of one word, a copied abstract);
* over ``MAX_QUESTION_CHARS`` characters.

Questions in another language are not refused here: the search runs, and when no English source
addresses the question's words the page says there is no direct evidence.
"""

from __future__ import annotations

import re

from medref.compose.sentences import content_stems

MAX_QUESTION_CHARS = 600
_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)")
_WORD = re.compile(r"[^\W_]+")

NOTHING_TO_SEARCH = (
    "This question has only common words, so there is nothing to search for. Ask about a drug, a "
    "condition, a test or a treatment, for example: “Is belatacept safe after a kidney transplant?”"
)
PASTED_TEXT = (
    "This looks like a pasted passage rather than a question. Ask one question in a sentence or two "
    f"(at most {MAX_QUESTION_CHARS} characters), for example about the finding you want checked."
)


def question_problem(question: str) -> str | None:
    """Why ``question`` cannot be answered as asked, or None."""
    text = " ".join(question.split())
    if not content_stems(text):
        return NOTHING_TO_SEARCH
    if len(text) > MAX_QUESTION_CHARS:
        return PASTED_TEXT
    words = _WORD.findall(text.lower())
    if len(_SENTENCE_END.findall(text)) >= 3:
        return PASTED_TEXT
    if len(words) >= 30 and len(set(words)) / len(words) < 0.4:
        return PASTED_TEXT
    return None
