"""The compiled copy of a lexicon file: same lexicon, faster load, never stale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from medref import compiled
from medref.retrieve import lexicon_cache
from medref.retrieve.builtin_lexicon import builtin_concepts
from medref.retrieve.lexicon import Concept, Lexicon, build_lexicon, write_concepts

TEXT = (
    "Belatacept (LEA29Y) and abatacept are CTLA4-Ig fusion proteins; CD40 ligand blockers and "
    "tacrolimus were compared in kidney transplant recipients with SLE."
)


def _snapshot(lx: Lexicon) -> dict[str, object]:
    """What a loaded lexicon answers, to compare two loads of the same file."""
    concepts = list(lx)
    return {
        "concepts": [(c, c.curated, c.class_sources) for c in concepts],
        "mentions": [(m.surface, m.start, m.end, m.concept) for m in lx.find_mentions(TEXT)],
        "lookups": {t: lx.lookup(t) for t in ("belatacept", "LEA29Y", "abatacept", "SLE", "sle")},
        "get": [lx.get(c.id) for c in concepts],
        "members": {c.id: lx.members(c) for c in concepts if c.is_class},
        "targeting": {c.id: lx.classes_targeting(c) for c in concepts},
        "direct": {c.id: lx.direct_ids(c) for c in concepts},
        "meta": lx.meta,
        "size": (len(lx), lx.surface_form_count),
    }


@pytest.fixture()
def lexicon_file(tmp_path: Path) -> Path:
    path = tmp_path / "lexicon.jsonl.gz"
    write_concepts(path, builtin_concepts(), stats={"concepts": len(builtin_concepts())})
    return path


def test_second_load_reads_the_compiled_copy_and_answers_the_same(lexicon_file: Path) -> None:
    first = Lexicon.load(lexicon_file)
    compiled = lexicon_cache.cache_path(lexicon_file)
    assert compiled.is_file()
    assert isinstance(first.concepts, list)  # read from the file itself
    second = Lexicon.load(lexicon_file)
    assert isinstance(second.concepts, lexicon_cache.LazyConcepts)
    assert second.source == first.source == str(lexicon_file)
    assert _snapshot(second) == _snapshot(first)
    assert second.get("no-such-concept") is None
    assert second.concepts[-1] is second.concepts[len(second) - 1]  # each concept made once
    assert second.concepts[:2] == list(first.concepts[:2])


def test_a_changed_lexicon_file_is_read_again(lexicon_file: Path) -> None:
    Lexicon.load(lexicon_file)
    extra = Concept(id="test:zorblimab", kind="drug", preferred="zorblimab", synonyms=("ZRB-001",))
    write_concepts(lexicon_file, [*builtin_concepts(), extra])
    st = lexicon_file.stat()
    os.utime(lexicon_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    reloaded = Lexicon.load(lexicon_file)
    assert isinstance(reloaded.concepts, list)  # the stale compiled copy was not used
    assert [c.id for c in reloaded.lookup("ZRB-001")] == ["test:zorblimab"]
    again = Lexicon.load(lexicon_file)
    assert isinstance(again.concepts, lexicon_cache.LazyConcepts)
    assert [c.id for c in again.lookup("zorblimab")] == ["test:zorblimab"]


@pytest.mark.parametrize("content", [b"", b"\x00\x00", b"\x05\x00\x00\x00garbage-not-marshal", b"\xff" * 64])
def test_a_damaged_compiled_copy_is_ignored_and_replaced(lexicon_file: Path, content: bytes) -> None:
    expected = _snapshot(Lexicon.load(lexicon_file))
    lexicon_cache.cache_path(lexicon_file).write_bytes(content)
    lx = Lexicon.load(lexicon_file)
    assert isinstance(lx.concepts, list)
    assert _snapshot(lx) == expected
    assert isinstance(Lexicon.load(lexicon_file).concepts, lexicon_cache.LazyConcepts)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_a_folder_that_cannot_be_written_still_loads(lexicon_file: Path) -> None:
    lexicon_file.parent.chmod(0o555)
    try:
        lx = Lexicon.load(lexicon_file)
    finally:
        lexicon_file.parent.chmod(0o755)
    assert not lexicon_cache.cache_path(lexicon_file).exists()
    assert len(lx) == len(builtin_concepts())


def test_write_failure_is_not_an_error(lexicon_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(compiled.tempfile, "mkstemp", refuse)
    lx = Lexicon.load(lexicon_file)
    assert lexicon_cache.write(lexicon_file, lx._state()) is None
    assert not lexicon_cache.cache_path(lexicon_file).exists()
    assert not list(lexicon_file.parent.glob("*.part"))


def test_building_a_lexicon_writes_its_compiled_copy(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    lex = FIXTURES / "lexicon"
    out = tmp_path / "lexicon.jsonl.gz"
    build_lexicon(
        lex / "drugbank_vocabulary.csv",
        lex / "mesh_thesaurus.tsv",
        lex / "mesh_trees.tsv",
        lex / "pharm_action.tsv",
        out,
        include_builtin=False,
    )
    assert lexicon_cache.cache_path(out).is_file()
    loaded = Lexicon.load(out)
    assert isinstance(loaded.concepts, lexicon_cache.LazyConcepts)
    assert _snapshot(loaded) == _snapshot(Lexicon._read(out))


def test_a_compiled_copy_with_a_matching_key_but_missing_parts_is_not_used(lexicon_file: Path) -> None:
    expected = _snapshot(Lexicon.load(lexicon_file))
    state = lexicon_cache.read(lexicon_file)
    assert state is not None
    rows = [lexicon_cache._concept_row(c) for c in state.pop("concepts")]
    del state["index"]
    compiled.write(lexicon_file, lexicon_cache.TAG, lexicon_cache._code(), {**state, "rows": rows})
    lx = Lexicon.load(lexicon_file)
    assert isinstance(lx.concepts, list) and _snapshot(lx) == expected
