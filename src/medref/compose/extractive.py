"""The default answer composer: extractive, deterministic and offline.

It never writes a claim of its own: every published sentence is an exact slice of a retrieved
passage (``passage.text[start:end]``), cited with ``[n]`` to that passage. Doses are therefore
only ever quoted in the cited source's own wording.

Rules, in the order they are applied:

1. **What the question is about.** The entities are ``retrieval.key_entities``, each searched
   under its name, ``coverage[*].synonyms`` and ``expansions`` (for a class: its member drugs
   and targets), plus any *drug-like word the lexicon does not know* ("zorbalimab": a word
   ending in -mab, -nib, -cept, -statin ...). Such a word replaces condition-only key entities
   (a drug question is about the drug). An entity is *found* when the retriever marked some hit
   direct for it (for unknown words: some hit's text or title contains the word).
2. **Candidate sentences** come only from direct hits, and a sentence must itself name a found
   entity (sentence-level directness; a class's own names and member drugs count fully, its
   targets half). One exception: every sentence of a guideline or drug label whose *title*
   names the entity counts (the whole document is about it), and so does a sentence of an
   abstract-sized document that names the entity elsewhere (its conclusion need not repeat the
   name; the relevance model weighs it). Passages that read like instructions to a model
   (:func:`medref.ingest.suspect.is_suspect_text`) are never quoted. Skipped: superseded label
   versions, title passages, boilerplate (demo markers, disclaimers, copyright), headings and
   captions, label lists ("Keywords: a; b; c."), spans shorter than ``min_sentence_chars``,
   sentences without a verb (dose statements excepted for dosing questions). Table rows are
   used only for dosing questions and only when they state a dose. Sentences longer than
   ``max_sentence_chars`` are trimmed to their ``;`` clauses that name an entity. The same
   sentence found in several passages is published once, citing all of them. A sentence that
   opens with a reference to text the page does not show ("Both ...", "These patients ...";
   :mod:`medref.compose.standalone`) is left out, unless it is the source speaking of itself
   ("In this study ..."): that one is printed behind a frame of our own words from the
   document's design and year ("In a randomised trial published in 2024:"), apart from the quote.
   When the question names **no** entity, a sentence qualifies when it shares at least two of
   the question's content words (one when the question has at most two), and the answer's
   notes say it was chosen by word overlap.
3. **Relevance, not just the entity** (:mod:`medref.compose.relevance`). Every candidate is scored
   by the fitted relevance model in its context (the question's words beyond its subject, the
   sentence's neighbours, section and document, the retrieval scores) and published only at or
   above the model's threshold. Hard rules beside it: in a label, guideline or registration the
   sentence (with its neighbours and section) must name something the question asks beyond its
   subject; a population the question names (pregnancy, children ...) must be named by the source;
   a follow-up's own words (``focus``) must be addressed. For dosing and safety questions, dose
   statements and dosing / safety sections are ordered first. When candidates exist but none
   passes, the page says there is no direct evidence and lists the closest sources as related
   reading. Selection is maximal marginal relevance (``mmr_lambda``, word-stem Jaccard as
   similarity); near-duplicates (similarity >= 0.6, or one's words inside the other's) are never
   published, anywhere on the page. Ties break on passage id and offset, so the same input gives
   the same page.
   **The bottom line** (:func:`medref.compose.lead.select_lead`) takes one to three of the best
   candidates first, most authoritative source first; **verdicts** for yes/no questions
   (:func:`medref.compose.verdict.judge`) read the published conclusion sentences.
4. **From the Guidelines** uses guideline documents only. Key points: recommendation sentences
   (should / recommend / must / is indicated / not recommended, or an imperative such as
   "Avoid ...", "Monitor ...", "Screen for ...") first, then other strong sentences; the summary
   paragraph takes the best non-recommendation sentences, printed in reading order.
5. **From the Research** (bullets in ``key_points``; no summary) uses reviews, trials, studies,
   trial registrations and current drug labels, at most two bullets per document. Drug labels
   are regulatory text, not research, but they carry the dosing and safety wording: they are
   capped at two bullets unless the question is about dosing or safety, when the label may give
   more (and the per-document cap does not apply to it).
6. **Honesty** (:func:`medref.compose.citations.evidence_notices`). A section without sentences
   says so ("The sources found for this question include no guideline text on X."). A known
   entity that no retrieved passage names -> ``INDIRECT_ONLY``: both sections say none of the
   sources found mentions it (with the names searched) and that the passages returned are not
   summarised; no sentence is published. The same holds when an unknown drug-like word is
   missing while its class is found ("Is zorbalimab a CD40 ligand blocker?"): the class is not
   presented as the answer. An unknown word with nothing else known, no hits at all, or nothing
   quotable -> ``NONE`` and the NO_EVIDENCE text. When one of two peer entities is missing, the
   found one is answered and the notices name the missing one.
7. **References** are numbered in order of first citation in page order (guideline summary,
   guideline key points, research), one per document, each with its label, its DocumentRef and
   the passage ids cited. No patient adaptation, triage, related questions or storage here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from medref.compose.base import DISCLAIMER
from medref.compose.citations import (
    ReferenceBook,
    Support,
    closest_sources,
    evidence_notices,
    no_direct_evidence,
)
from medref.compose.lead import select_lead
from medref.compose.relevance import (
    FEATURES,
    CandidateView,
    Pool,
    QuestionFrame,
    RelevanceModel,
    default_model,
    features,
    relativise,
)
from medref.compose.sentences import (
    Entity,
    content_stems,
    drug_like_words,
    has_dose,
    is_quotable,
    is_recommendation,
    mmr_select,
    split_rows,
    split_sentences,
    trim_long,
)
from medref.compose.standalone import frame_for, publishable
from medref.compose.verdict import judge
from medref.ingest.suspect import is_suspect_text
from medref.models import (
    Answer,
    AnswerSection,
    Audience,
    CitedSentence,
    DocumentRef,
    EvidenceStatus,
    RetrievalResult,
    RetrievedPassage,
    SourceKind,
)
from medref.retrieve.lexnorm import norm_key

BOTTOM_LINE_TITLE = "Bottom line"
SEE_BOTTOM_LINE = "Nothing is quoted here: no source found addresses the question (see the bottom line)."
GUIDELINES_TITLE = "From the Guidelines"
RESEARCH_TITLE = "From the Research"
DUPLICATE_SIMILARITY = 0.6
PER_DOCUMENT_BULLETS = 2
LABEL_BULLETS = 2

_DOSE_WORDS = re.compile(r"\bdos(?:e|es|ing|age)\b", re.IGNORECASE)
_DOSING_SECTIONS = ("dosage", "dosing", "administration", "intervention")
_SAFETY_SECTIONS = ("warning", "contraindication", "adverse", "precaution", "boxed")
_SAFETY_STEMS = content_stems("safe safety risk harm")
_SENT_ASPECT = FEATURES.index("sent_aspect")
_LONG_KINDS = (SourceKind.GUIDELINE, SourceKind.DRUG_LABEL, SourceKind.TRIAL_REGISTRATION)


@dataclass(eq=False)
class Candidate:
    text: str
    hit: RetrievedPassage
    start: int
    end: int
    stems: frozenset[str]
    relevance: float
    recommendation: bool
    supports: list[Support] = field(default_factory=list)
    probability: float = 0.0
    features: list[float] = field(default_factory=list)
    aspect: float = 0.0
    frame: str | None = None  # our words before the quotation, resolving "This study ..." (standalone)

    @property
    def order(self) -> tuple[str, int]:
        return (self.hit.passage.id or "", self.start)


@dataclass
class Analysis:
    entities: list[Entity]
    notes: list[str]
    found: list[Entity]
    missing: list[Entity]
    pool: list[Candidate]
    dosing: bool
    safety: bool
    threshold: float
    aspects: frozenset[str]


class ExtractiveComposer:
    """Select, order and trim cited sentences from the best direct evidence (see module docstring)."""

    name = "extractive"

    def __init__(
        self,
        *,
        max_lead_sentences: int = 3,
        max_summary_sentences: int = 3,
        max_key_points: int = 5,
        max_research_bullets: int = 6,
        mmr_lambda: float = 0.7,
        min_sentence_chars: int = 30,
        max_sentence_chars: int = 400,
        clock: Callable[[], dt.datetime] | None = None,
        model: RelevanceModel | None = None,
        lexical_model: RelevanceModel | None = None,
        standalone: bool = True,
    ) -> None:
        if not 0.0 <= mmr_lambda <= 1.0:
            raise ValueError("mmr_lambda must be between 0 and 1")
        self.max_lead_sentences = max_lead_sentences
        self.model = model or default_model("hybrid")
        self.lexical_model = lexical_model or (model if model is not None else default_model("lexical"))
        self.max_summary_sentences = max_summary_sentences
        self.max_key_points = max_key_points
        self.max_research_bullets = max_research_bullets
        self.mmr_lambda = mmr_lambda
        self.min_sentence_chars = min_sentence_chars
        self.max_sentence_chars = max_sentence_chars
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.standalone = standalone  # False only to measure the page without the rule (bench)

    # ------------------------------------------------------------------ public

    def compose(
        self,
        question: str,
        retrieval: RetrievalResult,
        *,
        audience: Audience = Audience.CLINICIAN,
        focus: str | None = None,
    ) -> Answer:
        """Compose the page; ``focus``: a follow-up's own words, which every published sentence must address."""
        a = self.analyse(question, retrieval, focus=focus)
        entities, notes, found, missing, pool = a.entities, a.notes, a.found, a.missing, a.pool
        dosing, safety = a.dosing, a.safety
        cands = [c for c in pool if c.probability >= a.threshold]
        if not entities:
            notes.append(
                "The question names no drug, target or condition the lexicon knows; sentences were "
                "chosen by the words they share with the question."
            )
        if any(not h.document.is_current and (h.direct or not entities) for h in retrieval.hits):
            notes.append("Superseded drug label versions were not quoted.")
        if pool and len(cands) < len(pool):
            notes.append(
                f"{len(pool) - len(cands)} sentences that name the question's subject but do not address "
                "the question were left out."
            )

        lead = select_lead(
            cands,
            a.threshold,
            max_sentences=self.max_lead_sentences,
            prefer=(lambda c: has_dose(c.text)) if dosing else None,
        )
        rest = [c for c in cands if c not in lead]
        guide_pool = [c for c in rest if c.hit.document.kind is SourceKind.GUIDELINE]
        research_pool = [c for c in rest if c.hit.document.kind is not SourceKind.GUIDELINE]
        recs = [c for c in guide_pool if c.recommendation]
        others = [c for c in guide_pool if not c.recommendation]
        key_points = self._select(recs, self.max_key_points, lead)
        summary = self._select(others, self.max_summary_sentences, lead + key_points)
        left = [c for c in others if c not in summary]
        key_points += self._select(left, self.max_key_points - len(key_points), lead + key_points + summary)
        summary = self._reading_order(summary)
        label_focus = dosing or safety  # labels carry the dosing and safety wording
        bullets = self._select(
            research_pool,
            self.max_research_bullets,
            lead + summary + key_points,
            per_doc=PER_DOCUMENT_BULLETS,
            label_cap=None if label_focus else LABEL_BULLETS,
            label_per_doc=label_focus,
        )

        published = lead + summary + key_points + bullets
        status, g_notice, r_notice = evidence_notices(
            found,
            missing,
            hits=bool(retrieval.hits),
            published=bool(published),
            guideline=bool(summary or key_points),
            research=bool(bullets),
            guideline_named=any(c.hit.document.kind is SourceKind.GUIDELINE for c in pool),
            research_named=any(c.hit.document.kind is not SourceKind.GUIDELINE for c in pool),
        )
        off_question = bool(pool) and not cands
        related: list[DocumentRef] = []
        lead_notice: str | None = None
        if off_question:
            status = EvidenceStatus.INDIRECT_ONLY
            lead_notice = no_direct_evidence(question)
            g_notice = r_notice = SEE_BOTTOM_LINE
            related = closest_sources(pool)
        book = ReferenceBook()
        b_section = (
            AnswerSection(title=BOTTOM_LINE_TITLE, summary=[self._cite(book, c) for c in lead])
            if lead
            else None
        )
        if b_section is None and (off_question or status is not EvidenceStatus.DIRECT):
            b_section = AnswerSection(
                title=BOTTOM_LINE_TITLE, notice=lead_notice or g_notice or no_direct_evidence(question)
            )
        g_section = AnswerSection(
            title=GUIDELINES_TITLE,
            summary=[self._cite(book, c) for c in summary],
            key_points=[self._cite(book, c) for c in key_points],
            notice=g_notice,
        )
        r_section = AnswerSection(
            title=RESEARCH_TITLE, key_points=[self._cite(book, c) for c in bullets], notice=r_notice
        )
        verdict = judge(
            question, [(c, self._find(book, c)) for c in published], status=status, aspects=a.aspects
        )
        now = self.clock()
        return Answer(
            question=question,
            audience=audience,
            evidence_status=status,
            key_entities=list(retrieval.key_entities),
            bottom_line=b_section,
            verdict=verdict,
            guidelines=g_section,
            research=r_section,
            references=book.references({h.passage.id: h.passage for h in retrieval.hits if h.passage.id}),
            related_reading=related,
            disclaimer=DISCLAIMER,
            composer=self.name,
            notes=notes,
            created_at=now,
            updated_at=now,
        )

    def analyse(self, question: str, retrieval: RetrievalResult, *, focus: str | None = None) -> Analysis:
        """The question's entities and every candidate sentence with its relevance (before the gate)."""
        entities, notes = self._entities(question, retrieval)
        dosing = bool(retrieval.intent.get("dosing"))
        safety = bool(retrieval.intent.get("safety"))
        missing = [e for e in entities if not any(_hit_names(h, e) for h in retrieval.hits)]
        found = [e for e in entities if e not in missing]
        # an unrecognised drug-like word is the question's subject: without it, nothing is quoted
        answerable = bool(retrieval.hits) and (not entities or bool(found)) and all(e.known for e in missing)
        frame = QuestionFrame.of(question, [n for e in entities for n in e.names], focus=focus)
        hits = [
            h for h in retrieval.hits if h.document.is_current and h.passage.kind != "title" and h.passage.id
        ]
        stats = Pool.of(frame, hits)
        model = self.model if stats.has_dense else self.lexical_model
        pool = (
            self._candidates(hits, stats, model, found, frame, dosing=dosing, safety=safety)
            if answerable
            else []
        )
        return Analysis(entities, notes, found, missing, pool, dosing, safety, model.threshold, frame.aspects)

    # ------------------------------------------------------------------ entities

    def _entities(self, question: str, retrieval: RetrievalResult) -> tuple[list[Entity], list[str]]:
        notes: list[str] = []
        known: list[Entity] = []
        for name in retrieval.key_entities:
            cov = next((c for c in retrieval.coverage if c.entity == name), None)
            own = _unique([name, *(cov.synonyms if cov else [])])
            expansions = retrieval.expansions.get(name, [])
            members = [x for x in expansions if drug_like_words(x.split()[0])]
            names = _unique([*own, *expansions])
            primary = _unique([*own, *members])
            known.append(
                Entity(
                    name=name, names=tuple(names), kind=cov.kind if cov else "other", primary=tuple(primary)
                )
            )
        covered = " ".join(norm_key(str(d.get("surface", ""))) for d in retrieval.detected)
        covered += " " + " ".join(norm_key(n) for e in known for n in e.names)
        unknown: list[Entity] = []
        for word in drug_like_words(question):
            if f" {norm_key(word)} " in f" {covered} ":
                continue
            unknown.append(Entity(name=word, names=(word,), known=False, kind="drug", primary=(word,)))
        if unknown:
            notes.append(
                "Not in the lexicon, searched as written: " + ", ".join(e.name for e in unknown) + "."
            )
            if all(e.kind == "condition" for e in known):
                return unknown, notes
        return known + unknown, notes

    # ------------------------------------------------------------------ candidates

    def _candidates(
        self,
        hits: Sequence[RetrievedPassage],
        stats: Pool,
        model: RelevanceModel,
        entities: Sequence[Entity],
        frame: QuestionFrame,
        *,
        dosing: bool,
        safety: bool,
    ) -> list[Candidate]:
        """Every quotable sentence of a direct hit, scored by the relevance model (not yet gated)."""
        need = 1 if len(frame.stems) <= 2 else 2
        by_text: dict[str, list[Candidate]] = {}
        views: list[CandidateView] = []
        made: list[Candidate] = []
        for hit in hits:
            p, doc = hit.passage, hit.document
            if entities and not any(_hit_names(hit, e) for e in entities):
                continue
            if is_suspect_text(p.text):
                continue  # reads like instructions to a model: never quoted as evidence
            whole_doc = doc.kind in (SourceKind.GUIDELINE, SourceKind.DRUG_LABEL) and any(
                e.mentioned_in(doc.title) for e in entities
            )
            abstract = hit.match_in in ("document", "title") and not whole_doc
            table = p.kind == "table"
            if table and not dosing:
                continue
            spans = split_rows(p.text) if table else split_sentences(p.text)
            kept = list(trim_long(spans, self.max_sentence_chars, keep=lambda t: _names_any(t, entities)))
            section_stems = content_stems(p.section)
            if safety and any(k in p.section.lower() for k in _SAFETY_SECTIONS):
                section_stems |= _SAFETY_STEMS  # a warnings section speaks of safety without the word
            for i, span in enumerate(kept):
                text = span.text
                if not is_quotable(
                    text,
                    table=table,
                    dosing=dosing,
                    min_chars=self.min_sentence_chars,
                    max_chars=self.max_sentence_chars,
                ):
                    continue
                if self.standalone and not publishable(text):
                    continue  # opens with a reference to text the page does not show ("Both ...")
                stems = content_stems(text)
                if entities:
                    named = 1.0 if any(e.mentioned_in(text, primary=True) for e in entities) else 0.0
                    if not named and any(e.mentioned_in(text) for e in entities):
                        named = 0.5  # only a target or other related name of the entity
                    if not named:
                        if whole_doc:
                            named = 0.75  # a guideline or label whose title names the entity
                        elif abstract:
                            named = 0.25  # a sentence of an abstract that names the entity elsewhere
                        else:
                            continue
                elif len(stems & frame.stems) < need:
                    continue
                else:
                    named = 1.0
                context = section_stems
                if i > 0:
                    context = context | content_stems(kept[i - 1].text)
                if i + 1 < len(kept):
                    context = context | content_stems(kept[i + 1].text)
                rec = is_recommendation(text)
                cand = Candidate(text, hit, span.start, span.end, stems, 0.0, rec)
                cand.frame = frame_for(text, doc) if self.standalone else None
                cand.supports.append(Support(doc, p.id or "", span.start, span.end))
                made.append(cand)
                views.append(CandidateView(text, stems, context, hit, named, rec))
        rows = [features(stats, v) for v in views]
        relativise(rows)
        for cand, view, row in zip(made, views, rows, strict=True):
            cand.features = row
            cand.aspect = row[_SENT_ASPECT]
            cand.probability = model.probability(row)
            long_doc = cand.hit.document.kind in _LONG_KINDS
            if frame.aspects and long_doc and not stats.coverage(_scope(cand, view, stats), frame.aspects):
                cand.probability = (
                    0.0  # the question asks about more than its subject; this says nothing of it
                )
            if frame.populations and not frame.covers_populations(_scope(cand, view, stats)):
                cand.probability = 0.0  # evidence about another population does not answer this one
            if not frame.addresses(cand.text, cand.hit.passage.section):
                cand.probability = 0.0  # a follow-up's own words ("and in pregnancy?") are what it asks
            cand.relevance = round(cand.probability + _task_bonus(cand, dosing=dosing, safety=safety), 9)
            by_text.setdefault(" ".join(cand.text.casefold().split()), []).append(cand)
        merged: list[Candidate] = []
        for group in by_text.values():
            group.sort(key=lambda c: (-c.relevance, c.order))
            head = group[0]
            head.supports = [s for c in group for s in c.supports]  # identical text in several passages
            merged.append(head)
        return sorted(merged, key=lambda c: (-c.relevance, c.order))

    # ------------------------------------------------------------------ selection

    def _select(
        self,
        pool: Sequence[Candidate],
        k: int,
        chosen: Sequence[Candidate],
        *,
        per_doc: int | None = None,
        label_cap: int | None = None,
        label_per_doc: bool = False,
    ) -> list[Candidate]:
        """Maximal marginal relevance over ``pool``, at most ``per_doc`` per document and ``label_cap`` labels."""

        def allowed(c: Candidate, picked: list[Candidate]) -> bool:
            is_label = c.hit.document.kind is SourceKind.DRUG_LABEL
            uid = c.hit.document.uid
            doc_capped = per_doc is not None and not (is_label and label_per_doc)
            if doc_capped and sum(1 for o in picked if o.hit.document.uid == uid) >= (per_doc or 0):
                return False
            labels = sum(1 for o in picked if o.hit.document.kind is SourceKind.DRUG_LABEL)
            return not (is_label and label_cap is not None and labels >= label_cap)

        return mmr_select(
            pool, k, chosen=chosen, lam=self.mmr_lambda, duplicate=DUPLICATE_SIMILARITY, allowed=allowed
        )

    @staticmethod
    def _reading_order(cands: Sequence[Candidate]) -> list[Candidate]:
        """Summary sentences grouped by document (best document first), then in text order."""
        doc_rank: dict[str, int] = {}
        for c in cands:
            doc_rank.setdefault(c.hit.document.uid, len(doc_rank))
        return sorted(cands, key=lambda c: (doc_rank[c.hit.document.uid], c.hit.passage.ordinal, c.start))

    @staticmethod
    def _cite(book: ReferenceBook, c: Candidate) -> CitedSentence:
        cited = book.sentence(c.text, c.supports, recommendation=c.recommendation, direct=True)
        return cited.model_copy(update={"frame": c.frame}) if c.frame else cited

    @staticmethod
    def _find(book: ReferenceBook, c: Candidate) -> list[int]:
        """The reference numbers ``c`` was cited with (its documents are numbered by then)."""
        return list(dict.fromkeys(book.number(s.document) for s in c.supports))


