"""Real-data case: does curation pay on public facts with planted wrong answers and copies?

usage: python bench/real_case.py [--shared ../shared] [--out runs/real-case] [--facts 120]
                                 [--seeds 2] [--preset quick] [--skip-auto]

Needs ``../shared/data`` (not in a fresh clone; the rows are read from there at run time and
never copied into the project). The facts are the country capitals and country currencies of
Super-NaturalInstructions (tasks 1146 and 1147, ``natural_instructions_small``); the truth of
every row comes from those files, never from our detectors.

The data set (``facts.jsonl``, messages format): every sampled fact asked twice in two
different wordings with the source's answer; for ``WRONG_SHARE`` of the facts, two more rows
giving another country's capital or currency (a planted wrong answer, as in a scraped set
that mixes up rows); for ``COPY_SHARE`` of the facts, copies of a clean row (exact, case,
spacing, a greeting wrapper, a typo). The eval set asks every fact once more in a third
wording, with the source's answer as a short reference (so the check "the answer contains
the reference" is the primary metric, named before the run).

The script runs the command line end to end, as a user would:

1. ``curate ingest`` and ``curate scan`` (findings file);
2. scripted expert decisions on every duplicate and contradiction finding, taken from the
   source's truth (drop the rows with a wrong answer, merge copies onto the clean row, keep
   rewordings), written as a resolutions file and recorded with ``curate resolve``;
3. ``curate compare --policy none`` (the expert's decisions);
4. the same data ingested and scanned into a second workspace that nobody reviews, and
   ``curate compare --policy auto`` there (the no-review policy); ``--skip-auto`` leaves it out.

Both comparisons write into one folder, so the arms they share (the baseline) are trained
and evaluated once; each report is copied to ``expert/`` and ``auto/``. ``summary.md`` holds
the table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]

WRONG_SHARE = 0.4
COPY_SHARE = 0.3
TRAIN_TEMPLATES = {
    "capital": [
        "What is the capital of {c}?",
        "Which city is the capital of {c}?",
        "Name the capital city of {c}.",
        "In {c}, which city is the capital?",
    ],
    "currency": [
        "What is the currency of {c}?",
        "Which currency is used in {c}?",
        "Name the official currency of {c}.",
        "In {c}, what money do people pay with?",
    ],
}
EVAL_TEMPLATE = {
    "capital": "I am writing a geography quiz. Where is the seat of government of {c}?",
    "currency": "I am travelling soon. What money would I need to bring to {c}?",
}
ANSWER = {"capital": "The capital of {c} is {v}.", "currency": "The currency of {c} is the {v}."}
SOURCES = {"capital": "task1146_country_capital.json", "currency": "task1147_country_currency.json"}


def read_facts(shared: Path) -> list[dict]:
    facts = []
    for kind, name in SOURCES.items():
        data = json.loads((shared / "data" / "natural_instructions_small" / name).read_text(encoding="utf-8"))
        for inst in data["Instances"]:
            country, value = inst["input"].strip(), inst["output"][0].strip()
            if country and value:
                facts.append({"kind": kind, "country": country, "value": value})
    return facts


def _copy(text: str, how: str, rng: random.Random) -> str:
    if how == "exact":
        return text
    if how == "case":
        return text.lower()
    if how == "spacing":
        return "  " + text.replace(" ", "  ", 1) + " "
    if how == "wrapper":
        return f"Hi there! {text} Thanks a lot."
    i = rng.randrange(1, max(2, len(text) - 2))  # typo: two letters swapped
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def build(shared: Path, n_facts: int, seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Training rows, eval items and the truth of every training row (from the source)."""
    rng = random.Random(seed)
    facts = read_facts(shared)
    by_kind = {k: [f for f in facts if f["kind"] == k] for k in SOURCES}
    chosen = [f for k in SOURCES for f in rng.sample(by_kind[k], n_facts // len(SOURCES))]
    rows, truth, evals = [], [], []

    def add(fact_id: int, q: str, a: str, correct: bool, copy_of: int | None, template: int) -> int:
        rows.append({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
        truth.append({"fact": fact_id, "correct": correct, "copy_of": copy_of, "template": template})
        return len(rows) - 1

    for fid, f in enumerate(chosen):
        kind, c, v = f["kind"], f["country"], f["value"]
        t1, t2 = rng.sample(range(len(TRAIN_TEMPLATES[kind])), 2)
        answer = ANSWER[kind].format(c=c, v=v)
        first = add(fid, TRAIN_TEMPLATES[kind][t1].format(c=c), answer, True, None, t1)
        add(fid, TRAIN_TEMPLATES[kind][t2].format(c=c), answer, True, None, t2)
        if rng.random() < WRONG_SHARE:
            wrong = rng.choice([g["value"] for g in by_kind[kind] if g["value"] != v])
            for t in rng.sample(range(len(TRAIN_TEMPLATES[kind])), 2):
                add(fid, TRAIN_TEMPLATES[kind][t].format(c=c), ANSWER[kind].format(c=c, v=wrong), False, None, t)
        if rng.random() < COPY_SHARE:
            for _ in range(rng.choice((1, 2))):
                how = rng.choice(("exact", "case", "spacing", "wrapper", "typo"))
                add(fid, _copy(TRAIN_TEMPLATES[kind][t1].format(c=c), how, rng), answer, True, first, t1)
        evals.append(
            {
                "id": f"{kind}-{fid}",
                "category": kind,
                "messages": [{"role": "user", "content": EVAL_TEMPLATE[kind].format(c=c)}],
                "reference": v,
            }
        )
    order = list(range(len(rows)))
    rng.shuffle(order)
    return [rows[i] for i in order], evals, [truth[i] for i in order]


def expert_resolutions(findings: list[dict], truth: list[dict]) -> list[dict]:
    """What an expert who knows the source's answers decides on each duplicate and
    contradiction finding: drop the rows with a wrong answer; merge copies of one row onto
    the clean one; keep the other correct rows (rewordings teach the model to generalise)."""
    out, decided = [], set()
    for f in sorted(findings, key=lambda f: f["kind"] != "contradiction"):  # conflicts first
        if f["kind"] not in ("duplicate", "contradiction"):
            continue
        rows = [r for r in f["rows"] if r not in decided]
        if not rows:
            continue
        wrong = [r for r in rows if not truth[r]["correct"]]
        if wrong:
            out.append(
                {
                    "action": "drop",
                    "rows": wrong,
                    "finding_id": f["finding_id"],
                    "reason": "the source gives another answer",
                }
            )
        groups: dict[tuple, list[int]] = {}
        for r in rows:
            if truth[r]["correct"]:
                groups.setdefault((truth[r]["fact"], truth[r]["template"]), []).append(r)
        for members in groups.values():
            if len(members) > 1:
                clean = [r for r in members if truth[r]["copy_of"] is None] or members
                out.append(
                    {
                        "action": "merge",
                        "rows": sorted(members),
                        "keep_row": clean[0],
                        "finding_id": f["finding_id"],
                        "reason": "copies of one row: keep the clean one",
                    }
                )
            else:
                out.append(
                    {
                        "action": "keep",
                        "rows": members,
                        "finding_id": f["finding_id"],
                        "reason": "the source's answer (a rewording is kept)",
                    }
                )
        decided.update(rows)
    return out


def curate(*args: str, log: Path) -> None:
    cmd = [sys.executable, "-c", "from cli.main import main; main()", *args]
    t0 = time.time()
    print("$ curate", " ".join(args), flush=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"$ curate {' '.join(args)}\n")
        f.flush()
        done = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
        f.write(f"# exit {done.returncode}, {time.time() - t0:.0f} s\n")
    if done.returncode:
        sys.exit(f"curate {args[0]} failed ({done.returncode}); see {log}")


def _row(label: str, c: dict) -> str:
    return f"| {label} | {c['difference']:+.3f} | [{c['ci95_low']:+.3f}, {c['ci95_high']:+.3f}] | {c['n']} |"


def summarize(report: dict, title: str) -> list[str]:
    pm = report["primary_metric"]
    sec = report.get("secondary_metrics") or []
    arms = report["arms"]
    lines = [
        f"### {title}",
        "",
        f"primary metric `{pm}` ({report['primary_metric_reason']}); "
        f"{report['design']['steps']} steps per arm; seeds {report['design']['seeds']}",
        "",
        "| arm | examples | tokens seen | " + " | ".join([pm, *sec]) + " |",
        "|---|---|---|" + "---|" * (1 + len(sec)),
    ]
    for a, s in arms.items():
        tokens = report["tokens_seen"].get(a)
        lines.append(
            f"| {a} | {report['n_train'].get(a, '–')} | {'–' if tokens is None else f'{tokens:,.0f}'} | "
            + " | ".join(f"{s[m]:.3f}" for m in [pm, *sec])
            + " |"
        )
    lines += ["", "| comparison (+ = curated better) | difference | 95% CI | prompts |", "|---|---|---|---|"]
    for m in [pm, *sec]:
        for other in ("baseline", "random"):
            c = report["comparisons"][m].get(f"curated_vs_{other}")
            if c:
                lines.append(_row(f"{m}: curated vs {other}", c))
    for other, groups in (report.get("by_finding_kind") or {}).items():
        for group, by_m in groups.items():
            for m, c in by_m.items():
                lines.append(_row(f"{m}: {other.replace('_vs_', ' vs ')}, prompts about {group} rows", c))
    return lines + [""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "real-case")
    ap.add_argument("--facts", type=int, default=120)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-auto", action="store_true", help="only the expert comparison")
    args = ap.parse_args()
    if not (args.shared / "data" / "natural_instructions_small").is_dir():
        sys.exit(f"{args.shared}/data/natural_instructions_small not found: this benchmark needs ../shared")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    rows, evals, truth = build(args.shared, args.facts, args.seed)
    data, eval_path = out / "facts.jsonl", out / "eval.jsonl"
    for path, items in ((data, rows), (eval_path, evals)):
        path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    n_wrong = sum(not t["correct"] for t in truth)
    n_copies = sum(t["copy_of"] is not None for t in truth)
    print(f"{len(rows)} rows about {len(evals)} facts: {n_wrong} planted wrong answers, {n_copies} copies")
    log, cmp_dir = out / "commands.log", out / "compare"
    timings, reports, findings = {}, {}, []
    for policy in ("expert",) if args.skip_auto else ("expert", "auto"):
        ws = out / f"workspace-{policy}"
        t0 = time.time()
        curate("ingest", str(data), "-w", str(ws), log=log)
        found = out / f"findings-{policy}.jsonl"
        curate("scan", str(data), "-w", str(ws), "--findings-out", str(found), log=log)
        timings[f"ingest_scan_{policy}_s"] = time.time() - t0
        if policy == "expert":
            findings = [json.loads(line) for line in found.read_text().splitlines() if line.strip()]
            res = expert_resolutions(findings, truth)
            (out / "resolutions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in res), encoding="utf-8")
            curate("resolve", str(out / "resolutions.jsonl"), "-w", str(ws), "--dataset", "facts", log=log)
        t0 = time.time()
        curate(
            "compare",
            "-w",
            str(ws),
            "--dataset",
            "facts",
            "--eval",
            str(eval_path),
            "--preset",
            args.preset,
            "--seeds",
            str(args.seeds),
            "--out",
            str(cmp_dir),
            "--policy",
            "auto" if policy == "auto" else "none",
            log=log,
        )
        timings[f"compare_{policy}_s"] = time.time() - t0
        (out / policy).mkdir(exist_ok=True)
        for name in ("report.json", "report.md", "eval_rows.jsonl"):
            shutil.copy(cmp_dir / name, out / policy / name)
        reports[policy] = json.loads((cmp_dir / "report.json").read_text())

    flagged = {r for f in findings if f["kind"] in ("duplicate", "contradiction") for r in f["rows"]}
    wrong_rows = {i for i, t in enumerate(truth) if not t["correct"]}
    lines = [
        "## Real-data case (bench/real_case.py)",
        "",
        f"{len(rows)} rows about {len(evals)} facts ({args.facts // 2} capitals, {args.facts // 2} currencies); "
        f"{n_wrong} planted wrong answers ({len(wrong_rows & flagged)} in a duplicate or contradiction "
        f"finding), {n_copies} planted copies; {len(findings)} findings; "
        f"{len(evals)} eval prompts, preset {args.preset}, {args.seeds} seed(s).",
        "",
    ]
    lines += summarize(reports["expert"], "Expert decisions (`curate resolve`, then `--policy none`)")
    if "auto" in reports:
        lines += summarize(reports["auto"], "No review (`--policy auto`)")
    lines += ["timings: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()), ""]
    (out / "summary.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "summary.json").write_text(
        json.dumps(
            {
                "timings": timings,
                "n_rows": len(rows),
                "n_wrong": n_wrong,
                "n_wrong_flagged": len(wrong_rows & flagged),
                "n_copies": n_copies,
            },
            indent=2,
        )
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
