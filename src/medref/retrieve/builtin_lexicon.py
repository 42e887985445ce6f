"""The small curated lexicon shipped with medref (``builtin_lexicon.json``).

It is used on its own when no lexicon file has been built, and merged into a built lexicon
(where its surface forms win over DrugBank/MeSH ones). It holds a few dozen hand-picked
concepts around the demo corpus: the CD40 ligand pathway and its blockers, costimulation
blockers (abatacept and belatacept kept apart), TNF inhibitors, statins, calcineurin
inhibitors, transplant and autoimmune conditions. Drug ids are DrugBank ids, other ids MeSH
descriptor UIs, and concepts with neither use ``medref:<slug>``.

Edit the JSON by hand; :func:`builtin_concepts` checks it (unique ids, known kinds, member
and target ids that exist) so a typo fails the tests rather than a query.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from medref.retrieve.lexicon import KINDS, Concept

RESOURCE = "builtin_lexicon.json"


def _concept(d: dict[str, Any]) -> Concept:
    names = [d["preferred"], *d.get("synonyms", [])]
    return Concept(
        id=d["id"],
        kind=d["kind"],
        preferred=d["preferred"],
        synonyms=tuple(d.get("synonyms", ())),
        drugbank_id=d.get("drugbank_id"),
        mesh_id=d.get("mesh_id"),
        classes=tuple(d.get("classes", ())),
        tree_numbers=tuple(d.get("tree_numbers", ())),
        unii=d.get("unii"),
        cas=d.get("cas"),
        is_class=bool(d.get("is_class", False)),
        members=tuple(d.get("members", ())),
        targets=tuple(d.get("targets", ())),
        curated=tuple(names),
    )


@lru_cache(maxsize=1)
def _load() -> tuple[Concept, ...]:
    raw = json.loads(resources.files("medref.retrieve").joinpath(RESOURCE).read_text(encoding="utf-8"))
    concepts = tuple(_concept(d) for d in raw["concepts"])
    ids = [c.id for c in concepts]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"{RESOURCE}: duplicate concept ids {sorted(dupes)}")
    known = set(ids)
    for c in concepts:
        if c.kind not in KINDS:
            raise ValueError(f"{RESOURCE}: concept {c.id} has unknown kind {c.kind!r}")
        missing = [m for m in (*c.members, *c.targets) if m not in known]
        if missing:
            raise ValueError(f"{RESOURCE}: concept {c.id} refers to unknown ids {missing}")
    return concepts


def builtin_concepts() -> list[Concept]:
    """The curated concepts (a fresh list; the Concept objects are immutable)."""
    return list(_load())
