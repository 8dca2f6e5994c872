"""Rule quality per id: how often each contradiction rule decides, how often it is right, and
what F1 would be without it, on the development set and on held-out public pair sets.

    python bench/bench_rules.py [--out bench/results/rules.md] [--rules contra.claim_words ...]

Sources:
- ``dev``: the findings contract's development set (``../shared/contract/sample/contra.jsonl``
  with ``truth.json``): planted conflicts, agreeing rewordings, compatible answers.
- three held-out public sources labelled by reading (``bench/real_pairs``): Dolly 3k, the
  9k Alpaca sample, and two models' answers to the 252 self-instruct tasks. Their labels
  were never used to set a threshold of the detector.

Per rule and source: ``decides`` is how many candidate pairs the rule's step decided (for a
rule that fires: pairs it flagged; for one that clears: pairs it cleared), ``right`` how many
of those the truth agrees with (a flagged pair is a true conflict; a cleared pair is not),
and ``F1 without`` the contradiction F1 with that rule switched off (``Contradictions(off=[id])``:
its step passes and later steps decide). Dev F1 is the contract's (reported pairs, compatible
pairs neither rewarded nor penalised); real-data F1 is over the labelled pairs. A rule that
fires pays for itself when F1 drops without it. Needs ``../shared``; says so and exits 0
without it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "real_pairs"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
CONTRACT = ROOT.parent / "shared" / "contract"
REAL = ("dolly_3k", "alpaca_9k", "self_instruct_003_002")


def dev_source(workspace: Path):
    """(ctx, truth) for the development set."""
    from curation.detectors.base import ScanContext
    from curation.formats import read_examples
    from curation.scan import ScanSettings, make_embedder

    truth = json.loads((CONTRACT / "sample" / "truth.json").read_text())["contra"]
    examples = list(read_examples(CONTRACT / "sample" / "contra.jsonl").examples)
    ctx = ScanContext(examples=examples, embedder=make_embedder(ScanSettings(), workspace, None))
    sets = {k: {tuple(sorted(p)) for p in truth[k]} for k in ("contra", "agree", "compatible", "dup")}
    return ctx, sets


def verdicts(ctx, det) -> dict[tuple[int, int], tuple[str, list[str]]]:
    """(status, rule ids) per candidate pair, keyed by rows."""
    from curation.detectors.features import fields

    f = fields(ctx)
    out = {}
    for (i, j), cos in det.candidates(ctx).items():
        status, _, _, ev = det.assess(ctx, i, j, cos)
        out[tuple(sorted((f.rows[i], f.rows[j])))] = (status, [e["id"] for e in ev.get("rules", [])])
    return out


def dev_f1(ctx, sets, det) -> float:
    """The contract's contra F1: pairs of reported findings, compatible pairs set aside."""
    ctx.cache.pop("conflict_pairs", None)
    pred = set()
    for fnd in det.detect(ctx):
        pred.update(itertools.combinations(sorted(fnd.rows), 2))
    pred -= sets["compatible"]
    tp = len(pred & sets["contra"])
    p, r = tp / max(1, len(pred)), tp / max(1, len(sets["contra"]))
    return 2 * p * r / (p + r) if p + r else 0.0