def _scope(cand: Candidate, view: CandidateView, stats: Pool) -> frozenset[str]:
    """Where a candidate must name what the question asks (its aspects, its population): near the
    sentence (neighbours and section) in a label, guideline or registration, which speak of many
    things; anywhere in an abstract-sized document (its title or methods say who was studied)."""
    if cand.hit.document.kind in _LONG_KINDS:
        return view.context_stems | view.stems
    return stats.doc_stems.get(cand.hit.document.uid, frozenset()) | view.context_stems | view.stems


def _task_bonus(c: Candidate, *, dosing: bool, safety: bool) -> float:
    """Ordering nudges for dosing and safety questions (the relevance gate is the model's alone)."""
    section = c.hit.passage.section.lower()
    bonus = 0.0
    if dosing:
        bonus += 0.2 if has_dose(c.text) else (0.0 if _DOSE_WORDS.search(c.text) else -0.15)
        if any(s in section for s in _DOSING_SECTIONS):
            bonus += 0.1
        if c.hit.passage.kind == "table" or _DOSE_WORDS.search(c.text):
            bonus += 0.1  # a dosing table row, or a sentence about the dose itself
    if safety and any(s in section for s in _SAFETY_SECTIONS):
        bonus += 0.1
    return bonus


def _names_any(text: str, entities: Sequence[Entity]) -> bool:
    """Whether ``text`` names one of ``entities`` (always true when the question names none)."""
    return not entities or any(e.mentioned_in(text) for e in entities)


def _hit_names(hit: RetrievedPassage, e: Entity) -> bool:
    """Whether the retriever found ``e`` in this hit (lexicon rules), or the word itself for unknown ones."""
    if e.known:
        return e.name in hit.matched_entities
    return e.mentioned_in(hit.passage.text) or e.mentioned_in(hit.document.title)


def _unique(items: Iterable[str]) -> list[str]:
    out: dict[str, str] = {}
    for s in items:
        if s and s.casefold() not in out:
            out[s.casefold()] = s
    return list(out.values())
