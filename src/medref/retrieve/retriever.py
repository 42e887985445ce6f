"""Hybrid retrieval: lexical + dense, fused, reranked, with a directness check.

    >>> r = Retriever.open()                     # doctest: +SKIP
    >>> result = r.search("What is the role of CD40 ligand blockers?")

The result says which passages are *direct* evidence (they mention a key entity of the
question or a true synonym of it) and, per key entity, how many direct passages there are,
so an answer can say "no direct evidence" instead of presenting off-topic studies.

Lexical anchors: reciprocal rank fusion buries a passage only the lexical side finds, which is
what happens to an exact match on a rare name (a tool, a gene, a new drug) the dense model
cannot represent. A lexical top hit (``anchor_top``) that holds a rare query term (at most
``anchor_rare_share`` of the passages hold it, and never more than 200; question phrasing such
as "list" never counts)
is lifted to the score of a passage every list ranked ``anchor_rank_offset`` places lower than
the lexical list did (:func:`medref.index.fusion.anchor`); the lift is
``ScoreParts.lexical_anchor``. Tuned on BioASQ Task7B, measured on held-out 8B+9B
(docs/benchmarks.md, retrieval quality).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from medref.errors import QueryError
from medref.index.base import Hit, LexicalQuery
from medref.index.fusion import anchor, rrf
from medref.index.sync import IndexSet, check_fresh, open_indexes
from medref.models import EntityCoverage, RetrievalResult, RetrievedPassage, ScoreParts, SourceKind
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.query import QueryAnalysis, analyze, mentions_entity
from medref.retrieve.rerank import RerankWeights, combine, evidence_bonus, recency_bonus
from medref.settings import RetrievalSettings, Settings
from medref.store.repository import Store

EXPANSION_WEIGHT = 0.3  # per synonym; 0.6 let synonym-rich concepts flood the lexical list (BioASQ)
PHRASING = frozenset(
    "list lists name names describe define explain mention enumerate give tell please happens happen "
    "stand mean means meaning called known use used uses example examples type types kind kinds".split()
)
"""Words of how a question is put, not of what it is about: rare in abstracts, never an anchor."""
MAX_ANCHOR_TERMS = 16  # query terms probed for rarity (one small lexical search each)
MAX_RARE_PASSAGES = 200
"""A rare term is never held by more passages than this, however large the corpus: the probe
for a term costs about its hit count (at 1M passages, 16 probes of 1,501 hits took 27 ms p50 and
106 ms p95 on 2 cores, of 201 hits 5.5 / 10.6 ms; bench.anchor_cost)."""


def rare_limit(share: float, passages: int) -> int:
    """The most passages a query term may be held by and still count as rare."""
    return min(MAX_RARE_PASSAGES, max(1, int(share * passages)))


SHORT_DOC_CHARS = 4000
"""Documents up to this size (abstracts, registrations' summaries) are about one topic: an
entity named anywhere in one makes all its passages direct. Longer ones (labels, guidelines)
must name the entity in the passage itself or in their title."""
ARTICLE_KINDS = frozenset(
    {
        SourceKind.SYSTEMATIC_REVIEW,
        SourceKind.RCT,
        SourceKind.OBSERVATIONAL,
        SourceKind.NARRATIVE_REVIEW,
        SourceKind.CASE_REPORT,
        SourceKind.OTHER,
    }
)
"""Only journal abstracts get document-level directness (not labels, guidelines, registrations)."""
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_query(text: str, *, max_chars: int) -> tuple[str, list[str]]:
    """NFKC-normalise, drop control/format characters, collapse spaces, cap the length."""
    notes: list[str] = []
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(ch) in _CONTROL else ch for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QueryError("the query is empty")
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
        notes.append(f"query truncated to {max_chars} characters")
    return text, notes


@dataclass
class Retriever:
    store: Store
    indexes: IndexSet
    lexicon: Lexicon
    settings: RetrievalSettings = field(default_factory=RetrievalSettings)
    weights: RerankWeights = field(default_factory=RerankWeights)
    _count: tuple[int, int] | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, settings: Settings | None = None, *, store: Store | None = None) -> Retriever:
        from medref.deps import get_settings, open_store

        settings = settings or get_settings()
        store = store or open_store(settings)
        indexes = open_indexes(settings, create=False)
        lexicon = Lexicon.load(settings.retrieval.lexicon_path or _default_lexicon_path(settings))
        return cls(store=store, indexes=indexes, lexicon=lexicon, settings=settings.retrieval)

    def close(self) -> None:
        self.indexes.close()

    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        kinds: Sequence[SourceKind | str] = (),
        expand: bool | None = None,
        dense: bool = True,
    ) -> RetrievalResult:
        k = k or self.settings.k
        if k < 1:
            raise QueryError("k must be at least 1")
        text, notes = clean_query(question, max_chars=self.settings.max_query_chars)
        behind = check_fresh(self.store, self.indexes)
        if behind:
            notes.append(f"the index is {behind} changes behind the store; run: medref index sync")
        notes.extend(self.indexes.notes)
        analysis = analyze(text, self.lexicon)
        expand = self.settings.expand if expand is None else expand
        kind_values = tuple(SourceKind(kd).value for kd in kinds)

        lists: dict[str, list[Hit]] = {}
        n_cand = max(self.settings.candidates, k)
        lq = self._lexical_query(analysis, expand=expand, kinds=kind_values)
        if lq.terms:
            lists["lexical"] = self.indexes.lexical.search(lq, n_cand)
        if dense and self.indexes.dense is not None and self.indexes.embedder is not None:
            vec = self.indexes.embedder.embed([text])[0]
            dense_hits = self.indexes.dense.search(vec, n_cand * (3 if kind_values else 1))
            lists["dense"] = dense_hits
        weights = {"lexical": self.settings.lexical_weight, "dense": self.settings.dense_weight}
        fused = rrf(lists, weights=weights, k=self.settings.rrf_k)
        if len(lists) > 1 and "lexical" in lists and self.settings.lexical_weight > 0:
            anchored = self._anchors(analysis, lists["lexical"], lq.kinds)
            if anchored:
                fused = anchor(
                    fused,
                    {i: r + self.settings.anchor_rank_offset for i, r in anchored.items()},
                    lists=list(lists),
                    weights=weights,
                    k=self.settings.rrf_k,
                )
        pool = fused[: max(k * 5, 50)]
        rows = self.store.passages_by_ids([f.id for f in pool])
        if kind_values:
            pool = [f for f in pool if f.id in rows and rows[f.id][1].kind.value in kind_values]
        best = pool[0].total if pool else 1.0
        newest = max((rows[f.id][1].year or 0 for f in pool if f.id in rows), default=0)
        key = list(analysis.key_entities)
        role = bool(analysis.is_role_question)
        short_texts = (
            self.store.short_document_texts(
                {rows[f.id][1].uid for f in pool if f.id in rows}, max_chars=SHORT_DOC_CHARS
            )
            if key
            else {}
        )

        hits: list[RetrievedPassage] = []
        for f in pool:
            if f.id not in rows:
                continue  # removed from the store since the index was written
            passage, doc = rows[f.id]
            matched, where = self._directness(passage.text, doc.title, key, short_texts.get(doc.uid))
            parts = ScoreParts(
                lexical_rank=f.ranks.get("lexical"),
                lexical_score=f.scores.get("lexical"),
                dense_rank=f.ranks.get("dense"),
                dense_score=f.scores.get("dense"),
                fused=f.score / best if best else 0.0,
                lexical_anchor=f.anchor / best if best else 0.0,
                evidence_bonus=evidence_bonus(
                    doc.evidence_level, doc.kind, role_question=role, w=self.weights
                )
                + (self.weights.retracted if doc.retracted else 0.0),
                current_label_bonus=0.0 if doc.is_current else self.weights.superseded,
                directness_bonus=self.weights.direct if matched else 0.0,
                recency_bonus=recency_bonus(doc.year, newest, self.weights),
            )
            parts.final = combine(parts)
            hits.append(
                RetrievedPassage(
                    passage=passage,
                    document=doc,
                    scores=parts,
                    direct=bool(matched),
                    matched_entities=matched,
                    match_in=where,
                )
            )
        hits.sort(key=lambda h: h.scores.final, reverse=True)
        hits = hits[:k]
        coverage = [
            EntityCoverage(
                entity=c.preferred,
                kind=c.kind,
                synonyms=sorted(self.lexicon.synonyms(c))[:20],
                direct_passages=sum(1 for h in hits if c.preferred in h.matched_entities),
            )
            for c in key
        ]
        return RetrievalResult(
            query=text,
            key_entities=[c.preferred for c in key],
            detected=[
                {
                    "surface": m.surface,
                    "entity": m.concept.preferred,
                    "kind": m.concept.kind,
                    "start": m.start,
                    "end": m.end,
                }
                for m in analysis.mentions
            ],
            expansions={c: sorted(v) for c, v in analysis.expansions.items()} if expand else {},
            coverage=coverage,
            has_direct_evidence=any(h.direct for h in hits) if key else bool(hits),
            hits=hits,
            backends=list(lists),
            notes=notes,
            intent={
                "role": role,
                "dosing": bool(analysis.is_dosing),
                "safety": bool(analysis.is_safety),
            },
        )

    def _anchors(
        self, analysis: QueryAnalysis, lexical: Sequence[Hit], kinds: tuple[str, ...]
    ) -> dict[int, int]:
        """Lexical top hits (id -> lexical rank) that contain a rare query term: one at most
        ``anchor_rare_share`` of the passages contain (at least 1, at most MAX_RARE_PASSAGES).

        Rarity is read from the lexical index itself: a one-term search for ``limit + 1`` hits
        that comes back with ``limit`` or fewer lists every passage with the term."""
        top = lexical[: self.settings.anchor_top]
        if not top or not analysis.terms:
            return {}
        limit = rare_limit(self.settings.anchor_rare_share, self._passage_count())
        rank_of = {h.id: r for r, h in enumerate(top, start=1)}
        out: dict[int, int] = {}
        for term in [t for t in analysis.terms if t not in PHRASING][:MAX_ANCHOR_TERMS]:
            hits = self.indexes.lexical.search(LexicalQuery(terms=[(term, 1.0)], kinds=kinds), limit + 1)
            if len(hits) <= limit:
                out.update((h.id, rank_of[h.id]) for h in hits if h.id in rank_of)
            if len(out) == len(rank_of):
                break
        return out

    def _passage_count(self) -> int:
        """Passages in the lexical index (remembered per index watermark)."""
        mark = self.indexes.lexical.watermark
        if self._count is None or self._count[0] != mark:
            self._count = (mark, self.indexes.lexical.count())
        return self._count[1]

    def _lexical_query(
        self, analysis: QueryAnalysis, *, expand: bool, kinds: tuple[str, ...]
    ) -> LexicalQuery:
        terms: list[tuple[str, float]] = [(t, 1.0) for t in analysis.terms]
        seen = {t.lower() for t, _ in terms}
        if expand:
            for synonyms in analysis.expansions.values():
                for syn in sorted(synonyms):
                    if syn.lower() not in seen:
                        seen.add(syn.lower())
                        terms.append((syn, EXPANSION_WEIGHT))
        return LexicalQuery(terms=terms, kinds=kinds)

    def _directness(
        self, text: str, title: str, key: Sequence[Any], document_text: str | None = None
    ) -> tuple[list[str], str | None]:
        """Which key entities the passage is about: named in it, in its title, or (for an
        abstract-sized document only) elsewhere in the same document."""
        matched: list[str] = []
        where: str | None = None
        for concept in key:
            if mentions_entity(text, concept, self.lexicon):
                matched.append(concept.preferred)
                where = where or "passage"
            elif mentions_entity(title, concept, self.lexicon):
                matched.append(concept.preferred)
                where = where or "title"
            elif document_text and mentions_entity(document_text, concept, self.lexicon):
                matched.append(concept.preferred)
                where = where or "document"
        return matched, where


def _default_lexicon_path(settings: Settings) -> Any:
    path = settings.data_dir / "lexicon.jsonl.gz"
    return path if path.exists() else None