def real_f1(ctx, labels: dict, det) -> tuple[float, float, int]:
    """(F1, precision, flagged) over the labelled pairs of one real source."""
    import pairs

    flagged = {p for p in pairs.flagged(ctx, det) if p in labels}
    tp = sum(labels[p] == "conflict" for p in flagged)
    n = sum(v == "conflict" for v in labels.values())
    p, r = tp / max(1, len(flagged)), tp / max(1, n)
    return (2 * p * r / (p + r) if p + r else 0.0), p, len(flagged)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default=str(ROOT / ".workspace" / "bench"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "rules.md"))
    ap.add_argument("--rules", nargs="*", help="only these rule ids (default: every contra rule)")
    args = ap.parse_args()
    if not CONTRACT.exists():
        print(f"no development set at {CONTRACT}: nothing to measure")
        return 0
    import pairs
    import score

    from curation.detectors.contradiction import Contradictions
    from curation.detectors.rules import RULES

    t0 = time.perf_counter()
    ws = Path(args.workspace)
    ids = args.rules or sorted(r for r in RULES if r.startswith("contra."))
    sources = {"dev": dev_source(ws)}
    labels = {}
    for lb in score.load_labels():
        labels.setdefault(lb["source"], {})[tuple(sorted(lb["rows"]))] = lb["label"]
    for src in REAL:
        sources[src] = (pairs.context(src, ws), labels[src])

    base = Contradictions()
    table: dict[str, dict[str, dict]] = {rid: {} for rid in ids}
    real_flags: dict[str, set] = {"all on": set()}  # (source, rows) flagged, per ablation
    dev_f1s = {"all on": None}
    for name, (ctx, truth) in sources.items():
        v = verdicts(ctx, base)
        if name == "dev":
            dev_f1s["all on"] = dev_f1(ctx, truth, base)
        else:
            real_flags["all on"] |= {(name, p) for p in pairs.flagged(ctx, base) if p in truth}
        for rid in ids:
            decided = [(p, st) for p, (st, rs) in v.items() if rs and rs[0] == rid or (st == "conflict" and rid in rs)]
            if name == "dev":
                judged = [(p, st) for p, st in decided if p not in truth["compatible"]]
                right = sum((p in truth["contra"]) == (st == "conflict") for p, st in judged)
            else:
                judged = [(p, st) for p, st in decided if p in truth]
                right = sum((truth[p] == "conflict") == (st == "conflict") for p, st in judged)
            table[rid][name] = {"decides": len(decided), "judged": len(judged), "right": right}
            det = Contradictions(off=[rid])
            if name == "dev":
                dev_f1s[rid] = dev_f1(ctx, truth, det)
            else:
                real_flags.setdefault(rid, set()).update((name, p) for p in pairs.flagged(ctx, det) if p in truth)
        print(f"{name}: done ({time.perf_counter() - t0:.0f} s)", flush=True)

    conflicts = {(s, p) for s in REAL for p, lab in sources[s][1].items() if lab == "conflict"}

    def real_prf(flags: set) -> tuple[float, float, float, int]:
        tp = len(flags & conflicts)
        prec, rec = tp / max(1, len(flags)), tp / max(1, len(conflicts))
        return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0), len(flags)

    p0, r0, f0, n0 = real_prf(real_flags["all on"])
    lines = [
        "| rule | effect | dev: decides / right | dev F1 without | real: decides / right "
        "(Dolly, Alpaca, self-instruct) | real without: flagged, precision, recall, F1 |",
        "|---|---|---|---|---|---|",
        f"| (all rules on) | | | {dev_f1s['all on']:.3f} | | {n0}, {p0:.3f}, {r0:.3f}, {f0:.3f} |",
    ]
    for rid in ids:
        d = table[rid]["dev"]
        dec = sum(table[rid][s]["decides"] for s in REAL)
        jud = sum(table[rid][s]["judged"] for s in REAL)
        rig = sum(table[rid][s]["right"] for s in REAL)
        per = ", ".join(str(table[rid][s]["decides"]) for s in REAL)
        p, r, f, n = real_prf(real_flags[rid])
        dev_right = f"{d['right']}/{d['judged']}" if d["judged"] else "-"
        lines.append(
            f"| `{rid}` | {RULES[rid].effect} | {d['decides']} / {dev_right} | "
            f"{dev_f1s[rid]:.3f} ({dev_f1s[rid] - dev_f1s['all on']:+.3f}) | "
            f"{dec} / {f'{rig}/{jud}' if jud else '-'} ({per}) | "
            f"{n}, {p:.3f} ({p - p0:+.3f}), {r:.3f}, {f:.3f} ({f - f0:+.3f}) |"
        )
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# Rule quality per id ({time.strftime('%Y-%m-%d')})\n\n"
        "`python bench/bench_rules.py`: decides = candidate pairs the rule's step decided; right = "
        "those the truth agrees with (a flagged pair is a conflict, a cleared one is not; dev: "
        "compatible pairs set aside; real: labelled pairs of the three held-out sources pooled); "
        "without = the rule switched off (change against all rules on).\n\n" + text + "\n"
    )
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
