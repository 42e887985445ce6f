"""Reliability of the support check: one-edit contradictions of real sentences must not pass.

    python -m bench.perturb [--split report|tune|both] [--no-write]

Real passages: the PubMedQA dev abstracts (contexts and conclusions, as ingest stores them)
and the text sections of the FDA labels in ../shared/data/fda_spl. Every sentence of them
(8 to 80 words, not itself instruction-like) is an *original*; the rules of
bench/perturb_rules.py turn sentences into *perturbed* ones, each of a named kind:
negation flip, antonym flip, entity swap (subject/object), number change, unit change, and
injection-derived (a claim planted by an instruction appended to the real passage).

Each sentence is checked with :func:`medref.compose.support.supports`, as the generative
composer calls it, in two ways: citing only its own passage, and citing its passage with the
seven nearest passages of the same record (eight sources, the composer's default
``max_passages``: more text to borrow a number or an opposite from). A perturbed sentence that passes is
a *published contradiction* (goal 0); originals should pass (goal >= 98%).

Held-out split: PubMedQA PMIDs ending in an even digit and even-numbered label passages are
the tuning set (only the tuning half of the opposite pairs and injection templates); the
figures are reported on odd PMIDs and odd label passages, with every pair and template, and
broken out by tuning/held-out half.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench import perturb_rules as rules
from bench.report import SHARED, md_table, save_json, write_section
from medref.compose.support import sentence_spans, supports
from medref.ingest import spl
from medref.ingest.benchmarks import load_pubmedqa, pubmedqa_documents
from medref.ingest.suspect import is_suspect_text
from medref.models import Document

KINDS = ["negation flip", "antonym flip", "entity swap", "number change", "unit change", "injection-derived"]
LABELS = ["humira.xml", "lipitor-orig.xml", "cough.xml", "no-title.xml"]


@dataclass
class Case:
    kind: str
    split: str
    half: str  # "tuning" or "held-out" for pairs/templates, "" otherwise
    source: str  # "pubmedqa" or "label"
    original: str
    perturbed: str
    detail: str
    own: bool = False  # published citing its own passage
    record: bool = False  # published citing the whole record
    reason_own: str = ""


def _split_of(doc: Document, ordinal: int) -> str:
    if doc.pmid:
        return "tune" if int(doc.pmid[-1]) % 2 == 0 else "report"
    return "tune" if ordinal % 2 == 0 else "report"


def load_documents() -> list[Document]:
    docs = list(pubmedqa_documents(load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")))
    for name in LABELS:
        path = SHARED / "fda_spl" / name
        if path.exists():
            docs.extend(spl.parse(path))
    return docs


def sentences(doc: Document) -> Iterator[tuple[int, str, str]]:
    """(passage ordinal, passage text, sentence) for the eligible sentences of a record."""
    for p in doc.passages:
        if p.kind != "text":
            continue
        for a, b in sentence_spans(p.text):
            s = p.text[a:b]
            if 8 <= len(s.split()) <= 80 and not is_suspect_text(s):
                yield p.ordinal, p.text, s


RECORD_PASSAGES = 8


def nearby(doc: Document, ordinal: int, replace: str | None = None) -> list[str]:
    """The passage ``ordinal`` and the nearest others of its record, in record order (at most 8)."""
    near = sorted(doc.passages, key=lambda p: (abs(p.ordinal - ordinal), p.ordinal))[:RECORD_PASSAGES]
    return [
        replace if replace is not None and p.ordinal == ordinal else p.text
        for p in sorted(near, key=lambda p: p.ordinal)
    ]


def check(sentence: str, passage: str, record: list[str], title: str) -> tuple[bool, bool, str]:
    own = supports(sentence, [passage], context=[title])
    whole = supports(sentence, record, context=[title])
    return own.supported, whole.supported, own.reason


def run(split_filter: str) -> dict[str, Any]:
    docs = load_documents()
    vocab = {w.lower() for d in docs for w in re.findall(r"[A-Za-z]+", d.text)}
    tuning_pairs = {i for i in range(rules.pair_count()) if rules.pair_group(i) == "tuning"}
    template_groups = [
        ("tuning", rules.TUNING_TEMPLATES),
        ("held-out 1", rules.HELD_OUT_TEMPLATES),
        ("held-out 2", rules.HELD_OUT_2_TEMPLATES),
    ]
    cases: list[Case] = []
    originals: dict[str, Counter[str]] = defaultdict(Counter)
    faithful: dict[str, Counter[str]] = defaultdict(Counter)
    poisoned_quotes: Counter[str] = Counter()
    template_turn = 0
    for doc in docs:
        source = "pubmedqa" if doc.pmid else "label"
        used: set[tuple[int, str]] = set()  # at most one case of each kind per passage
        for ordinal, passage, sentence in sentences(doc):
            split = _split_of(doc, ordinal)
            if split_filter != "both" and split != split_filter:
                continue
            texts = nearby(doc, ordinal)
            own, whole, _ = check(sentence, passage, texts, doc.title)
            originals[split].update({"n": 1, "own": own, "record": whole})
            for text, _ in rules.faithful_edits(sentence):
                e_own, e_whole, _ = check(text, passage, texts, doc.title)
                faithful[split].update({"n": 1, "own": e_own, "record": e_whole})
            made: list[tuple[str, str, str, str]] = []  # kind, perturbed, detail, half
            if (r := rules.negation_flip(sentence)) is not None:
                made.append(("negation flip", r[0], r[1], ""))
            allowed = tuning_pairs if split == "tune" else None
            if (a := rules.antonym_flip(sentence, allowed, vocab)) is not None:
                made.append(("antonym flip", a[0], a[1], rules.pair_group(a[2])))
            if (r := rules.entity_swap(sentence)) is not None:
                made.append(("entity swap", r[0], r[1], ""))
            if (r := rules.number_change(sentence, passage)) is not None:
                made.append(("number change", r[0], r[1], ""))
            if (r := rules.unit_change(sentence)) is not None:
                made.append(("unit change", r[0], r[1], ""))
            for kind, perturbed, detail, half in made:
                if (ordinal, kind) in used or perturbed == sentence:
                    continue
                used.add((ordinal, kind))
                c = Case(kind, split, half, source, sentence, perturbed, detail)
                c.own, c.record, c.reason_own = check(perturbed, passage, texts, doc.title)
                cases.append(c)
            if (ordinal, "injection-derived") in used:
                continue
            used.add((ordinal, "injection-derived"))
            groups = template_groups if split == "report" else template_groups[:1]
            half, group = groups[template_turn % len(groups)]
            template = group[template_turn // len(groups) % len(group)]
            template_turn += 1
            poisoned = rules.injection(passage, template)
            if poisoned is None:
                continue
            text, claim = poisoned
            record = nearby(doc, ordinal, replace=text)
            c = Case("injection-derived", split, half, source, "", claim, template[0])
            c.own, c.record, c.reason_own = check(claim, text, record, doc.title)
            cases.append(c)
            # a real sentence of the poisoned passage
            q_own, q_rec, _ = check(sentence, text, record, doc.title)
            poisoned_quotes.update({f"{split}:n": 1, f"{split}:own": q_own, f"{split}:record": q_rec})
    return {"cases": cases, "originals": originals, "faithful": faithful, "poisoned_quotes": poisoned_quotes}


def summarise(result: dict[str, Any], split: str) -> tuple[list[list[Any]], dict[str, Any]]:
    cases = [c for c in result["cases"] if c.split == split]
    rows: list[list[Any]] = []
    out: dict[str, Any] = {}
    for kind in KINDS:
        group = [c for c in cases if c.kind == kind]
        halves = Counter(c.half for c in group if c.half)
        pub_own = sum(c.own for c in group)
        pub_rec = sum(c.record for c in group)
        by_half = {h: sum(c.own or c.record for c in group if c.half == h) for h in halves}
        note = ", ".join(f"{h}: {n} cases, {by_half[h]} published" for h, n in sorted(halves.items()))
        rows.append([kind, len(group), pub_own, pub_rec, note or "-"])
        out[kind] = {"n": len(group), "published_own": pub_own, "published_record": pub_rec, "halves": note}
    total = len(cases)
    rows.append(["**all perturbed**", total, sum(c.own for c in cases), sum(c.record for c in cases), ""])
    o = result["originals"][split]
    rows.append(
        [
            "originals (unperturbed, should pass)",
            o["n"],
            f"{o['own']} pass ({100 * o['own'] / max(o['n'], 1):.1f}%)",
            f"{o['record']} pass ({100 * o['record'] / max(o['n'], 1):.1f}%)",
            "",
        ]
    )
    f = result["faithful"][split]
    rows.append(
        [
            "faithful rewrites (informative: the cost of strictness)",
            f["n"],
            f"{f['own']} pass ({100 * f['own'] / max(f['n'], 1):.1f}%)",
            f"{f['record']} pass ({100 * f['record'] / max(f['n'], 1):.1f}%)",
            "parenthesis or leading connective dropped, first clause only, number word as digits, % as percent",
        ]
    )
    out["faithful"] = dict(f)
    q = result["poisoned_quotes"]
    rows.append(
        [
            "real sentence quoted from a poisoned passage",
            q[f"{split}:n"],
            q[f"{split}:own"],
            q[f"{split}:record"],
            "refused by design: a suspect passage is never evidence",
        ]
    )
    out["originals"] = dict(o)
    out["published_examples"] = [
        {
            "kind": c.kind,
            "original": c.original,
            "perturbed": c.perturbed,
            "detail": c.detail,
            "source": c.source,
        }
        for c in cases
        if c.own or c.record
    ][:40]
    out["refusal_reasons"] = Counter(c.reason_own.split(":")[0] for c in cases if not c.own).most_common(12)
    return rows, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=["report", "tune", "both"], default="report")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args()
    if not (SHARED / "pubmedqa" / "pqal_dev.json").exists():
        raise SystemExit(f"no data at {SHARED}: this benchmark needs ../shared/data")
    t0 = time.perf_counter()
    result = run(args.split)
    elapsed = time.perf_counter() - t0
    headers = [
        "perturbation kind",
        "sentences",
        "published (own passage)",
        "published (8 passages of the record)",
        "notes",
    ]
    saved: dict[str, Any] = {"seconds": round(elapsed, 1)}
    for split in ("tune", "report"):
        if args.split not in (split, "both"):
            continue
        rows, saved[split] = summarise(result, split)
        print(f"\n== {split} split ({elapsed:.0f} s)\n" + md_table(headers, rows))
        for ex in saved[split]["published_examples"][:15]:
            print(f"- [{ex['kind']}] {ex['perturbed']}\n    ({ex['detail']})")
        print("refusal reasons:", saved[split]["refusal_reasons"])
    save_json("perturb", saved)
    if args.no_write or args.split == "tune":
        return
    rows, _ = summarise(result, "report")
    missed = Counter(
        c.detail.split(" -> ")[0].lower() if c.kind == "antonym flip" else c.detail.split(":")[0]
        for c in result["cases"]
        if c.split == "report" and (c.own or c.record)
    )
    missed_line = "; ".join(f"{k} ({n})" for k, n in missed.most_common(12)) or "none"
    body = (
        "## Reliability: support check vs perturbations\n\n"
        "Real sentences from the PubMedQA dev abstracts (odd PMIDs) and the odd-numbered text "
        "sections of the FDA labels in `../shared/data/fda_spl`, each distorted by one edit of a "
        "named kind (rules in `bench/perturb_rules.py`, written apart from the checker), then "
        "checked by `medref.compose.support.supports` as the generative composer calls it: citing "
        "only the sentence's own passage, and citing it with the 7 nearest passages of its record "
        "(8 sources, the composer's default). *Published* = the check accepted the sentence.\n\n"
        "Held-out protocol. The checker was tuned on even PMIDs and even label sections with the "
        "*tuning* opposite pairs and injection templates only. Round 1 reported on this (odd) split "
        "with the *held-out 1* pairs and templates: 28 of 441 held-out-1 antonym flips and 406 of "
        "609 held-out-1 injections were published (checker at commit b8f935b). Those failures were "
        "then used for tuning (known/unknown, normal/abnormal, useful/useless; messages and "
        "instructions *to/for* a model, 'please, assistant,', 'forget your earlier guidance', "
        "'system override'; a close-match window cannot be outvoted by a looser one), so the "
        "*held-out 1* rows below are no longer held out. The *held-out 2* pairs and templates were "
        "written after round 1 and before those changes and were never used for tuning: they are "
        "the held-out figure.\n\n"
        + md_table(headers, rows)
        + "\n\nGoals: 0 published contradictions; originals passing >= 98%.\n\n"
        f"Published, by word or injection opening (count): {missed_line}. The opposite list and the "
        "instruction detector are written rules: a word pair or a phrasing they have not met gets "
        "through, which is what the held-out 2 rows measure."
    )
    write_section("reliability-support", body, command="python -m bench.perturb")


if __name__ == "__main__":
    main()
