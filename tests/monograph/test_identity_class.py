"""The drug class field: each MeSH class cites the descriptor that lists it (the drug's own or a salt form's)."""

from __future__ import annotations

from pathlib import Path

from medref.ingest.pipeline import ingest_paths
from medref.monograph import build_monograph
from medref.monograph.identity import codes, drug_class
from medref.monograph.names import DrugMatch, _drug_concepts
from medref.retrieve.lexicon import Concept, Lexicon
from medref.retrieve.lexicon_build import build_default
from medref.retrieve.salts import CURATED_SOURCE
from medref.settings import load_settings
from medref.store.repository import Store
from tests.monograph.conftest import FIXTURES


def _drug(ident: str, name: str, sources: dict[str, str], mesh_id: str | None = None) -> Concept:
    """A drug concept as the full build writes it: class -> the descriptor (or "curated") listing it."""
    return Concept(
        id=ident,
        kind="drug",
        preferred=name,
        drugbank_id=ident,
        mesh_id=mesh_id,
        classes=tuple(sources),
        class_sources=tuple(sources.values()),
    )


SALT = "D000068677 Sildenafil Citrate"  # ids as in DrugBank and MeSH
SILDENAFIL = _drug(
    "DB00203", "Sildenafil", {"Phosphodiesterase 5 Inhibitors": SALT, "Vasodilator Agents": SALT}
)
HALOPERIDOL = _drug("DB00502", "Haloperidol", {"Antipsychotic Agents": "D006220 Haloperidol"}, "D006220")


def _match(c: Concept) -> DrugMatch:
    return DrugMatch(query=c.preferred, preferred=c.preferred, concepts=[c], names=[c.preferred])


def test_a_salt_form_class_cites_the_salt_descriptor_and_the_drug() -> None:
    lx = Lexicon([SILDENAFIL, HALOPERIDOL], source="built")
    d = drug_class(_match(SILDENAFIL), lx)
    assert [q.text for q in d.quotes] == ["Phosphodiesterase 5 Inhibitors", "Vasodilator Agents"]
    for q in d.quotes:
        assert q.source and "D000068677" in q.source and "salt form" in q.source and "DB00203" in q.source
    assert d.note is None
    shown = [q.text for q in codes(_match(SILDENAFIL), None, lx, None).quotes]
    assert "MeSH (salt form Sildenafil Citrate): D000068677" in shown


def test_an_own_descriptor_class_is_not_called_a_salt_form() -> None:
    lx = Lexicon([SILDENAFIL, HALOPERIDOL], source="built")
    d = drug_class(_match(HALOPERIDOL), lx)
    assert d.quotes[0].source and "D006220" in d.quotes[0].source and "salt form" not in d.quotes[0].source
    assert not any("salt form" in q.text for q in codes(_match(HALOPERIDOL), None, lx, None).quotes)


def test_a_salt_named_drug_cites_its_parent_descriptor() -> None:
    c = _drug("DB00588", "Fluticasone propionate", {"Anti-Inflammatory Agents": "D000068298 Fluticasone"})
    lx = Lexicon([c], source="built")
    source = drug_class(_match(c), lx).quotes[0].source
    assert source and "D000068298" in source and "parent" in source and "salt form" not in source
    assert "MeSH (parent drug Fluticasone): D000068298" in [
        q.text for q in codes(_match(c), None, lx, None).quotes
    ]


def test_a_curated_class_is_not_called_mesh() -> None:
    c = _drug("DB06681", "Belatacept", {"Immunosuppressive Agents": CURATED_SOURCE})
    d = drug_class(_match(c), Lexicon([c], source="built"))
    assert d.quotes[0].source and "curated" in d.quotes[0].source and "MeSH" not in d.quotes[0].source


def test_no_class_says_where_it_looked() -> None:
    bare = Concept(id="DB1", kind="drug", preferred="Zorbitan", drugbank_id="DB1")
    d = drug_class(_match(bare), Lexicon([bare], source="built"))
    assert not d.found and d.note and "salt forms" in d.note
    d = drug_class(_match(bare), Lexicon([bare]))
    assert not d.found and d.note and "built-in lexicon" in d.note


def test_a_salt_form_label_gets_the_salt_class(shared_data: Path, tmp_path: Path) -> None:
    """An illustrative label whose generic name is a salt (sildenafil citrate), with the full lexicon."""
    build_default(shared_data, tmp_path / "lexicon.jsonl.gz")
    lexicon = Lexicon.load(tmp_path / "lexicon.jsonl.gz")
    settings = load_settings(data_dir=tmp_path)
    store = Store.open(settings.url)
    try:
        assert ingest_paths(store, [FIXTURES / "spl_examplafil.xml"]).ok
        m = build_monograph("Examplafil", store=store, retriever=None, lexicon=lexicon)
    finally:
        store.close()
    assert m.label is not None
    cls = m.field("drug_class")
    assert cls is not None and "Phosphodiesterase 5 Inhibitors" in [v.text for v in cls.values]
    for v in cls.values:
        assert v.source and "D000068677" in v.source and "DB00203" in v.source


def test_a_salt_named_drug_is_not_joined_by_its_parent() -> None:
    salt = Concept(id="DB00588", kind="drug", preferred="Fluticasone propionate", drugbank_id="DB00588")
    parent = Concept(id="DB13867", kind="drug", preferred="Fluticasone", drugbank_id="DB13867")
    lx = Lexicon([salt, parent], source="built")
    assert [c.id for c in _drug_concepts(lx, "fluticasone propionate")] == ["DB00588"]
    assert [c.id for c in _drug_concepts(lx, "fluticasone furoate")] == ["DB13867"]  # by the parent name
