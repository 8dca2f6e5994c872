"""Benchmark: paraphrase (near-duplicate prompt) detection on held-out pair sources.

usage: python bench/bench_paraphrase.py [--shared ../shared] [--workspace DIR] [SET ...]

The contract's development set (``shared/contract/sample/paraphrase.jsonl``) is built from
the 200 QQP pairs of ``t0_p3_per_template`` and STS 2016 question-question pairs (gold 4-5:
duplicate, 0-1: not; every scored question-question pair shares a row with it). The project is judged on sets "built the same way from other rows and
other pair sources", so this benchmark builds such sets from the labelled pairs in
``../shared/data`` that the development set does not use, scans each one as a prompt-only
file with ``run_scan`` (default settings) and scores it like ``score.py`` (pairs; a
prediction that is neither a true nor a hard-negative pair is a false positive too).

Peer: the plain MiniLM cosine-threshold baseline the contract quotes, at threshold 0.8 and,
as an upper bound no fixed threshold beats, at the best threshold in hindsight per set.

Sets (each: both sides of every pair become rows; duplicates of a text are merged):
  dev        the contract's development set itself (for reference)
  sts-aa     STS 2016 answer-answer pairs (StackExchange answers)
  headlines  STS 2016 headlines
  mrpc       MSR paraphrase corpus, test split (1: paraphrase, 0: not), first 400 pairs
  paws       PAWS pairs (word-swapped adversarial negatives) from t0_p3
  sick       SICK test (relatedness >= 4.5: paraphrase, <= 2: not), first 400 pairs
The ``../shared`` data is absent in a fresh clone: then this says so and exits 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

Pairs = list[tuple[str, str, bool]]


def _sts(path: Path) -> Pairs:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        gold, a, b = (line.split("\t") + ["", ""])[:3]
        if not gold.strip():
            continue
        g = float(gold)
        if g >= 4 or g <= 1:
            out.append((a, b, g >= 4))
    return out


def _mrpc(path: Path, limit: int = 400) -> Pairs:
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]:
        q, _, _, a, b = line.split("\t")
        out.append((a, b, q == "1"))
    return out[:limit]


def _paws(path: Path) -> Pairs:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        m = re.match(r"Sentence 1: (.*)\nSentence 2: (.*)\nQuestion:", row["prompt"], re.S)
        if m:
            out.append((m.group(1), m.group(2), row["completion"].startswith("Yes")))
    return out


def _sick(path: Path, limit: int = 400) -> Pairs:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        _, a, b, rel, _ = line.split("\t")[:5]
        r = float(rel)
        if r >= 4.5 or r <= 2:
            out.append((a, b, r >= 4.5))
    return out[:limit]


def build_sets(shared: Path) -> dict[str, tuple[list[str], set, set]]:
    """name -> (rows, duplicate pairs, non-duplicate pairs); pairs are sorted row indices."""
    data, sample = shared / "data", shared / "contract" / "sample"
    sets: dict[str, tuple[list[str], set, set]] = {}
    dev_rows = [json.loads(x)["prompt"] for x in (sample / "paraphrase.jsonl").read_text().splitlines()]
    truth = json.loads((sample / "truth.json").read_text())["paraphrase"]
    sets["dev"] = (dev_rows, {tuple(p) for p in truth["dup"]}, {tuple(p) for p in truth["neg"]})
    sources: dict[str, Pairs] = {
        "sts-aa": _sts(data / "sts2016" / "answer-answer.test.tsv"),
        "headlines": _sts(data / "sts2016" / "headlines.test.tsv"),
        "mrpc": _mrpc(data / "mrpc_msr" / "msr-para-test.tsv"),
        "paws": _paws(data / "t0_p3_per_template" / "paws_labeled_final_Meaning.jsonl"),
        "sick": _sick(data / "sick2014" / "SICK_test_annotated.txt"),
    }
    for name, pairs in sources.items():
        index: dict[str, int] = {}
        dup, neg = set(), set()
        for a, b, same in pairs:
            ia, ib = index.setdefault(a, len(index)), index.setdefault(b, len(index))
            if ia != ib:
                (dup if same else neg).add((min(ia, ib), max(ia, ib)))
        neg -= dup
        sets[name] = (list(index), dup, neg)
    return sets


def score(pred: set, dup: set, neg: set) -> dict:
    tp = len(pred & dup)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(dup) if dup else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "p": round(p, 3),
        "r": round(r, 3),
        "f1": round(f, 3),
        "neg_fp": round(len(pred & neg) / max(1, len(neg)), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", help="sets to run (default: all)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--workspace", default=str(ROOT / ".workspace" / "bench"))
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "contract" / "sample" / "truth.json").exists():
        print(f"no shared data at {shared}: nothing to benchmark (it ships with ../shared, not the repo)")
        return 0
    import numpy as np

    from curation.embeddings import Embedder
    from curation.formats import read_examples
    from curation.scan import run_scan

    sets = build_sets(shared)
    unknown = set(args.sets) - set(sets)
    if unknown:
        ap.error(f"unknown set(s) {', '.join(sorted(unknown))}; known: {', '.join(sets)}")
    cache = Path(args.workspace)
    cache.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(cache_dir=cache / "embeddings")
    totals = {"ours": [], "cos0.8": [], "cos-best": []}
    print(
        f"{'set':10s} {'rows':>5s} {'dup':>4s} {'neg':>4s}  {'ours P/R/F1 (neg FP)':28s} "
        f"{'cosine 0.8':22s} {'cosine, best thr in hindsight':30s} secs"
    )
    for name in args.sets or list(sets):
        rows, dup, neg = sets[name]
        path = cache / f"paraphrase-{name}.jsonl"
        path.write_text("".join(json.dumps({"prompt": t}, ensure_ascii=False) + "\n" for t in rows))
        examples = read_examples(path).examples
        t0 = time.perf_counter()
        result = run_scan(examples, cache_dir=cache)
        took = time.perf_counter() - t0
        pred = set()
        for f in result.findings:
            if f.kind == "duplicate":
                pred.update(itertools.combinations(sorted(f.rows), 2))
        ours = score(pred, dup, neg)
        emb = embedder.encode(rows)
        sims = emb @ emb.T
        iu = np.triu_indices(len(rows), 1)
        order = np.argsort(-sims[iu])
        cand = list(zip(iu[0][order].tolist(), iu[1][order].tolist(), sims[iu][order].tolist()))
        base = score({(a, b) for a, b, s in cand if s >= 0.8}, dup, neg)
        best, thr = {"f1": -1}, 0.0
        for t in np.arange(0.5, 0.99, 0.01):
            s = score({(a, b) for a, b, c in cand[: 20 * len(dup) + 100] if c >= t}, dup, neg)
            if s["f1"] > best["f1"]:
                best, thr = s, float(t)
        fmt = lambda s: f"{s['p']:.3f}/{s['r']:.3f}/{s['f1']:.3f} ({s['neg_fp']:.3f})"  # noqa: E731
        print(
            f"{name:10s} {len(rows):5d} {len(dup):4d} {len(neg):4d}  {fmt(ours):28s} {fmt(base):22s} "
            f"{fmt(best)} @{thr:.2f}   {took:5.1f}",
            flush=True,
        )
        if name != "dev":
            totals["ours"].append(ours["f1"]), totals["cos0.8"].append(base["f1"])
            totals["cos-best"].append(best["f1"])
    if totals["ours"]:
        print("mean F1 over the held-out sets: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in totals.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
