"""Probe: can a classifier on MiniLM sentence vectors tell conflicting answers from agreeing ones?

    python bench/probe_embedding_nli.py [--workspace DIR] [--out bench/results/embedding_nli_probe.txt]

Issue 15 asks for contradiction precision of at least 0.8 on real data (``bench/real_pairs``).
The rules flag 26 labelled real pairs, 5 of them true; the only models that ship are the
MiniLM encoder and SmolLM2-135M (AUC 0.566 as a judge). This probe measures the cheapest
learned option that needs no new model: a logistic regression on the pair features
``[|u - v|, u * v]`` of the bundled MiniLM, trained on public NLI pairs (SNLI dev+test from
``esnli_snli_devtest`` and ``sick2014`` train, label: contradiction or not), used as a gate
on the pairs the rules flag. It prints:

- cross-dataset AUC (SNLI -> SICK, SICK -> SNLI): does the classifier learn contradiction,
  or the dataset?
- on the pairs the rules flag: the gate's scores per label on the contract's development set
  and the three labelled real sources, and, per threshold, the real precision and how many
  development-set conflicts survive (the dev F1 line needs nearly all of them).

Only coefficients are fitted in memory; no row is written. Needs ``../shared``; says so and
exits 0 without it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "real_pairs"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
DATA = ROOT.parent / "shared" / "data"


def nli_pairs() -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """(premises, hypotheses, label: entailment / neutral / contradiction, source name) from
    SNLI dev+test and SICK train."""
    prem, hyp, label, src = [], [], [], []
    for name in ("snli_dev_esnli.jsonl", "snli_test_esnli.jsonl"):
        for line in (DATA / "esnli_snli_devtest" / name).read_text().splitlines():
            r = json.loads(line)
            if r["label"] in ("entailment", "neutral", "contradiction"):
                prem.append(r["premise"]), hyp.append(r["hypothesis"])
                label.append(r["label"]), src.append("snli")
    for line in (DATA / "sick2014" / "SICK_train.txt").read_text().splitlines()[1:]:
        _, a, b, _, name = line.split("\t")
        prem.append(a), hyp.append(b), label.append(name.lower()), src.append("sick")
    return prem, hyp, np.array(label), np.array(src)


def gate_table(prob: np.ndarray, flagged: list[dict], thresholds: tuple[float, ...], say) -> None:
    """Per threshold of a gate's P(contradiction) on the flagged pairs: the real pairs kept,
    the true ones among them and their precision, and the dev conflicts kept."""
    is_dev = np.array([p["source"] == "dev" for p in flagged])
    label = np.array([p["label"] for p in flagged])
    real_true, dev_conf = (~is_dev) & (label == "conflict"), is_dev & (label == "conflict")
    say("\nthreshold | real flagged, true, precision | dev conflicts kept (of flagged)")
    for t in thresholds:
        keep = prob >= t
        n, tp = int((keep & ~is_dev).sum()), int((keep & real_true).sum())
        say(
            f"  {t:.1f} | {n:3d}, {tp}, {tp / n if n else float('nan'):.3f} | "
            f"{int((keep & dev_conf).sum())}/{int(dev_conf.sum())}"
        )


def reporter() -> tuple:
    """(say, lines): ``say`` prints a line and keeps it in ``lines`` (for ``--out``)."""
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    return say, lines


def pair_features(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.hstack([np.abs(u - v), u * v])


def flagged_pairs(workspace: Path) -> list[dict]:
    """Every labelled candidate pair the rules flag: source, label and the two answers."""
    import bench_rules
    import pairs
    import score
    from curation.detectors.contradiction import Contradictions
    from curation.detectors.features import fields

    det, out = Contradictions(), []

    def collect(source: str, ctx, labels: dict) -> None:
        f = fields(ctx)
        for (i, j), cos in sorted(det.candidates(ctx).items()):
            key = tuple(sorted((f.rows[i], f.rows[j])))
            if key in labels and det.assess(ctx, i, j, cos)[0] == "conflict":
                out.append({"source": source, "label": labels[key], "a": f.answer_core[i], "b": f.answer_core[j]})

    ctx, sets = bench_rules.dev_source(workspace)
    dev = {
        p: lab
        for k, lab in (("contra", "conflict"), ("agree", "agree"), ("compatible", "compatible"), ("dup", "agree"))
        for p in sets[k]
    }
    collect("dev", ctx, dev)
    real = score.load_labels()
    for source in bench_rules.REAL:
        ctx = pairs.context(source, workspace)
        collect(source, ctx, {tuple(sorted(lb["rows"])): lb["label"] for lb in real if lb["source"] == source})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default=str(ROOT / ".workspace" / "bench"))
    ap.add_argument("--out", default=None, help="also write the report here")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"no public data at {DATA}: nothing to probe")
        return 0
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from curation.scan import ScanSettings, make_embedder

    say, lines = reporter()
    emb = make_embedder(ScanSettings(), Path(args.workspace), None)
    prem, hyp, label_names, src = nli_pairs()
    y = label_names == "contradiction"
    texts = sorted(set(prem) | set(hyp))
    vecs = emb.encode(texts)
    at = {t: k for k, t in enumerate(texts)}
    x = pair_features(vecs[[at[t] for t in prem]], vecs[[at[t] for t in hyp]])
    say(
        f"NLI pairs: {int((src == 'snli').sum())} SNLI, {int((src == 'sick').sum())} SICK; {int(y.sum())} contradictions"
    )
    for train, test in (("snli", "sick"), ("sick", "snli")):
        m = LogisticRegression(max_iter=2000).fit(x[src == train], y[src == train])
        auc = roc_auc_score(y[src == test], m.predict_proba(x[src == test])[:, 1])
        say(f"  trained on {train}, AUC on {test}: {auc:.3f}")
    gate = LogisticRegression(max_iter=2000).fit(x, y)

    flagged = flagged_pairs(Path(args.workspace))
    a, b = emb.encode([p["a"] for p in flagged]), emb.encode([p["b"] for p in flagged])
    prob = (gate.predict_proba(pair_features(a, b))[:, 1] + gate.predict_proba(pair_features(b, a))[:, 1]) / 2
    is_dev = np.array([p["source"] == "dev" for p in flagged])
    label = np.array([p["label"] for p in flagged])
    say(f"\nPairs the rules flag: {int(is_dev.sum())} dev, {int((~is_dev).sum())} real")
    say("gate P(contradiction) by label: n, quartiles (25/50/75%)")
    for where, sel in (("dev", is_dev), ("real", ~is_dev)):
        for lab in ("conflict", "compatible", "agree", "different"):
            s = prob[sel & (label == lab)]
            if len(s):
                q = np.percentile(s, [25, 50, 75])
                say(f"  {where:4s} {lab:10s} n={len(s):3d}  {q[0]:.2f} {q[1]:.2f} {q[2]:.2f}")
    real_true = (~is_dev) & (label == "conflict")
    say(
        f"  AUC among real flagged pairs (conflict vs the rest): {roc_auc_score(real_true[~is_dev], prob[~is_dev]):.3f}"
    )
    gate_table(prob, flagged, (0.0, 0.1, 0.2, 0.3, 0.5), say)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
