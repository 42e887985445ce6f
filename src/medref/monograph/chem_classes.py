"""MeSH chemical classes (tree ancestors) for the interaction checker.

MeSH pharmacological actions (carried by the lexicon as a drug's ``classes``) do not cover the
chemical groups labels name: "fibrates" (MeSH *Fibric Acids*, an ancestor of gemfibrozil in the
D tree), "nitrates", "macrolides", "benzodiazepines". This module keeps a small compiled table,
``mesh_chem_classes.json.gz`` beside it, of the inner nodes of the MeSH Chemicals and Drugs (D)
tree: tree number -> descriptor UI, name and non-permuted entry terms. A drug concept's
``tree_numbers`` (from the lexicon) then give its chemical classes by prefix.

It also keeps the MeSH pharmacological actions and tree numbers of salt-form descriptors under
their base name ("Sildenafil Citrate" -> "sildenafil": Phosphodiesterase 5 Inhibitors), for drugs
whose lexicon concept is not linked to the salt's MeSH descriptor.

The table is built from the shared MeSH files, never typed by hand::

    python -m medref.monograph.chem_classes ../shared/data   # rewrites mesh_chem_classes.json.gz

Only group nodes are kept: at depth 2 or more ("D02.583" Nitrates, not "D02" Organic
Chemicals), with at least one and at most ``MAX_DESCENDANTS`` nodes below them (a leaf is one
substance; "Proteins" or "Hydrocarbons" are too broad to mean a drug class in a label), and named
in the plural ("Macrolides", "Antibodies, Monoclonal"; not "Erythromycin", a drug whose MeSH
node also holds its derivatives such as clarithromycin).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from medref.monograph.names import SALTS, fold, strip_salts

TABLE = Path(__file__).with_name("mesh_chem_classes.json.gz")
MIN_DEPTH = 2  # dots + 1 in a tree number: "D02.583" is depth 2
MAX_TERM_CHARS = 60
MAX_DESCENDANTS = 120


@dataclass(frozen=True)
class ChemClass:
    """One inner node of the MeSH D tree."""

    tree: str
    ui: str
    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class SaltForm:
    """A salt-form MeSH descriptor, found by its base name."""

    name: str
    actions: tuple[str, ...]
    trees: tuple[str, ...]


def _depth(tree: str) -> int:
    return tree.count(".") + 1


def _plural_name(name: str) -> bool:
    head = name.split(", ")[0].split()
    return bool(head) and head[-1].endswith("s") and not head[-1].endswith("ss")


def build_table(mesh_dir: Path, out: Path = TABLE) -> int:
    """Write the table from ``mesh_dir`` (data_mesh_trees.tsv.gz, data_mesh_thesaurus.tsv.gz); returns rows."""
    trees: dict[str, tuple[str, str]] = {}
    with gzip.open(mesh_dir / "data_mesh_trees.tsv.gz", "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            loc = (r.get("tree_location") or "").strip()
            if loc.startswith("D"):
                trees[loc] = (r["DescriptorUI"], r["DescriptorName"])
    below: dict[str, int] = defaultdict(int)
    for t in trees:
        parts = t.split(".")
        for n in range(1, len(parts)):
            below[".".join(parts[:n])] += 1
    keep = {
        t: v
        for t, v in trees.items()
        if 0 < below[t] <= MAX_DESCENDANTS and _depth(t) >= MIN_DEPTH and _plural_name(v[1])
    }
    wanted = {ui for ui, _ in keep.values()}
    terms: dict[str, list[str]] = defaultdict(list)
    with gzip.open(mesh_dir / "data_mesh_thesaurus.tsv.gz", "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            ui, term = r.get("DescriptorUI") or "", (r.get("TermName") or "").strip()
            usable = r.get("IsPermutedTermYN") != "Y" and 0 < len(term) <= MAX_TERM_CHARS
            if ui in wanted and usable and term not in terms[ui]:
                terms[ui].append(term)
    rows = [
        [t, ui, name, [x for x in terms.get(ui, []) if x != name]] for t, (ui, name) in sorted(keep.items())
    ]
    salts = _salt_forms(mesh_dir, trees)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        payload = {"format": "medref-mesh-chem-classes", "rows": rows, "salts": salts}
        gz.write(json.dumps(payload, separators=(",", ":")).encode())
    out.write_bytes(buf.getvalue())
    return len(rows)


def _salt_forms(mesh_dir: Path, trees: dict[str, tuple[str, str]]) -> list[list[object]]:
    """[base, descriptor name, actions, tree numbers] for descriptors named '<base> <salt word>'."""
    by_ui: dict[str, list[str]] = defaultdict(list)
    for t, (ui, _) in trees.items():
        by_ui[ui].append(t)
    found: dict[str, list[object]] = {}
    with (mesh_dir / "data_pharm_action.tsv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            name, action = r.get("DescriptorName") or "", r.get("PharmActionName") or ""
            words = fold(name).split()
            if len(words) < 2 or words[-1] not in SALTS or not action:
                continue
            row = found.setdefault(
                name, [strip_salts(name), name, [], sorted(by_ui.get(r["DescriptorUI"], []))]
            )
            actions = row[2]
            assert isinstance(actions, list)
            actions.append(action)
    return sorted(found.values(), key=lambda r: str(r[1]))


@cache
def _data() -> dict[str, list[list[object]]]:
    if not TABLE.exists():
        return {}
    with gzip.open(TABLE, "rt", encoding="utf-8") as fh:
        data: dict[str, list[list[object]]] = json.load(fh)
    return data


@cache
def salt_forms() -> dict[str, list[SaltForm]]:
    """Base name -> its salt-form descriptors with their actions and tree numbers."""
    out: dict[str, list[SaltForm]] = {}
    for base, name, actions, trees in _data().get("salts", []):
        assert isinstance(actions, list) and isinstance(trees, list)
        out.setdefault(str(base), []).append(
            SaltForm(str(name), tuple(map(str, actions)), tuple(map(str, trees)))
        )
    return out


@cache
def table() -> dict[str, ChemClass]:
    """Tree number -> chemical class (empty when the compiled table is missing)."""
    out: dict[str, ChemClass] = {}
    for t, ui, name, terms in _data().get("rows", []):
        assert isinstance(terms, list)
        out[str(t)] = ChemClass(str(t), str(ui), str(name), tuple(map(str, terms)))
    return out


def ancestors(tree_numbers: tuple[str, ...] | list[str]) -> list[ChemClass]:
    """The chemical classes above a drug's MeSH tree numbers, nearest first, one per descriptor."""
    known = table()
    out: dict[str, ChemClass] = {}
    for tn in tree_numbers:
        parts = tn.split(".")
        for n in range(len(parts) - 1, MIN_DEPTH - 1, -1):
            node = known.get(".".join(parts[:n]))
            if node is not None:
                out.setdefault(node.ui, node)
    return list(out.values())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m medref.monograph.chem_classes SHARED_DATA_DIR\n")
        return 2
    n = build_table(Path(args[0]) / "mesh")
    sys.stdout.write(
        f"{n} chemical classes (and salt forms) written to {TABLE} ({TABLE.stat().st_size} bytes)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
