"""The Monographs section of docs/benchmarks.md, written from the results of ``bench.monographs``."""

from __future__ import annotations

from typing import Any

from bench.report import md_table

# the last run at scale, on the code of that date (kept until the next --size run replaces it)
PREVIOUS_SCALE = (
    "The last run at scale (2026-11-22, the code of that date, 2 cores AMD EPYC): 100,701 passages, median build "
    "with the Retriever Humira 0.132 s, Lipitor 0.108 s, Triaminic 0.073 s, haloperidol 0.112 s, belatacept "
    "0.037 s, letolizumab 0.039 s."
)


def _pct(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "n/a"


def _facts(labels: dict[str, Any]) -> str:
    rows: list[list[Any]] = []
    tot = ok = other = words = 0
    for file, r in labels.items():
        f = r["facts"]
        words += f.get("page_words", 0)
        tot += f["facts"]
        ok += f["present"]
        other += len(f["elsewhere"])
        rows.append(
            [
                file,
                f["facts"],
                f["present"],
                _pct(f["present"], f["facts"]),
                len(f["elsewhere"]),
                len(f["missing"]),
                f.get("page_words", ""),
            ]
        )
    rows.append(["all four", tot, ok, _pct(ok, tot), other, tot - ok - other, words])
    lines = []
    for file, r in labels.items():
        f = r["facts"]
        for e in f["elsewhere"]:
            lines.append(
                f"- {file} `{e['id']}` ({e['field']}): {e['description']}. Only in: {', '.join(e['found_in'])}."
            )
        for e in f["missing"]:
            absent = "" if e["field_on_page"] else " (the field is not on the page)"
            lines.append(
                f"- {file} `{e['id']}` ({e['field']}){absent}: {e['description']}. Not on the page [{e['section']}]."
            )
    table = md_table(
        [
            "label",
            "facts",
            "in the right field",
            "recall",
            "only in another field",
            "not on the page",
            "page words",
        ],
        rows,
    )
    return table + (
        "\n\nFacts not in their field:\n\n" + "\n".join(lines) if lines else "\n\nEvery fact is in its field."
    )


def _mapping(labels: dict[str, Any]) -> str:
    checker = next(iter(labels.values()))["mapping"]["checker"] if labels else "none"
    rows = []
    for file, r in labels.items():
        mp = r["mapping"]
        rows.append(
            [file, mp["checked"], mp["unchecked"], len(mp["violations"]), len(r.get("broken_values", []))]
        )
    out = f"Checked with `{checker}`"
    if "fallback" in checker:
        out += " (medref.monograph.mapping.section_allowed is missing, so only the fields LABEL_CODES names are checked)"
    out += ".\n\n" + md_table(
        ["label", "cited passages checked", "not checkable", "violations", "quoted values with broken text"],
        rows,
    )
    bad = [(file, v) for file, r in labels.items() for v in r["mapping"]["violations"]]
    if bad:
        out += "\n\nViolations:\n\n" + "\n".join(
            f"- {file} {v['field']} cites [{v['section']}]: {v['text']}" for file, v in bad[:30]
        )
    broken = [f"- {file} {b}" for file, r in labels.items() for b in r.get("broken_values", [])]
    if broken:
        out += (
            "\n\nQuoted values with broken text (opening with closing punctuation, or a bracket left open):\n\n"
            + "\n".join(broken[:40])
            + (f"\n- ... and {len(broken) - 40} more" if len(broken) > 40 else "")
        )
    return out


def _coverage(labels: dict[str, Any]) -> str:
    rows: list[list[Any]] = []
    sup = good = unc = 0
    for file, r in labels.items():
        c = r["coverage"]
        sup += c["supported"]
        good += c["correct"]
        unc += len(c["uncited_values"])
        wrong = ", ".join(f"{k} ({why})" for k, why in c["problems"].items()) or "none"
        rows.append(
            [
                file,
                c["supported"],
                c["correct"],
                len(c["uncited_values"]),
                f"{c['fields_filled']}/{c['fields_total']}",
                wrong,
            ]
        )
    rows.append(["all four", sup, good, unc, "", ""])
    return md_table(
        [
            "label",
            "supported fields",
            "filled + cited correctly",
            "uncited values",
            "all fields filled",
            "not correct",
        ],
        rows,
    )


def _interactions(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"Skipped: {r['skipped']}."
    head = md_table(
        [
            "pairs",
            "with an interaction",
            "without",
            "precision",
            "recall",
            "severity exact",
            "severity accepted",
            "seconds",
        ],
        [
            [
                r["pairs"],
                r["with_interaction"],
                r["without"],
                f"{r['precision']:.1%} ({r['tp']}/{r['tp'] + r['fp']})",
                f"{r['recall']:.1%} ({r['tp']}/{r['tp'] + r['fn']})",
                f"{r['severity_exact']:.1%}",
                f"{r['severity_accepted']:.1%}",
                r["seconds"],
            ]
        ],
    )
    dis = r["disagreements"]
    if not dis:
        return head + "\n\nEvery pair agrees with the gold list."
    lines = [
        f"- {' + '.join(d['drugs'])}: gold {d['gold']}"
        + (f" ({d['via']})" if d.get("via") else "")
        + f"; checker {d['got']}"
        + (f": {d['why']}" if d.get("why") else "")
        for d in dis
    ]
    return head + "\n\nDisagreements:\n\n" + "\n".join(lines)


def _timing(results: dict[str, Any]) -> str:
    cold, warm = results["cold"], results["warm"]
    rows = []
    for drug, c in cold["per_drug"].items():
        w = warm["per_drug"].get(drug, {})
        cold_txt = c.get("median_s", c.get("note") or "error: " + c.get("error", "")[-60:])
        rows.append(
            [
                drug,
                cold_txt,
                ", ".join(str(x) for x in c.get("runs_s", [])),
                w.get("median_ms", ""),
                w.get("max_ms", ""),
            ]
        )
    b = results.get("store_build_s", {})
    built = (
        f"ingested with `medref ingest` ({b.get('ingest_s')} s + {b.get('drugsatfda_s')} s) and `medref lexicon build` "
        f"({b.get('lexicon_s')} s)"
        if "reused" not in b
        else "built earlier with `medref ingest` and `medref lexicon build` (reused)"
    )
    return (
        f"`medref monograph DRUG` as a fresh process ({cold['pinned']}, median of {cold['runs']}; goal < 3 s) and "
        f"in-process builds after one warm-up (median and max of {warm['repeats']}; goal < 200 ms; "
        f"{'with' if warm['retriever'] else 'without'} the Retriever, as the CLI). The data folder: the four labels, "
        f"the demo corpus and drugsatfda.zip {built}. Load average when the cold runs began: {cold.get('load')}.\n\n"
        + md_table(["drug", "cold CLI median s", "cold runs s", "warm median ms", "warm max ms"], rows)
    )


def _speed(sp: dict[str, Any] | None) -> str:
    if not sp:
        return (
            "Build time at scale was not run this time (`--size 0`, the default: building a 100k-passage store "
            f"takes minutes); run `python -m bench.monographs --size 100000` for it. {PREVIOUS_SCALE}"
        )
    rows = [[d, v["median_s"], v["max_s"]] for d, v in sp["per_drug"].items()]
    return (
        f"Build time per monograph (with the Retriever) at {sp['passages']:,} passages (goal < 1 s); reading "
        f"drugsatfda.zip once per process took {sp['drugsatfda_first_load_s']} s (not included).\n\n"
        + md_table(["drug", "median s", "max s"], rows)
    )


def render(results: dict[str, Any]) -> str:
    labels = results["labels"]
    return (
        "## Monographs\n\n"
        "### Key facts\n\n"
        "Checklists of the facts a pharmacist checks first (indications, every indication's regimen, population "
        "doses, boxed warning, contraindications, common adverse reactions with figures, serious adverse events, "
        "interactions with their dose changes, pregnancy, lactation, pre-treatment tests, class; Drug Facts items "
        "for the OTC label), written by reading each label's XML, in `bench/data/monograph_facts.json`. A fact "
        "counts when all its regexes match the text of the field it belongs in (goal >= 95%). 'Page words' counts the "
        "words of every field's text, so that recall bought by quoting more of the label shows.\n\n"
        + _facts(labels)
        + "\n\n### Section mapping and clean text\n\nEvery label passage a field cites, checked against the sections "
        "that field may be read from (goal 0 violations), and quoted values whose text is cut in a bad place.\n\n"
        + _mapping(labels)
        + "\n\n### Field coverage\n\nThe label-driven fields a label supports (it has the field's LOINC section in "
        "`fields.LABEL_CODES`), how many are filled with values whose spans match the cited passage text and lie in "
        "those sections, and values with no citation at all (goal 0).\n\n"
        + _coverage(labels)
        + "\n\n### Interaction checker\n\n`medref.monograph.interactions.check_interactions` on the hand-made pairs "
        "of `bench/data/interaction_pairs.json` (read from the labels' interaction, contraindication, warning and "
        "dosing text; 'none' pairs name drugs no searched label mentions, by name or class). A pair is found when "
        "its severity is other than 'no change'; severity 'accepted' also counts a second reading the gold allows.\n\n"
        + _interactions(results["interactions"])
        + "\n\n### Timing\n\n"
        + _timing(results)
        + "\n\n"
        + _speed(results.get("speed"))
    )
