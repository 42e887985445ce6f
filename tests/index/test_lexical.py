"""Lexical backends: the LexicalIndex contract, run against every registered backend."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.errors import ConfigError, IndexNotReadyError, MedrefError
from medref.index.base import IndexedPassage, LexicalIndex, LexicalQuery
from medref.index.factory import DEFAULT_LEXICAL, LEXICAL, make_lexical
from medref.index.lexical_fts5 import match_string
from medref.index.textnorm import analyze

BACKENDS = sorted(LEXICAL)

CORPUS = [
    IndexedPassage(
        1,
        "Recurrent urinary tract infections in older women were treated with nitrofurantoin.",
        title="Cystitis in later life",
        section="Results",
        kind="pubmed",
    ),
    IndexedPassage(
        2,
        "Serum IL-6 rose within hours of the burn and fell over the following week.",
        title="Cytokines after burns",
        section="Results",
        kind="pubmed",
    ),
    IndexedPassage(
        3,
        "Take one tablet by mouth once daily with water; do not crush.",
        title="Examplor tablets",
        section="Dosage and Administration",
        kind="label",
    ),
    IndexedPassage(
        4,
        "Blocking CD40L reduced antibody titres in the treated mice.",
        title="Costimulation blockade",
        section="Abstract",
        kind="pubmed",
    ),
    IndexedPassage(
        5,
        "Patients with a hip fracture were mobilised on the first day after surgery.",
        title="Early mobilisation",
        section="Methods",
        kind="trial",
        is_current=False,
    ),
    IndexedPassage(6, "The wrist fracture healed well; pain in the hip persisted.", kind="pubmed"),
]


def q(*terms: str, kinds: tuple[str, ...] = (), phrases: tuple[str, ...] = ()) -> LexicalQuery:
    return LexicalQuery(terms=[(t, 1.0) for t in terms], kinds=kinds, phrases=[(p, 1.0) for p in phrases])


def ids(index: LexicalIndex, query: LexicalQuery, k: int = 10) -> list[int]:
    return [h.id for h in index.search(query, k)]


def _built(name: str, folder: Path) -> LexicalIndex:
    ix = make_lexical(name, folder)
    ix.add(CORPUS)
    ix.commit(5)
    return ix


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LexicalIndex]:
    """A fresh index per test, for tests that change it."""
    ix = _built(request.param, tmp_path / "lexical")
    yield ix
    ix.close()


@pytest.fixture(scope="module", params=BACKENDS)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LexicalIndex]:
    """One index per backend for the read-only tests (keeps the module fast)."""
    ix = _built(request.param, tmp_path_factory.mktemp(f"lexical-{request.param}"))
    yield ix
    ix.close()


def test_protocol_and_registry(shared: LexicalIndex) -> None:
    assert isinstance(shared, LexicalIndex)
    assert DEFAULT_LEXICAL in LEXICAL
    assert shared.count() == len(CORPUS)


def test_finds_the_right_passage(shared: LexicalIndex) -> None:
    hits = shared.search(q("nitrofurantoin for urinary infection"), 3)
    assert hits[0].id == 1
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    assert ids(shared, q("CD40L antibody"))[0] == 4
    assert ids(shared, q("hip fracture surgery"))[0] == 5  # non-current passages are still indexed


def test_title_and_section_are_searched(shared: LexicalIndex) -> None:
    assert ids(shared, q("examplor"))[:1] == [3]
    assert ids(shared, q("dosage administration"))[:1] == [3]


def test_stemming_and_hyphen_forms(shared: LexicalIndex) -> None:
    assert ids(shared, q("infection"))[:1] == [1]  # text says "infections"
    assert ids(shared, q("IL6"))[:1] == [2]  # text says "IL-6"
    assert ids(shared, q("interleukin il-6"))[:1] == [2]


def test_upsert_replaces(index: LexicalIndex) -> None:
    index.add([IndexedPassage(1, "Zoster vaccination in adults over fifty.", kind="pubmed")])
    index.add(
        [
            IndexedPassage(9, "first version mentions alpha"),
            IndexedPassage(9, "second version mentions omega"),
        ]
    )
    index.commit(6)
    assert index.count() == len(CORPUS) + 1
    assert 1 not in ids(index, q("nitrofurantoin"))
    assert ids(index, q("zoster")) == [1]
    assert ids(index, q("omega")) == [9]  # a repeated id in one batch: the last copy wins
    assert ids(index, q("alpha")) == []


def test_remove(index: LexicalIndex) -> None:
    index.remove([2, 4, 999])
    index.commit(7)
    assert index.count() == len(CORPUS) - 2
    assert ids(index, q("IL-6 CD40L")) == []
    assert index.watermark == 7


def test_kinds_filter(shared: LexicalIndex) -> None:
    everything = q("tablet mouth patients infections serum")
    assert set(ids(shared, everything)) == {1, 2, 3, 5}
    only_labels = q("tablet mouth patients infections serum", kinds=("label",))
    assert ids(shared, only_labels) == [3]
    assert set(ids(shared, q("tablet patients", kinds=("label", "trial")))) == {3, 5}
    assert ids(shared, q("tablet", kinds=("guideline",))) == []


def test_phrases_boost(shared: LexicalIndex) -> None:
    plain = shared.search(q("hip", "fracture"), 10)
    boosted = shared.search(q("hip", "fracture", phrases=("hip fracture",)), 10)
    assert {h.id for h in plain} >= {5, 6}
    assert boosted[0].id == 5
    gain = {h.id: h.score for h in boosted}
    base = {h.id: h.score for h in plain}
    assert gain[5] - base[5] > gain[6] - base[6]  # only passage 5 has the words as a phrase
    # a multi-word term counts its words anywhere and gets the phrase bonus too
    as_term = {h.id: h.score for h in shared.search(LexicalQuery(terms=[("hip fracture", 1.0)]), 10)}
    assert as_term[5] - base[5] > as_term[6] - base[6]


def test_persistence_and_watermark(tmp_path: Path) -> None:
    for name in BACKENDS:
        folder = tmp_path / name
        ix = make_lexical(name, folder)
        assert ix.watermark == 0 and ix.count() == 0
        ix.add(CORPUS)
        ix.commit(42)
        ix.add([IndexedPassage(77, "uncommitted words vanish")])
        ix.close()
        state = json.loads((folder / "state.json").read_text())
        assert state["watermark"] == 42 and state["backend"] == name
        again = make_lexical(name, folder, create=False)
        reader = make_lexical(name, folder, create=False)  # e.g. the web app, opened before a sync
        try:
            assert again.watermark == 42
            assert again.count() == len(CORPUS)
            assert ids(again, q("nitrofurantoin")) == [1]
            assert ids(again, q("uncommitted vanish")) == []
            again.add([IndexedPassage(78, "added by a sync")])
            again.commit(50)
            assert reader.watermark == 50  # the reader sees the new state file
            again.clear()
            assert again.count() == 0 and again.watermark == 0
        finally:
            again.close()
            reader.close()


def test_missing_index_and_wrong_backend(tmp_path: Path) -> None:
    with pytest.raises(IndexNotReadyError, match="medref index rebuild"):
        make_lexical("tantivy", tmp_path / "nothing", create=False)
    ix = make_lexical("fts5", tmp_path / "shared")
    ix.commit(1)
    ix.close()
    with pytest.raises(IndexNotReadyError, match="fts5"):
        make_lexical("tantivy", tmp_path / "shared")
    with pytest.raises(ConfigError, match="unknown lexical index backend"):
        make_lexical("lucene", tmp_path / "x")


NASTY = [
    '"',
    '""',
    '"unbalanced',
    "*",
    "infect*",
    "():^~[]{}",
    "AND",
    "OR NOT",
    "NOT",
    "-",
    "- -",
    "+-&&||!",
    "title:infection",
    "text : serum",
    "NEAR(a b)",
    "a AND (b OR",
    "\\",
    "'; DROP TABLE passages; --",
    "😀🦠💊",
    "\u200b\u200c\u200d\ufeff",
    "\u202eIL-6\u202c",
    "עברית العربية",
    "ﬁ ligature",
    "Ⅻ",
    "x" * 10_000,
    " ".join(["infections"] * 2_000),
    "\x00\x01\x1f",
    "é\u0301",
    "\ud83d",
]


def test_query_syntax_and_odd_unicode_never_crash(shared: LexicalIndex) -> None:
    for text in NASTY:
        # a nonsense kind filters everything out, whatever the terms
        assert shared.search(LexicalQuery(terms=[(text, 1.0)], phrases=[(text, 2.0)], kinds=(text,)), 5) == []
        hits = shared.search(LexicalQuery(terms=[(text, 1.0), ("serum", 1.0)], phrases=[(text, 1.0)]), 5)
        assert 2 in [h.id for h in hits], text  # the plain word still works next to the odd text


def test_syntax_words_are_plain_words(shared: LexicalIndex) -> None:
    # "NOT" is a stopword here, never an operator: "serum NOT burn" still finds the burn passage.
    assert ids(shared, q("serum NOT burn"))[:1] == [2]
    assert ids(shared, q('serum" OR "zzz'))[:1] == [2]
    assert ids(shared, q("title:cytokines"))[:1] == [2]


def test_empty_queries(shared: LexicalIndex) -> None:
    assert shared.search(LexicalQuery(terms=[]), 10) == []
    assert shared.search(q("", "   ", "the of and"), 10) == []
    assert shared.search(q("serum"), 0) == []
    assert shared.search(LexicalQuery(terms=[("serum", 0.0), ("serum", float("nan"))]), 10) == []


def test_weights_change_the_order(shared: LexicalIndex) -> None:
    if shared.name == "fts5":
        pytest.skip("FTS5 cannot weight single query terms (documented)")
    a = LexicalQuery(terms=[("nitrofurantoin", 1.0), ("CD40L", 5.0)])
    b = LexicalQuery(terms=[("nitrofurantoin", 5.0), ("CD40L", 1.0)])
    assert ids(shared, a)[:2] == [4, 1]
    assert ids(shared, b)[:2] == [1, 4]


def test_analyzer() -> None:
    assert analyze("Infections") == analyze("infection") == ["infect"]
    assert analyze("IL-6") == ["il", "6", "il6"]
    assert analyze("CD40L") == ["cd40l"]
    assert analyze("β-blocker") == analyze("beta-blocker")
    assert analyze("Sjögren") == analyze("Sjogren")
    assert analyze("in\u00adfection") == ["infect"]
    assert analyze("the of and") == []
    for tok in analyze('"*():^~[]{} AND OR NOT - title:x 😀'):
        assert tok.isalnum(), tok
    assert match_string(['a"b'], [["c", "d"]]) == '"a""b" OR "c d"'


def test_second_tantivy_writer_gets_a_clear_error(tmp_path: Path) -> None:
    first = make_lexical("tantivy", tmp_path / "busy")
    second = make_lexical("tantivy", tmp_path / "busy")
    try:
        first.add(CORPUS[:1])
        with pytest.raises(MedrefError, match="another process is writing") as info:
            second.add(CORPUS[1:2])
        assert not isinstance(info.value, IndexNotReadyError)  # busy is not stale: no rebuild
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("name", BACKENDS)
def test_kinds_filter_when_the_kind_ranks_low(name: str, tmp_path: Path) -> None:
    # 48 strong "pubmed" matches bury 12 weak "label" matches: a filter applied after a
    # short unfiltered search would come back short, so the backend must still find 5 labels.
    ix = make_lexical(name, tmp_path / name)
    try:
        ix.add([IndexedPassage(i, "zeta zeta zeta trial", kind="pubmed") for i in range(1, 49)])
        ix.add([IndexedPassage(i, "zeta " + "filler words here " * 20, kind="label") for i in range(49, 61)])
        ix.commit(1)
        hits = ix.search(q("zeta", kinds=("label",)), 5)
        assert len(hits) == 5 and all(49 <= h.id <= 60 for h in hits)
        assert {h.id for h in ix.search(q("zeta", kinds=("pubmed", "label")), 60)} == set(range(1, 61))
    finally:
        ix.close()


def test_older_schema_asks_for_a_rebuild(tmp_path: Path) -> None:
    ix = make_lexical("tantivy", tmp_path / "old")
    ix.commit(3)
    ix.close()
    state = json.loads((tmp_path / "old" / "state.json").read_text())
    del state["schema"]  # as written before the schema was versioned
    (tmp_path / "old" / "state.json").write_text(json.dumps(state))
    with pytest.raises(IndexNotReadyError, match="schema version"):
        make_lexical("tantivy", tmp_path / "old")
