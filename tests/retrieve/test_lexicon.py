"""The concept lexicon: normalisation, matching, the built-in lexicon and the DrugBank + MeSH builder."""

from __future__ import annotations

import gzip
import shutil
import time
from pathlib import Path

import pytest

from medref.errors import IndexNotReadyError, InputError, ParseError
from medref.retrieve.builtin_lexicon import builtin_concepts
from medref.retrieve.lexicon import (
    Concept,
    Lexicon,
    LexiconStats,
    build_default,
    build_lexicon,
    case_key,
    needs_case,
    norm_key,
    singular,
    tokenize,
)
from medref.retrieve.lexicon_build import keep_synonym, uninvert
from tests.conftest import FIXTURES, SHARED_DATA

LEX = FIXTURES / "lexicon"


def ids(lexicon: Lexicon, term: str) -> list[str]:
    return [c.id for c in lexicon.lookup(term)]


def mentioned(lexicon: Lexicon, text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.concept.id) for m in lexicon.find_mentions(text)]


def build_fixture(out: Path, *, include_builtin: bool, gz: bool = False) -> LexiconStats:
    thesaurus, trees = LEX / "mesh_thesaurus.tsv", LEX / "mesh_trees.tsv"
    if gz:
        for src in (thesaurus, trees):
            with src.open("rb") as fin, gzip.open(out.parent / (src.name + ".gz"), "wb") as fout:
                shutil.copyfileobj(fin, fout)
        thesaurus, trees = out.parent / "mesh_thesaurus.tsv.gz", out.parent / "mesh_trees.tsv.gz"
    return build_lexicon(
        LEX / "drugbank_vocabulary.csv",
        thesaurus,
        trees,
        LEX / "pharm_action.tsv",
        out,
        include_builtin=include_builtin,
    )


@pytest.fixture(scope="module")
def builtin() -> Lexicon:
    return Lexicon.load(None)


