"""What every answer composer shares.

A composer turns a question and its :class:`~medref.models.RetrievalResult` into an
:class:`~medref.models.Answer` whose every sentence carries ``[n]`` citations to the passages
that support it. Composers are chosen by name through :func:`make_composer`:
``extractive`` (default: deterministic, offline, never writes a claim that is not in a cited
passage) and ``generative`` (an OpenAI-compatible chat endpoint, checked sentence by sentence).

The pipeline around a composer lives in :mod:`medref.compose.ask`: emergency triage first,
retrieval, composition, patient adaptation, related questions, storage.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from medref.errors import ConfigError
from medref.models import Answer, Audience, RetrievalResult

DISCLAIMER = (
    "This page is generated from the sources listed under References and is meant for education "
    "and reference. It is not medical advice and does not replace the judgement of a qualified "
    "clinician who knows the patient. Check the cited sources before acting on anything here."
)
PATIENT_DISCLAIMER = (
    "This page explains what the listed sources say. It is not medical advice. Talk with your "
    "doctor, nurse or pharmacist before you start, stop or change any treatment."
)
NO_EVIDENCE = "Not enough evidence in the sources to answer this question."


class Composer(Protocol):
    name: str

    def compose(
        self, question: str, retrieval: RetrievalResult, *, audience: Audience, focus: str | None = None
    ) -> Answer: ...


COMPOSERS: dict[str, str] = {
    "extractive": "medref.compose.extractive:ExtractiveComposer",
    "generative": "medref.compose.generative:GenerativeComposer",
}


def make_composer(name: str = "extractive", **options: Any) -> Composer:
    try:
        target = COMPOSERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown composer {name!r}; choose one of: {', '.join(sorted(COMPOSERS))}"
        ) from None
    module, _, cls = target.partition(":")
    composer: Composer = getattr(importlib.import_module(module), cls)(**options)
    return composer
