"""Salt-form links in the lexicon build: a drug takes the classes MeSH lists for its salt forms.

The tiny inputs below are rows in the real DrugBank / MeSH file formats, trimmed from the real
files (ids and names as published); the shared-data test checks the same on the full build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.retrieve.lexicon import Concept, Lexicon
from medref.retrieve.lexicon_build import build_default, build_lexicon
from medref.retrieve.lexnorm import norm_key
from medref.retrieve.salts import CURATED_SOURCE, Tables, parent_links, salt_base, salt_links

DRUGBANK = """DrugBank ID,Accession Numbers,Common name,CAS,UNII,Synonyms,Standard InChI Key
DB00203,APRD00556,Sildenafil,139755-83-2,3M7OB98Y7H,Sildenafil | Sildenafilo,
DB00983,,Formoterol,73573-87-2,5ZZ84GCW8B,Formoterol | Formoterolum,
DB01274,,Arformoterol,67346-49-0,F91H02EBWT,Arformoterol | (R, R)-formoterol,
DB09130,,Copper,7440-50-8,789U1901C5,Copper | Cu,
DB01281,,Abatacept,332348-12-6,7D0YB67S97,Abatacept | Orencia,
DB06681,,Belatacept,706808-37-9,F7G3W4Y4RZ,Belatacept | LEA29Y,
DB01076,,Atorvastatin,134523-00-5,A0JWA85V8F,Atorvastatin | atorvastatin calcium,
DB00588,,Fluticasone propionate,80474-14-2,O2GMZ0LF5W,Fluticasone propionate,
DB13867,,Fluticasone,90566-53-3,CUT2W21N7U,Fluticasone,
"""
THESAURUS_HEAD = (
    "DescriptorUI\tDescriptorName\tConceptUI\tTermUI\tTermName\tConceptPreferredTermYN"
    "\tIsPermutedTermYN\tLexicalTag\tRecordPreferredTermYN\n"
)
# (descriptor, name, concept, term, record-preferred)
TERMS = [
    ("D000068677", "Sildenafil Citrate", "M0327633", "Sildenafil Citrate", "Y"),
    ("D000068677", "Sildenafil Citrate", "M0265894", "Sildenafil", "N"),
    ("D000068677", "Sildenafil Citrate", "M0502632", "Homosildenafil", "N"),
    ("D000068677", "Sildenafil Citrate", "M0265892", "Viagra", "N"),
    ("D000068759", "Formoterol Fumarate", "M0000001", "Formoterol Fumarate", "Y"),
    ("D000068759", "Formoterol Fumarate", "M0000002", "Arformoterol", "N"),
    ("D003300", "Copper", "M0005067", "Copper", "Y"),
    ("D019327", "Copper Sulfate", "M0029311", "Copper Sulfate", "Y"),
    ("D000069594", "Abatacept", "M0442852", "Abatacept", "Y"),
    ("D000069594", "Abatacept", "M0498618", "Belatacept", "N"),
    ("D000069594", "Abatacept", "M0498621", "LEA29Y", "N"),
    ("D000069059", "Atorvastatin", "M0000003", "Atorvastatin", "Y"),
    ("D000069059", "Atorvastatin", "M0000003", "Atorvastatin Calcium", "N"),
    ("D000068298", "Fluticasone", "M0000004", "Fluticasone", "Y"),
]
TREES = [
    ("D000068677", "Sildenafil Citrate", "D03.383.606.854"),
    ("D000068759", "Formoterol Fumarate", "D02.033.100.291.425"),
    ("D003300", "Copper", "D01.268.556.195"),
    ("D019327", "Copper Sulfate", "D01.875.800.800.850.150"),
    ("D000069594", "Abatacept", "D12.776.124.790.651.114.580.225"),
    ("D000069059", "Atorvastatin", "D03.383.129.578.075"),
    ("D000068298", "Fluticasone", "D04.210.500.745.432.769.450"),
]
ACTIONS = [
    ("D000068677", "Sildenafil Citrate", "D058986", "Phosphodiesterase 5 Inhibitors"),
    ("D000068677", "Sildenafil Citrate", "D014665", "Vasodilator Agents"),
    ("D000068759", "Formoterol Fumarate", "D058666", "Adrenergic beta-2 Receptor Agonists"),
    ("D019327", "Copper Sulfate", "D004639", "Emetics"),
    ("D000069594", "Abatacept", "D007166", "Immunosuppressive Agents"),
    ("D000069059", "Atorvastatin", "D019161", "Hydroxymethylglutaryl-CoA Reductase Inhibitors"),
    ("D000068298", "Fluticasone", "D000893", "Anti-Inflammatory Agents"),
]


def _write(tmp: Path) -> list[Path]:
    files = [tmp / n for n in ("drugbank.csv", "thesaurus.tsv", "trees.tsv", "actions.tsv")]
    files[0].write_text(DRUGBANK, encoding="utf-8")
    rows = [f"{d}\t{n}\t{c}\tT{i}\t{t}\tY\tN\tNON\t{p}\n" for i, (d, n, c, t, p) in enumerate(TERMS)]
    files[1].write_text(THESAURUS_HEAD + "".join(rows), encoding="utf-8")
    files[2].write_text(
        "DescriptorUI\tDescriptorName\ttree_location\n" + "".join(f"{d}\t{n}\t{t}\n" for d, n, t in TREES),
        encoding="utf-8",
    )
    files[3].write_text(
        "DescriptorUI\tDescriptorName\tPharmActionUI\tPharmActionName\n"
        + "".join("\t".join(r) + "\n" for r in ACTIONS),
        encoding="utf-8",
    )
    return files


@pytest.fixture(scope="module")
def salted(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    tmp = tmp_path_factory.mktemp("salts")
    db, thesaurus, trees, actions = _write(tmp)
    build_lexicon(db, thesaurus, trees, actions, tmp / "lex.jsonl.gz", include_builtin=False)
    return Lexicon.load(tmp / "lex.jsonl.gz")


def _drug(lx: Lexicon, name: str) -> Concept:
    found = [c for c in lx.lookup(name) if c.kind == "drug"]
    assert len(found) == 1, (name, found)
    return found[0]


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("Sildenafil Citrate", "sildenafil"),
        ("Vardenafil Dihydrochloride", "vardenafil"),
        ("Olmesartan Medoxomil", "olmesartan"),
        ("Rosuvastatin Calcium", "rosuvastatin"),
        ("Calcium Chloride", None),  # only salt words would be left
        ("Sildenafil", None),  # no salt word
        ("Sodium Dodecyl Sulfate", "sodium dodecyl"),
    ],
)
def test_salt_base(name: str, base: str | None) -> None:
    assert salt_base(name) == base


def test_a_drug_takes_the_classes_of_its_salt_descriptor(salted: Lexicon) -> None:
    c = _drug(salted, "sildenafil")
    assert c.drugbank_id == "DB00203" and c.mesh_id is None  # not merged into the descriptor
    assert set(c.classes) == {"Phosphodiesterase 5 Inhibitors", "Vasodilator Agents"}
    assert set(c.class_sources) == {"D000068677 Sildenafil Citrate"}
    assert "Viagra" not in c.names() and "Homosildenafil" not in c.names()  # no terms of the salt descriptor
    assert salted.lookup("Homosildenafil") == []


def test_a_salt_descriptor_never_gives_its_class_to_another_drug(salted: Lexicon) -> None:
    formoterol, arformoterol = _drug(salted, "formoterol"), _drug(salted, "arformoterol")
    assert formoterol.classes == ("Adrenergic beta-2 Receptor Agonists",)
    assert arformoterol.classes == ()  # an entry term of Formoterol Fumarate, but another drug
    belatacept, abatacept = _drug(salted, "LEA29Y"), _drug(salted, "abatacept")
    assert belatacept.id == "DB06681" != abatacept.id
    assert belatacept.classes == () and abatacept.classes == ("Immunosuppressive Agents",)


def test_a_salt_of_an_element_is_another_chemical(salted: Lexicon) -> None:
    assert "Emetics" not in _drug(salted, "copper").classes


def test_a_drug_with_its_own_descriptor_keeps_it_as_the_source(salted: Lexicon) -> None:
    c = _drug(salted, "atorvastatin")
    assert c.mesh_id == "D000069059"
    assert c.class_sources == ("D000069059 Atorvastatin",)


def test_a_salt_named_drug_takes_the_classes_of_its_parent(salted: Lexicon) -> None:
    salt, parent = _drug(salted, "Fluticasone propionate"), _drug(salted, "fluticasone")
    assert salt.id == "DB00588" != parent.id  # two DrugBank drugs, kept apart
    assert parent.mesh_id == "D000068298" and salt.mesh_id is None
    assert salt.classes == parent.classes == ("Anti-Inflammatory Agents",)
    assert salt.class_sources == ("D000068298 Fluticasone",)


def test_parent_links_on_plain_tables() -> None:
    names = {"D1": "Estradiol", "D2": "Adenosine"}
    trees = {"D1": ["D04.1"], "D2": ["D03.1"]}
    drugs: dict[str, tuple[str, list[str]]] = {
        "DB1": ("Estradiol valerate", []),
        "DB2": ("Adenosine phosphate", []),
        "DB3": ("Estradiol", []),
    }
    own = {"DB2": "D9", "DB3": "D1"}  # adenosine phosphate has a descriptor of its own
    assert parent_links(Tables(names, trees, ["D1", "D2"], drugs, own)) == {"DB1": ["D1"]}


def test_salt_links_on_plain_tables() -> None:
    names = {"D1": "Tadalafil Citrate", "D2": "Tadalafil Phosphate", "D3": "Zinc Acetate"}
    trees = {"D1": ["D03.1"], "D2": ["D01.1"], "D3": ["D02.1"]}
    drugs: dict[str, tuple[str, list[str]]] = {"DB1": ("Tadalafil", ["Cialis"]), "DB2": ("Zinc", [])}
    links = salt_links(Tables(names, trees, ["D1", "D2", "D3"], drugs, {}))
    assert links == {"DB1": ["D1"]}  # D2 only inorganic, D3 only salt words
    assert salt_links(Tables(names, trees, ["D1"], drugs, {"DB1": "D1"})) == {}  # already its own descriptor
    two: dict[str, tuple[str, list[str]]] = {"DB1": ("Tadalafil", []), "DB3": ("Tadalafil", [])}
    assert salt_links(Tables(names, trees, ["D1"], two, {})) == {}  # ambiguous name: no link


def test_full_build_links_real_salts(shared_data: Path, tmp_path: Path) -> None:
    build_default(shared_data, tmp_path / "lex.jsonl.gz")
    lx = Lexicon.load(tmp_path / "lex.jsonl.gz")
    sildenafil = _drug(lx, "sildenafil")
    assert sildenafil.drugbank_id == "DB00203"
    assert "Phosphodiesterase 5 Inhibitors" in sildenafil.classes
    pde5 = sildenafil.class_sources[sildenafil.classes.index("Phosphodiesterase 5 Inhibitors")]
    assert pde5.startswith("D000068677 ")
    assert "Phosphodiesterase 5 Inhibitors" in _drug(lx, "tadalafil").classes
    assert "Hydroxymethylglutaryl-CoA Reductase Inhibitors" in _drug(lx, "atorvastatin").classes
    acetate = _drug(lx, "hydrocortisone acetate")  # a DrugBank drug of its own, classed by its parent
    assert acetate.classes and set(acetate.class_sources) == {"D006854 Hydrocortisone"}
    belatacept, abatacept = _drug(lx, "belatacept"), _drug(lx, "abatacept")
    assert belatacept.id != abatacept.id and _drug(lx, "LEA29Y").id == belatacept.id
    # every class source is the drug's own descriptor or a descriptor named after the drug plus salt words
    for c in lx:
        if c.kind != "drug" or not any(c.class_sources):
            continue
        assert len(c.class_sources) == len(c.classes)
        own = {norm_key(n) for n in c.names()}
        for src in c.class_sources:
            ui, _, name = src.partition(" ")
            parent = salt_base(c.preferred) == norm_key(name)
            assert src == CURATED_SOURCE or ui == c.mesh_id or parent or salt_base(name) in own, (
                c.preferred,
                src,
            )
    assert belatacept.class_sources == (CURATED_SOURCE,) * len(belatacept.classes)  # hand-picked, not MeSH