@pytest.fixture(scope="module")
def raw_fixture_lexicon(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    """Built from the fixtures alone: shows what the builder's rules do without curated help."""
    out = tmp_path_factory.mktemp("lex-raw") / "lexicon.jsonl.gz"
    build_fixture(out, include_builtin=False)
    return Lexicon.load(out)


@pytest.fixture(scope="module")
def fixture_lexicon(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    out = tmp_path_factory.mktemp("lex-full") / "lexicon.jsonl.gz"
    build_fixture(out, include_builtin=True)
    return Lexicon.load(out)


# ------------------------------------------------------------------ normalisation
@pytest.mark.parametrize(
    "a, b",
    [
        ("CD40-ligand", "cd40 Ligand"),
        ("CD40L", "CD40-L"),
        ("CTLA4-Ig", "CTLA-4 Ig"),
        ("TNF-α", "TNF alpha"),
        ("TNFα", "tnf-alpha"),
        ("Sjögren's syndrome", "Sjogren syndrome"),
        ("Hu\u200bmira", "HUMIRA"),
        ("ab\u00adatacept", "abatacept"),
        ("ＣＤ４０Ｌ", "CD40L"),
        ("Crohn’s disease", "Crohn disease"),
    ],
)
def test_norm_key_folds_spelling_variants(a: str, b: str) -> None:
    assert norm_key(a) == norm_key(b)
    assert norm_key(a)


def test_norm_key_keeps_different_words_apart() -> None:
    assert norm_key("CD40") != norm_key("CD40L")
    assert norm_key("belatacept") != norm_key("abatacept")


def test_tokenize_offsets_point_into_the_original_text() -> None:
    text = "Ｈｕｍｉｒａ\u200b and Sjögren’s syndrome, then TNF-α."
    for tok, start, end, _ in tokenize(text):
        assert norm_key(text[start:end]).replace(" ", "") == tok or tok in ("alpha",)
    assert [t[0] for t in tokenize(text)][:2] == ["humira", "and"]


def test_tokenize_marks_phrase_breaks() -> None:
    joins = {t[0]: t[3] for t in tokenize("CD40. Ligand, and CD40-L")}
    assert joins["ligand"] is False  # a full stop separates it from "cd"
    assert joins["and"] is True  # a comma does not
    assert joins["l"] is True


def test_case_rules() -> None:
    assert needs_case("SLE") and needs_case("ITP") and needs_case("CsA")
    assert needs_case("MONITOR") and not needs_case("MONITOR", preferred=True)
    assert not needs_case("CD40L")  # digits make it distinctive
    assert not needs_case("Humira") and not needs_case("urea", preferred=True)
    assert case_key("Sle") != case_key("SLE")


def test_singular() -> None:
    assert singular("blockers") == "blocker"
    assert singular("antibodies") == "antibody"
    assert singular("tacrolimus") is None and singular("sepsis") is None and singular("class") is None
    assert singular("has") is None


# ------------------------------------------------------------------ built-in lexicon
def test_load_without_a_file_gives_the_builtin(tmp_path: Path) -> None:
    assert Lexicon.load(None).is_builtin
    lx = Lexicon.load(tmp_path / "missing.jsonl.gz")
    assert lx.is_builtin and lx.source == "builtin"
    assert len(lx) == len(builtin_concepts()) >= 40


@pytest.mark.parametrize(
    "term, concept_id, kind",
    [
        ("CD40 ligand", "D023201", "target"),
        ("CD40L", "D023201", "target"),
        ("CD154", "D023201", "target"),
        ("CD40LG", "D023201", "target"),
        ("TNFSF5", "D023201", "target"),
        ("gp39", "D023201", "target"),
        ("letolizumab", "DB19072", "drug"),
        ("dapirolizumab pegol", "DB16131", "drug"),
        ("DZP", "DB16131", "drug"),
        ("CDP7657", "DB16131", "drug"),
        ("ruplizumab", "DB06475", "drug"),
        ("hu5c8", "DB06475", "drug"),
        ("belatacept", "DB06681", "drug"),
        ("LEA29Y", "DB06681", "drug"),
        ("Nulojix", "DB06681", "drug"),
        ("abatacept", "DB01281", "drug"),
        ("CTLA4-Ig", "DB01281", "drug"),
        ("Orencia", "DB01281", "drug"),
        ("Humira", "DB00051", "drug"),
        ("Lipitor", "DB01076", "drug"),
        ("tacrolimus", "DB00864", "drug"),
        ("ciclosporin", "DB00091", "drug"),
        ("methotrexate", "DB00563", "drug"),
        ("dextromethorphan", "DB00514", "drug"),
        ("guaifenesin", "DB00874", "drug"),
        ("renal transplantation", "D016030", "condition"),
        ("SLE", "D008180", "condition"),
        ("RA", "D001172", "condition"),
        ("ITP", "D016553", "condition"),
        ("PTLD", "medref:ptld", "condition"),
        ("EBV", "D004854", "other"),
        ("anti-CD40L antibodies", "medref:cd40l-blockers", "other"),
    ],
)
def test_builtin_lookup(builtin: Lexicon, term: str, concept_id: str, kind: str) -> None:
    found = builtin.lookup(term)
    assert [c.id for c in found] == [concept_id]
    assert found[0].kind == kind


def test_builtin_keeps_belatacept_and_abatacept_apart(builtin: Lexicon) -> None:
    bela, aba = builtin.get("DB06681"), builtin.get("DB01281")
    assert bela is not None and aba is not None and bela != aba
    assert not {norm_key(s) for s in builtin.synonyms(bela)} & {norm_key(s) for s in builtin.synonyms(aba)}


def test_builtin_class_membership(builtin: Lexicon) -> None:
    cls = builtin.get("medref:cd40l-blockers")
    assert cls is not None and cls.is_class and cls.targets == ("D023201",)
    assert {"DB19072", "DB16131", "DB06475"} <= builtin.members(cls)
    assert "DB06681" not in builtin.members(cls)  # belatacept blocks CD80/86, not CD40L
    tnf = builtin.get("D000079424")
    assert tnf is not None and "DB00051" in builtin.members(tnf)
    target = builtin.get("D023201")
    assert target is not None and builtin.classes_targeting(target) == {"medref:cd40l-blockers"}


def test_find_mentions_longest_match_and_variants(builtin: Lexicon) -> None:
    text = "Anti-CD40L antibodies such as dapirolizumab pegol (DZP) differ from CD40-ligand itself and CD40 blockers."
    got = mentioned(builtin, text)
    assert got == [
        ("Anti-CD40L antibodies", "medref:cd40l-blockers"),
        ("dapirolizumab pegol", "DB16131"),
        ("DZP", "DB16131"),
        ("CD40-ligand", "D023201"),
        ("CD40 blockers", "medref:cd40-blockers"),
    ]
    for m in builtin.find_mentions(text):
        assert text[m.start : m.end] == m.surface


def test_find_mentions_word_boundaries_and_case(builtin: Lexicon) -> None:
    assert mentioned(builtin, "soluble sCD40L levels") == []  # no match inside a word
    assert mentioned(builtin, "all patients sle") == []  # short acronyms keep their case
    assert mentioned(builtin, "ALL patients with SLE") == [("SLE", "D008180")]
    assert mentioned(builtin, "CD40. Ligand binding") == [("CD40", "D019013")]
    assert mentioned(builtin, "Statins and CD40L blockers") == [
        ("Statins", "D019161"),
        ("CD40L blockers", "medref:cd40l-blockers"),
    ]


def test_find_mentions_offsets_with_unicode(builtin: Lexicon) -> None:
    text = "ＰＴＬＤ after Ｎｕｌｏｊｉｘ\u200b; Sjögren’s syndrome; TNF-α inhibitors"
    ms = builtin.find_mentions(text)
    assert [m.concept.id for m in ms] == ["medref:ptld", "DB06681", "D012859", "D000079424"]
    for m in ms:
        assert text[m.start : m.end] == m.surface


@pytest.mark.parametrize(
    "text", ["", "   ", "\x00\x01\u200b", '"*():^~[]{}', "🙂" * 50, "\ud800 lone surrogate"]
)
def test_find_mentions_odd_input(builtin: Lexicon, text: str) -> None:
    assert builtin.find_mentions(text) == [] or all(m.start < m.end for m in builtin.find_mentions(text))
    assert builtin.lookup(text) == []


def test_find_mentions_is_fast_on_long_text(builtin: Lexicon) -> None:
    text = "Belatacept after kidney transplantation was compared with tacrolimus. " * 1500  # ~100k chars
    t0 = time.perf_counter()
    ms = builtin.find_mentions(text)
    assert time.perf_counter() - t0 < 5
    assert len(ms) == 4500


def test_save_and_load_roundtrip(builtin: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "lex.jsonl.gz"
    size = builtin.save(path)
    assert size == path.stat().st_size > 0
    again = Lexicon.load(path)
    assert not again.is_builtin
    assert [c.id for c in again] == [c.id for c in builtin]
    assert again.get("DB06681") == builtin.get("DB06681")
    assert ids(again, "LEA29Y") == ["DB06681"]


def test_load_refuses_a_corrupt_or_foreign_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(IndexNotReadyError, match="lexicon build"):
        Lexicon.load(bad)
    foreign = tmp_path / "foreign.jsonl.gz"
    with gzip.open(foreign, "wt") as fh:
        fh.write('{"format": "something-else"}\n')
    with pytest.raises(IndexNotReadyError, match="not a medref lexicon"):
        Lexicon.load(foreign)


# ------------------------------------------------------------------ the builder, on fixtures
def test_synonym_filter_and_uninvert() -> None:
    assert keep_synonym("Humira") and keep_synonym("LEA29Y")
    assert not keep_synonym("Ab") and not keep_synonym("12345") and not keep_synonym("123-45")
    assert not keep_synonym("x" * 61)
    assert uninvert("Lymphoma, Large B-Cell, Diffuse") == "Diffuse Large B-Cell Lymphoma"
    assert uninvert("Arthritis, Rheumatoid") == "Rheumatoid Arthritis"
    assert uninvert("Lymphoma") is None


def test_builder_never_merges_belatacept_into_abatacept(raw_fixture_lexicon: Lexicon) -> None:
    lx = raw_fixture_lexicon
    assert not lx.is_builtin
    assert ids(lx, "Belatacept") == ["DB06681"]
    assert ids(lx, "Abatacept") == ["DB01281"]
    # MeSH files these under Abatacept; the descriptor names another drug, so none are trusted
    for term in ("LEA29Y", "Nulojix", "BMS-224818", "Orencia", "CTLA4-Ig"):
        assert "DB01281" not in ids(lx, term), term
    aba = lx.get("DB01281")
    assert aba is not None and aba.mesh_id == "D000069594"
    assert "Belatacept" not in aba.synonyms


def test_builder_links_and_adds_trusted_mesh_terms(raw_fixture_lexicon: Lexicon) -> None:
    lx = raw_fixture_lexicon
    assert ids(lx, "Humira") == ["DB00051"]  # trade name from a descriptor that names no other drug
    assert ids(lx, "Lipitor") == ["DB01076"]
    assert ids(lx, "Easprin") == ["DB00945"]  # linked through the DrugBank synonym "Aspirin"
    ada = lx.get("DB00051")
    assert ada is not None and ada.classes == ("Antirheumatic Agents", "Tumor Necrosis Factor Inhibitors")
    assert ids(lx, "Cellcept") == []  # Mycophenolic Acid files Mycophenolate Mofetil: mixed
    assert ids(lx, "Mycophenolate Mofetil") == ["DB00688"]


def test_builder_filters_synonyms(raw_fixture_lexicon: Lexicon) -> None:
    lx = raw_fixture_lexicon
    ada = lx.get("DB00051")
    assert ada is not None
    assert "12345" not in ada.synonyms and "Ab" not in ada.synonyms
    assert all(len(s) <= 60 for s in ada.synonyms)
    assert ids(lx, "ASA") == []  # 2-3 letter capitals naming a drug are dropped
    assert ids(lx, "blood") == [] and ids(lx, "Whole Blood") == ["DB28492"]
    assert ids(lx, "monitor") == [] and ids(lx, "MONITOR") == ["DB14972"]
    assert ids(lx, "Aurothiosulfate sodium") == []  # a synonym of two drugs names neither
    assert ids(lx, "Sodium aurotiosulfate") == ["DB13743"]


def test_builder_conditions_and_classes(raw_fixture_lexicon: Lexicon) -> None:
    lx = raw_fixture_lexicon
    ra = lx.get("D001172")
    assert ra is not None and ra.kind == "condition" and ra.preferred == "Rheumatoid Arthritis"
    assert ids(lx, "Arthritis, Rheumatoid") == ["D001172"]
    lymphoma = lx.get("D008223")
    assert lymphoma is not None and lymphoma.is_neoplasm and "C04.557.386" in lymphoma.tree_numbers
    assert ids(lx, "Unipolar depression") == ["D003866"]  # F03 mental disorders are conditions
    assert ids(lx, "Kidney Transplantation") == []  # E04 is a procedure, not a condition
    assert lx.get("D004194") is None  # the generic "Disease" descriptor is noise
    assert ids(lx, "Rheumatoid Arthritides") == []  # permuted terms are skipped
    statins = lx.get("D019161")
    assert statins is not None and statins.is_class and statins.kind == "other"
    assert lx.members(statins) == {"DB01076"}
    antirheumatic = lx.get("D018501")
    assert antirheumatic is not None and lx.members(antirheumatic) == {"DB00051", "DB01281"}


def test_builder_merges_curated_concepts(fixture_lexicon: Lexicon) -> None:
    lx = fixture_lexicon
    assert ids(lx, "LEA29Y") == ["DB06681"]
    assert ids(lx, "Nulojix") == ["DB06681"]
    assert ids(lx, "Orencia") == ["DB01281"]
    assert ids(lx, "anti-CD40L") == ["medref:cd40l-blockers"]  # curated form beats a DrugBank synonym
    tora = lx.get("DB16384")
    assert tora is not None and "Anti-CD40L" not in tora.synonyms
    assert ids(lx, "CD154") == ["D023201"]
    ra = lx.get("D001172")
    assert ra is not None and ra.preferred == "Rheumatoid arthritis" and "RA" in ra.synonyms
    assert ids(lx, "Rheumatoid Arthritis") == ["D001172"]


def test_builder_reads_gzip_and_plain_alike(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = build_fixture(tmp_path / "a" / "lex.jsonl.gz", include_builtin=False)
    zipped = build_fixture(tmp_path / "b" / "lex.jsonl.gz", include_builtin=False, gz=True)
    assert plain.concepts == zipped.concepts > 10
    assert plain.surface_forms == zipped.surface_forms
    assert plain.file_bytes == (tmp_path / "a" / "lex.jsonl.gz").stat().st_size


def test_builder_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        build_lexicon(
            tmp_path / "nope.csv",
            LEX / "mesh_thesaurus.tsv",
            LEX / "mesh_trees.tsv",
            LEX / "pharm_action.tsv",
            tmp_path / "out.jsonl.gz",
        )
    bad = tmp_path / "drugbank.csv"
    bad.write_text("id,name\nDB1,Thing\n", encoding="utf-8")
    with pytest.raises(ParseError, match="Common name") as err:
        build_lexicon(
            bad,
            LEX / "mesh_thesaurus.tsv",
            LEX / "mesh_trees.tsv",
            LEX / "pharm_action.tsv",
            tmp_path / "out.jsonl.gz",
        )
    assert err.value.path == str(bad)
    assert not (tmp_path / "out.jsonl.gz").exists()


# ------------------------------------------------------------------ the real data
_REAL: dict[bool, tuple[Lexicon, LexiconStats]] = {}


def real_lexicon(
    tmp_path_factory: pytest.TempPathFactory, *, include_builtin: bool = True
) -> tuple[Lexicon, LexiconStats]:
    """Build the real lexicon once per session (per variant); skips when ../shared/data is absent."""
    if not (SHARED_DATA / "drugbank").is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    if include_builtin not in _REAL:
        out = tmp_path_factory.mktemp("real-lexicon") / "lexicon.jsonl.gz"
        if include_builtin:
            stats = build_default(SHARED_DATA, out)
        else:
            d, m = SHARED_DATA / "drugbank", SHARED_DATA / "mesh"
            stats = build_lexicon(
                d / "drugbank_vocabulary.csv",
                m / "data_mesh_thesaurus.tsv.gz",
                m / "data_mesh_trees.tsv.gz",
                m / "data_pharm_action.tsv",
                out,
                include_builtin=False,
            )
        _REAL[include_builtin] = (Lexicon.load(out), stats)
    return _REAL[include_builtin]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lexicon, LexiconStats]:
    return real_lexicon(tmp_path_factory)


@pytest.mark.shared_data
def test_real_build_size_and_time(shared_data: Path, real: tuple[Lexicon, LexiconStats]) -> None:
    lx, stats = real
    assert stats.drugs >= 19_000 and stats.conditions >= 4_000 and stats.classes >= 400
    assert stats.surface_forms >= 60_000 and lx.surface_form_count >= 60_000
    assert stats.file_bytes < 15 * 1024 * 1024
    assert stats.seconds < 120
    assert lx.meta["stats"]["concepts"] == stats.concepts == len(lx)


@pytest.mark.shared_data
def test_real_belatacept_and_abatacept_stay_apart(
    shared_data: Path, real: tuple[Lexicon, LexiconStats]
) -> None:
    lx, _ = real
    assert ids(lx, "belatacept") == ["DB06681"]
    assert ids(lx, "abatacept") == ["DB01281"]
    assert ids(lx, "LEA29Y") == ["DB06681"]
    aba = lx.get("DB01281")
    assert aba is not None
    assert not {norm_key(s) for s in aba.names()} & {"belatacept", "lea 29 y", "nulojix", "bms 224818"}


@pytest.mark.shared_data
def test_real_builder_rule_without_curated_help(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    lx, _ = real_lexicon(tmp_path_factory, include_builtin=False)
    assert ids(lx, "LEA29Y") == []  # never abatacept
    assert ids(lx, "Belatacept") == ["DB06681"]
    assert ids(lx, "Humira") == ["DB00051"]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "term, concept_id",
    [
        ("CD154", "D023201"),
        ("Humira", "DB00051"),
        ("Lipitor", "DB01076"),
        ("Orencia", "DB01281"),
        ("rheumatoid arthritis", "D001172"),
        ("Lymphoma", "D008223"),
        ("anti-CD40L", "medref:cd40l-blockers"),
    ],
)
def test_real_lookups(
    shared_data: Path, real: tuple[Lexicon, LexiconStats], term: str, concept_id: str
) -> None:
    lx, _ = real
    assert ids(lx, term) == [concept_id]


@pytest.mark.shared_data
def test_real_conditions_and_neoplasms(shared_data: Path, real: tuple[Lexicon, LexiconStats]) -> None:
    lx, _ = real
    text = "Patients with rheumatoid arthritis and diffuse large B-cell lymphoma were given Humira."
    got = {m.concept.id for m in lx.find_mentions(text)}
    assert {"D001172", "DB00051"} <= got
    lymphoma = lx.get("D008223")
    assert lymphoma is not None and lymphoma.is_neoplasm
    dlbcl = [c for c in lx.lookup("diffuse large B-cell lymphoma") if c.kind == "condition"]
    assert dlbcl and all(c.is_neoplasm for c in dlbcl)


@pytest.mark.shared_data
def test_real_no_surface_names_two_drugs(shared_data: Path, real: tuple[Lexicon, LexiconStats]) -> None:
    lx, _ = real
    shared: list[tuple[str, list[str]]] = []
    for c in lx:
        if c.kind != "drug":
            continue
        for s in c.synonyms:
            drugs = [d.id for d in lx.lookup(s) if d.kind == "drug"]
            if len(drugs) > 1:
                shared.append((s, drugs))
    assert shared == []


def test_concept_json_roundtrip() -> None:
    c = Concept(id="x", kind="drug", preferred="X", synonyms=("Y",), classes=("Z",), is_class=False)
    assert Concept.from_json(c.to_json()) == c
    with pytest.raises(ValueError):
        Concept.from_json({"i": "x", "k": "spaceship", "p": "X"})
