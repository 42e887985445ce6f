"""The concept lexicon behind query understanding: drugs, conditions, targets and classes.

A :class:`Lexicon` maps surface forms ("LEA29Y", "CD40 ligand", "Humira") to :class:`Concept`
objects and finds concept mentions in free text. It is either loaded from a file written by
:func:`medref.retrieve.lexicon_build.build_lexicon` (DrugBank + MeSH + the curated built-in
concepts) or, when no such file exists, made from the small curated built-in lexicon alone
(``Lexicon.is_builtin`` says which).

Matching works on normalised tokens, not regular expressions: text is NFKC/NFKD-folded
(accents dropped, zero-width and soft-hyphen characters removed, Greek letters spelled out),
case-folded and cut into runs of letters and runs of digits, so "CD40-L", "CD40L" and
"cd40 l" are all ``cd 40 l``. Surface forms are stored in a dict keyed by their joined token
n-gram; :meth:`Lexicon.find_mentions` walks the text once and tries, at each token, the longest
n-gram first. Short all-letter forms ("SLE", "ALL", "CsA") only match with the same case.
A form never names two drugs: when two drug concepts share one, the drug whose preferred name
it is keeps it, else the drug listed first (the builder has already resolved synonym clashes,
so this only settles duplicate DrugBank records such as "ADL5859" / "ADL-5859").

File format (``lexicon.jsonl.gz``): gzip JSON lines, one header object
``{"format": "medref-lexicon", "version": 1, "stats": {...}}`` then one object per concept
with short keys (see :meth:`Concept.to_json`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from medref.errors import IndexNotReadyError
from medref.retrieve import lexicon_cache
from medref.retrieve.lexnorm import (
    case_key,
    indexable,
    needs_case,
    norm_key,
    singular,
    tokenize,
)

Kind = Literal["drug", "condition", "target", "other"]
KINDS: tuple[str, ...] = ("drug", "condition", "target", "other")
FORMAT = "medref-lexicon"
VERSION = 1
REBUILD_HINT = "rebuild it with: medref lexicon build ../shared/data"


@dataclass(frozen=True)
class Concept:
    """One thing a question or passage can name.

    ``classes`` are MeSH pharmacological actions (drugs); ``members`` lists the concept ids of an
    explicit class (``is_class``); ``targets`` the target concept ids a class acts on.
    """

    id: str
    kind: Kind
    preferred: str
    synonyms: tuple[str, ...] = ()
    drugbank_id: str | None = None
    mesh_id: str | None = None
    classes: tuple[str, ...] = ()
    tree_numbers: tuple[str, ...] = ()
    unii: str | None = None
    cas: str | None = None
    is_class: bool = False
    members: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    curated: tuple[str, ...] = field(default=(), compare=False, repr=False)  # hand-checked forms
    # per class, the MeSH descriptor that lists it ("D000068677 Sildenafil Citrate"), or "curated"
    class_sources: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_neoplasm(self) -> bool:
        return any(t.startswith("C04") for t in self.tree_numbers)

    def names(self) -> tuple[str, ...]:
        """Preferred name first, then the synonyms (no duplicates)."""
        seen: dict[str, None] = {self.preferred: None}
        for s in self.synonyms:
            seen.setdefault(s, None)
        return tuple(seen)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"i": self.id, "k": self.kind, "p": self.preferred}
        for key, value in (
            ("s", self.synonyms),
            ("db", self.drugbank_id),
            ("m", self.mesh_id),
            ("c", self.classes),
            ("t", self.tree_numbers),
            ("u", self.unii),
            ("cas", self.cas),
            ("x", self.is_class),
            ("mb", self.members),
            ("tg", self.targets),
            ("cu", self.curated),
            ("cs", self.class_sources if any(self.class_sources) else ()),
        ):
            if value:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Concept:
        kind = d.get("k", "other")
        if kind not in KINDS:
            raise ValueError(f"unknown concept kind {kind!r}")
        return cls(
            id=str(d["i"]),
            kind=kind,
            preferred=str(d["p"]),
            synonyms=tuple(d.get("s", ())),
            drugbank_id=d.get("db"),
            mesh_id=d.get("m"),
            classes=tuple(d.get("c", ())),
            tree_numbers=tuple(d.get("t", ())),
            unii=d.get("u"),
            cas=d.get("cas"),
            is_class=bool(d.get("x", False)),
            members=tuple(d.get("mb", ())),
            targets=tuple(d.get("tg", ())),
            curated=tuple(d.get("cu", ())),
            class_sources=tuple(d.get("cs", ())),
        )


@dataclass(frozen=True)
class Mention:
    """A concept named in a text: ``text[start:end] == surface``."""

    concept: Concept
    start: int
    end: int
    surface: str


@dataclass
class LexiconStats:
    concepts: int = 0
    drugs: int = 0
    conditions: int = 0
    targets: int = 0
    other: int = 0
    classes: int = 0
    surface_forms: int = 0
    drugs_linked_to_mesh: int = 0
    mixed_descriptors: int = 0
    dropped_synonyms: int = 0
    file_bytes: int = 0
    seconds: float = 0.0
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------ the lexicon
_Entry = tuple[int, str | None]  # (concept index, case key or None)


class Lexicon:
    """Concepts plus a token n-gram index of their surface forms."""

    def __init__(
        self, concepts: Iterable[Concept], *, source: str = "builtin", meta: dict[str, Any] | None = None
    ):
        self.concepts: Sequence[Concept] = list(concepts)
        self.source = source
        self.meta = meta or {}
        self._pos: dict[str, int] = {}  # concept id -> index in ``concepts``
        self._index: dict[str, list[_Entry]] = {}
        self._first: dict[str, int] = {}  # first token -> longest n-gram starting with it
        self._members: dict[str, set[str]] = {}
        self._classes_of_target: dict[str, set[str]] = {}
        self._direct: dict[str, frozenset[str]] = {}
        self._mention_cache: dict[str, frozenset[str]] = {}
        for i, c in enumerate(self.concepts):
            self._pos[c.id] = i
            for n, name in enumerate(c.names()):
                self._add_surface(i, name, preferred=n == 0)
        self._link_classes()

    # what a compiled copy holds (medref.retrieve.lexicon_cache): everything __init__ works out
    _STATE = ("concepts", "meta", "_pos", "_index", "_first", "_members", "_classes_of_target")

    def _state(self) -> dict[str, Any]:
        return {name.lstrip("_"): getattr(self, name) for name in self._STATE}

    @classmethod
    def _from_state(cls, state: dict[str, Any], *, source: str) -> Lexicon:
        lex = cls.__new__(cls)
        for name in cls._STATE:
            setattr(lex, name, state[name.lstrip("_")])
        lex.source = source
        lex._direct, lex._mention_cache = {}, {}
        return lex

    @property
    def is_builtin(self) -> bool:
        return self.source == "builtin"

    def _add_surface(self, idx: int, surface: str, *, preferred: bool) -> None:
        key = norm_key(surface)
        cs = needs_case(surface, preferred=preferred)
        if not indexable(surface, key, case_sensitive=cs):
            return
        entry = (idx, case_key(surface) if cs else None)
        bucket = self._index.setdefault(key, [])
        if self.concepts[idx].kind == "drug":
            rivals = [e for e in bucket if e[0] != idx and self.concepts[e[0]].kind == "drug"]
            if rivals:  # one form never names two drugs: a preferred name beats a synonym, else first wins
                if not preferred or any(norm_key(self.concepts[e[0]].preferred) == key for e in rivals):
                    return
                bucket[:] = [e for e in bucket if e not in rivals]
        if entry not in bucket:
            bucket.append(entry)
        first, _, _ = key.partition(" ")
        n = key.count(" ") + 1
        if self._first.get(first, 0) < n:
            self._first[first] = n

    def _link_classes(self) -> None:
        by_class_name: dict[str, list[str]] = {}
        for c in self.concepts:
            if c.is_class:
                for name in c.names():
                    by_class_name.setdefault(name.casefold(), []).append(c.id)
                self._members.setdefault(c.id, set()).update(c.members)
                for t in c.targets:
                    self._classes_of_target.setdefault(t, set()).add(c.id)
        for c in self.concepts:
            for cls_name in c.classes:
                for cid in by_class_name.get(cls_name.casefold(), ()):
                    self._members[cid].add(c.id)

    # -- loading / saving
    @classmethod
    def load(cls, path: str | Path | None = None) -> Lexicon:
        """The lexicon at ``path``; the built-in one when ``path`` is None or does not exist.

        A file is read through its compiled copy when one matches it (:mod:`medref.retrieve.lexicon_cache`),
        else read in full and the compiled copy written for the next process."""
        if path is None or not Path(path).exists():
            from medref.retrieve.builtin_lexicon import builtin_concepts

            return cls(builtin_concepts(), source="builtin")
        path = Path(path)
        state = lexicon_cache.read(path)
        if state is not None:
            try:
                return cls._from_state(state, source=str(path))
            except (KeyError, TypeError):  # not what this code writes: read the file itself
                pass
        with lexicon_cache.no_gc():
            lex = cls._read(path)
        lexicon_cache.write(path, lex._state())
        return lex

    @classmethod
    def _read(cls, path: Path) -> Lexicon:
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                header = json.loads(fh.readline() or "{}")
                if header.get("format") != FORMAT or header.get("version") != VERSION:
                    raise IndexNotReadyError(
                        f"{path} is not a medref lexicon (version {VERSION}); {REBUILD_HINT}"
                    )
                concepts = [Concept.from_json(json.loads(line)) for line in fh if line.strip()]
        except IndexNotReadyError:
            raise
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            raise IndexNotReadyError(
                f"the lexicon file {path} is unreadable ({exc}); {REBUILD_HINT}"
            ) from exc
        return cls(concepts, source=str(path), meta=header)

    def save(self, path: str | Path, *, stats: dict[str, Any] | None = None) -> int:
        """Write the lexicon (atomically); returns the file size in bytes."""
        return write_concepts(path, self.concepts, stats=stats)

    # -- lookups
    def get(self, concept_id: str) -> Concept | None:
        i = self._pos.get(concept_id)
        return None if i is None else self.concepts[i]

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    @property
    def surface_form_count(self) -> int:
        return len(self._index)

    def lookup(self, term: str) -> list[Concept]:
        """Concepts whose surface forms equal ``term`` (normalised; case kept for short acronyms)."""
        toks = tokenize(term)
        if not toks:
            return []
        words = [t[0] for t in toks]
        hits = self._match(words, term, toks[0][1], toks[-1][2])
        return [self.concepts[i] for i in hits]

    def _match(self, words: list[str], text: str, start: int, end: int) -> list[int]:
        key = " ".join(words)
        entries = self._index.get(key)
        plural = False
        if entries is None:
            sing = singular(words[-1])
            if sing is None:
                return []
            entries = self._index.get(" ".join([*words[:-1], sing]))
            plural = True
            if entries is None:
                return []
        out: list[int] = []
        ck: str | None = None
        for idx, need in entries:
            if need is not None:
                if plural:
                    continue
                ck = ck if ck is not None else case_key(text[start:end])
                if ck != need:
                    continue
            if idx not in out:
                out.append(idx)
        return out

    def find_mentions(self, text: str) -> list[Mention]:
        """Longest-match, left-to-right, non-overlapping concept mentions in ``text``.

        A span that names several concepts (e.g. a drug and a class of the same name) yields one
        mention per concept, all with the same offsets.
        """
        toks = tokenize(text or "")
        out: list[Mention] = []
        i, n_toks = 0, len(toks)
        while i < n_toks:
            first = toks[i][0]
            sing = singular(first)
            longest = max(self._first.get(first, 0), self._first.get(sing, 0) if sing else 0)
            step = 1
            for n in range(min(longest, n_toks - i), 0, -1):
                if n > 1 and not all(toks[j][3] for j in range(i + 1, i + n)):
                    continue
                start, end = toks[i][1], toks[i + n - 1][2]
                hits = self._match([t[0] for t in toks[i : i + n]], text, start, end)
                if hits:
                    surface = text[start:end]
                    out.extend(Mention(self.concepts[h], start, end, surface) for h in hits)
                    step = n
                    break
            i += step
        return out

    def mentioned_ids(self, text: str) -> frozenset[str]:
        """Ids of the concepts mentioned in ``text`` (cached for repeated directness checks)."""
        got = self._mention_cache.get(text)
        if got is None:
            got = frozenset(m.concept.id for m in self.find_mentions(text))
            if len(self._mention_cache) > 4096:
                self._mention_cache.clear()
            self._mention_cache[text] = got
        return got

    def synonyms(self, concept: Concept) -> set[str]:
        """The preferred name and every synonym of ``concept`` (as stored, not normalised)."""
        return set(concept.names())

    def members(self, concept: Concept) -> set[str]:
        """Ids of the drugs that explicitly belong to a class concept (empty for non-classes)."""
        return set(self._members.get(concept.id, ()))

    def classes_targeting(self, concept: Concept) -> set[str]:
        """Ids of the class concepts whose ``targets`` include ``concept``."""
        return set(self._classes_of_target.get(concept.id, ()))

    def direct_ids(self, concept: Concept) -> frozenset[str]:
        """The concept ids whose mention makes a passage direct evidence for ``concept``.

        * any concept: itself (all its true synonyms map to it);
        * a class: also its explicit members and the targets it acts on;
        * a target: also the classes acting on it (their names contain the target's name).
        A drug never counts for another drug, and a class member never for a sibling member.
        """
        got = self._direct.get(concept.id)
        if got is None:
            ids = {concept.id}
            if concept.is_class:
                ids |= self.members(concept) | set(concept.targets)
            ids |= self.classes_targeting(concept)
            got = frozenset(ids)
            self._direct[concept.id] = got
        return got


def write_concepts(
    path: str | Path, concepts: Iterable[Concept], *, stats: dict[str, Any] | None = None
) -> int:
    """Write concepts in the lexicon file format (atomic rename); returns the size in bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    header = {"format": FORMAT, "version": VERSION, "stats": stats or {}}
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for c in concepts:
            fh.write(json.dumps(c.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
    tmp.replace(path)
    return path.stat().st_size


def build_lexicon(
    drugbank_csv: str | Path,
    mesh_thesaurus_tsv_gz: str | Path,
    mesh_trees_tsv_gz: str | Path,
    pharm_action_tsv: str | Path,
    out_path: str | Path,
    *,
    include_builtin: bool = True,
) -> LexiconStats:
    """Build the DrugBank + MeSH lexicon file; see :mod:`medref.retrieve.lexicon_build`."""
    from medref.retrieve.lexicon_build import build_lexicon as _build

    stats = _build(
        drugbank_csv,
        mesh_thesaurus_tsv_gz,
        mesh_trees_tsv_gz,
        pharm_action_tsv,
        out_path,
        include_builtin=include_builtin,
    )
    Lexicon.load(out_path)  # writes the compiled copy now, so the first search after a build is fast too
    return stats


def build_default(shared_data_dir: Path, out: Path) -> LexiconStats:
    """Build from the standard layout of the shared data folder (drugbank/ and mesh/)."""
    from medref.retrieve.lexicon_build import build_default as _build_default

    stats = _build_default(shared_data_dir, out)
    Lexicon.load(out)  # writes the compiled copy (see build_lexicon)
    return stats
