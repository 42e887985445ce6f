"""Salt and ester forms of a drug: the words that mark them and the MeSH descriptors filed under them.

MeSH often files a drug under its salt form: the descriptor is "Sildenafil Citrate" (D000068677),
with "Sildenafil" only an entry term of it, and the pharmacological actions (Phosphodiesterase 5
Inhibitors ...) are listed for that descriptor. :func:`salt_links` finds, for each DrugBank drug,
the descriptors of its salt forms so that the lexicon can give the drug those actions as classes,
each naming the descriptor it came from. It never merges two drugs: a salt descriptor only adds
classes to the one drug its name is built on, and none of its other entry terms are used
("Sildenafil Citrate" also lists Homosildenafil and Acetildenafil, "Formoterol Fumarate" lists
Arformoterol: different drugs).

A descriptor is a salt form of drug X when

1. its name is X's name followed by salt or ester words ("Sildenafil Citrate", "Rosuvastatin
   Calcium", "Olmesartan Medoxomil"), X being the one DrugBank drug whose common name is that
   (else the one drug with that synonym: "Cromolyn Sodium" -> Cromoglicic acid, synonym Cromolyn);
2. it is in the D (chemicals and drugs) tree and not only under Inorganic Chemicals (D01), and
   X's own descriptor (if any) is not under D01 either: a salt of an element or ion is another
   chemical ("Copper Sulfate" is an emetic, copper is not; "Magnesium Sulfate" is not magnesium);
3. it lists at least one pharmacological action (the link exists only to carry classes), and it
   is not already X's own descriptor.

The other way round, :func:`parent_links`: DrugBank also lists salts and esters as drugs of their
own ("Fluticasone propionate", "Estradiol valerate", "Hydrocortisone acetate") that MeSH files
under the parent's descriptor ("Fluticasone"). Such a drug, when it has no descriptor of its own,
takes the actions of the one descriptor named after its parent (same conditions 2 and 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from medref.retrieve.lexnorm import norm_key

SALT_WORDS = frozenset(
    """
    hcl hydrochloride dihydrochloride hbr hydrobromide calcium sodium disodium monosodium trisodium
    potassium dipotassium magnesium zinc sulfate sulphate bisulfate maleate mesylate dimesylate mesilate
    besylate besilate tartrate bitartrate citrate acetate phosphate succinate fumarate hemifumarate bromide
    chloride iodide lactate decanoate dihydrate monohydrate trihydrate hemihydrate sesquihydrate
    hexahydrate hydrate anhydrous hyclate tosylate nitrate oxalate malate palmitate propionate dipropionate
    valerate benzoate gluconate pamoate xinafoate furoate edisylate napsylate estolate stearate cypionate
    cipionate enanthate undecanoate axetil pivoxil proxetil medoxomil disoproxil etabonate acetonide
    ethylsuccinate
    meglumine tromethamine trometamol
    """.split()
)
INORGANIC = "D01"
CURATED_SOURCE = "curated"  # ``Concept.class_sources`` entry of a class from the curated built-in lexicon


def salt_base(name: str) -> str | None:
    """The normalised drug name a salt name is built on: 'Sildenafil Citrate' -> 'sildenafil'.

    None when the name does not end in a salt word, or when only salt words would be left
    ('Calcium Chloride', 'Sodium Acetate').
    """
    words = norm_key(name).split()
    k = len(words)
    while k > 1 and words[k - 1] in SALT_WORDS:
        k -= 1
    if k == len(words) or all(w in SALT_WORDS for w in words[:k]):
        return None
    return " ".join(words[:k])


def _inorganic(trees: Iterable[str]) -> bool:
    return any(t.startswith(INORGANIC) for t in trees)


@dataclass(frozen=True)
class Tables:
    """What the links are made from.

    ``descriptor_names``: UI -> descriptor name; ``trees``: UI -> tree numbers; ``with_actions``:
    UIs that list pharmacological actions; ``drug_names``: drug id -> (common name, synonyms);
    ``own``: drug id -> the UI of the drug's own linked descriptor.
    """

    descriptor_names: Mapping[str, str]
    trees: Mapping[str, list[str]]
    with_actions: Iterable[str]
    drug_names: Mapping[str, tuple[str, Iterable[str]]]
    own: Mapping[str, str]

    def candidates(self) -> Iterator[tuple[str, str]]:
        """(UI, name) of the descriptors with actions, in the D tree and not only under D01."""
        for ui in sorted(set(self.with_actions)):
            name, tns = self.descriptor_names.get(ui), self.trees.get(ui, [])
            if (
                name is not None
                and any(t.startswith("D") for t in tns)
                and not all(t.startswith(INORGANIC) for t in tns)
            ):
                yield ui, name


def salt_links(t: Tables) -> dict[str, list[str]]:
    """Drug id -> the descriptor UIs of its salt forms (see the module docstring)."""
    by_common: dict[str, set[str]] = {}
    by_any: dict[str, set[str]] = {}
    for did, (common, synonyms) in t.drug_names.items():
        by_common.setdefault(norm_key(common), set()).add(did)
        for s in (common, *synonyms):
            by_any.setdefault(norm_key(s), set()).add(did)
    out: dict[str, list[str]] = {}
    for ui, name in t.candidates():
        base = salt_base(name)
        ids = (by_common.get(base) or by_any.get(base) or set()) if base else set()
        if len(ids) != 1:
            continue
        did = next(iter(ids))
        mine = t.own.get(did)
        if mine == ui or (mine is not None and _inorganic(t.trees.get(mine, []))):
            continue
        out.setdefault(did, []).append(ui)
    return out


def parent_links(t: Tables) -> dict[str, list[str]]:
    """Drug id -> [the descriptor of its parent] for salt-named drugs with no descriptor of their own
    ('Fluticasone propionate' -> 'Fluticasone')."""
    by_name: dict[str, list[str]] = {}
    for ui, name in t.candidates():
        by_name.setdefault(norm_key(name), []).append(ui)
    out: dict[str, list[str]] = {}
    for did, (common, _) in t.drug_names.items():
        found = by_name.get(salt_base(common) or "", [])
        if did not in t.own and len(found) == 1:
            out[did] = found
    return out
