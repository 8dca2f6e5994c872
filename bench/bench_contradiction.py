"""Benchmark: contradiction detection on held-out question/answer sets and the demo data.

usage: python bench/bench_contradiction.py [--shared ../shared] [--workspace DIR] [SET ...]

The contract's development set (``shared/contract/sample/contra.jsonl``) pairs TruthfulQA
answers (correct vs incorrect: contradictions; two correct ones: compatible) with reworded
answers that agree ("Kathmandu" / "The capital is Kathmandu."). The project is judged on
sets built the same way from other rows, so this benchmark builds such sets from rows the
development set does not use, scans each with ``run_scan`` (default settings) and scores
the ``contradiction`` findings like ``score.py``: pairs; compatible pairs are neither right
nor wrong; agree FP is the share of agreeing pairs called contradictions.

Sets:
  dev        the contract's development set itself (for reference)
  truthfulqa TruthfulQA questions absent from the development set, one pair each: the best
             answer against an incorrect one (contra), another correct one (compatible) or
             itself with an opener or a closing line (agree)
  capitals   country capitals (Super-NaturalInstructions task 1146) absent from the
             development set, one pair each: the capital stated two ways (agree), or once
             with another country's capital (contra)
  numbers    Dolly open-QA answers with a number absent from the development set: the
             number changed (contra) or the answer reworded (agree)
Like the development set, the second row of a pair asks the request typed differently
(spacing, case, punctuation, a wrapper), the pairs are disjoint, and the first two sets
are shuffled among unrelated Dolly questions (whose pairs all count as false positives).
  demo       this project's demo data (data/demo): answers that state the current and the
             outdated value of one planted fact contradict; two answers stating the same
             value agree; other pairs are scored as false positives
Peer: the plain similarity baseline the contract quotes (request cosine at least 0.9 and
answer cosine below 0.8 with the bundled MiniLM: contradiction). The ``../shared`` sets are absent in a fresh
clone: then only the demo set runs.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

Set = tuple[list[tuple[str, str]], set, set, set]  # rows (request, answer); contra; agree; compatible


def _pairs(groups: list[list[int]]) -> set:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def _dev(sample: Path) -> Set:
    rows = []
    for line in (sample / "contra.jsonl").read_text(encoding="utf-8").splitlines():
        m = json.loads(line)["messages"]
        rows.append((m[0]["content"], m[-1]["content"]))
    t = json.loads((sample / "truth.json").read_text())["contra"]
    return rows, {tuple(p) for p in t["contra"]}, {tuple(p) for p in t["agree"]}, {tuple(p) for p in t["compatible"]}


_OPENERS = ("Sure! ", "Certainly. ", "Here you go: ")
_CLOSERS = (" I hope this helps.", " Let me know if you have other questions.")


def _ask_again(q: str, rng: random.Random) -> str:
    """The same request typed differently (spacing, case, punctuation, a wrapper)."""
    return rng.choice(
        [
            lambda s: s.replace(" ", "  ", 2),
            lambda s: s.rstrip("?") if s.endswith("?") else s + "?",
            lambda s: s[0].lower() + s[1:],
            lambda s: "Please answer this question.\n" + s,
            lambda s: s,
        ]
    )(q)


def _reword(answer: str, rng: random.Random) -> str:
    return (rng.choice(_OPENERS) + answer) if rng.random() < 0.5 else answer.rstrip(".") + "." + rng.choice(_CLOSERS)


def _add_pair(rows: list, q: str, a: str, b: str, rng: random.Random) -> tuple[int, int]:
    rows += [(q, a), (_ask_again(q, rng), b)]
    return len(rows) - 2, len(rows) - 1


def _truthfulqa(path: Path, seen: set[str], limit: int = 300) -> Set:
    """One pair per question: best vs incorrect (contra), best vs another correct answer
    (compatible) or best vs the best reworded (agree)."""
    rng = random.Random(7)
    rows: list[tuple[str, str]] = []
    contra, agree, compatible = set(), set(), set()
    questions = [q for q in csv.DictReader(path.open(encoding="utf-8")) if q["Question"] not in seen]
    for q in questions[:limit]:
        best = q["Best Answer"].strip()
        right = [a.strip() for a in q["Correct Answers"].split(";") if a.strip() and a.strip() != best]
        wrong = [a.strip() for a in q["Incorrect Answers"].split(";") if a.strip()]
        roll = rng.random()
        if roll < 0.55 and wrong:
            contra.add(_add_pair(rows, q["Question"], best, rng.choice(wrong), rng))
        elif roll < 0.8 and right:
            compatible.add(_add_pair(rows, q["Question"], best, rng.choice(right), rng))
        else:
            agree.add(_add_pair(rows, q["Question"], best, _reword(best, rng), rng))
    return rows, contra, agree, compatible


def _capitals(path: Path, seen_text: str) -> Set:
    """One pair per country: the capital stated two ways (agree) or the capital and another
    country's capital (contra)."""
    rng = random.Random(11)
    items = [
        (i["input"], i["output"][0])
        for i in json.loads(path.read_text())["Instances"]
        if i["input"] not in seen_text and i["output"] and "[" not in i["output"][0]
    ]
    rows: list[tuple[str, str]] = []
    contra, agree = set(), set()
    for k, (country, capital) in enumerate(items):
        q = rng.choice(
            ["What is the capital of {}?", "Which city is the capital of {}?", "{}: which city is its capital?"]
        ).format(country)
        forms = [
            capital,
            f"The capital of {country} is {capital}.",
            f"The capital is {capital}.",
            f"{capital} is the capital city of {country}.",
        ]
        a, b = rng.sample(forms, 2)
        if rng.random() < 0.5:
            other = items[(k + 1 + rng.randrange(len(items) - 1)) % len(items)][1]
            contra.add(_add_pair(rows, q, a, b.replace(capital, other), rng))
        else:
            agree.add(_add_pair(rows, q, a, b, rng))
    return rows, contra, agree, set()


_NUMBER = re.compile(r"\b\d+\b")


def _numbers_changed(path: Path, seen_text: str, limit: int = 250) -> Set:
    """Open QA answers with a number: the number changed (contra) or the answer reworded (agree)."""
    rng = random.Random(5)
    rows: list[tuple[str, str]] = []
    contra, agree = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        q, a = r["instruction"], r["response"].strip()
        if q in seen_text or not _NUMBER.search(a) or len(a) > 600:
            continue
        if rng.random() < 0.5:
            m = rng.choice(list(_NUMBER.finditer(a)))
            changed = a[: m.start()] + str(int(m.group()) * 2 + 1) + a[m.end() :]
            contra.add(_add_pair(rows, q, a, changed, rng))
        else:
            agree.add(_add_pair(rows, q, a, _reword(a, rng), rng))
        if len(rows) >= 2 * limit:
            break
    return rows, contra, agree, set()


def _distractors(path: Path, seen_text: str, limit: int = 600) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["instruction"] not in seen_text and r["response"]:
            out.append((r["instruction"], r["response"]))
    return out[-limit:]


def _with(base: Set, extra: list[tuple[str, str]], rng: random.Random) -> Set:
    """The pairs shuffled among unrelated rows, as in the development set."""
    rows, contra, agree, compatible = base
    allrows = rows + extra
    order = list(range(len(allrows)))
    rng.shuffle(order)
    where = {old: new for new, old in enumerate(order)}
    move = lambda ps: {tuple(sorted((where[a], where[b]))) for a, b in ps}  # noqa: E731
    return [allrows[o] for o in order], move(contra), move(agree), move(compatible)


def _demo() -> Set:
    rows = []
    for line in (ROOT / "data" / "demo" / "train.jsonl").read_text(encoding="utf-8").splitlines():
        m = json.loads(line)["messages"]
        rows.append(
            (
                next(t["content"] for t in reversed(m) if t["role"] == "user"),
                next(t["content"] for t in reversed(m) if t["role"] == "assistant"),
            )
        )
    truth = json.loads((ROOT / "data" / "demo" / "truth.json").read_text())["contradictions"]
    contra = {tuple(sorted(p)) for g in truth for p in itertools.product(g["correct_rows"], g["outdated_rows"])}
    agree = _pairs([g["correct_rows"] for g in truth] + [g["outdated_rows"] for g in truth])
    return rows, contra, agree, set()


def build_sets(shared: Path) -> dict[str, Set]:
    sets: dict[str, Set] = {}
    sample = shared / "contract" / "sample"
    if (sample / "truth.json").exists():
        sets["dev"] = _dev(sample)
        seen = {r for r, _ in sets["dev"][0]}
        text = "\n".join(seen)
        extra = _distractors(shared / "data" / "dolly_open_qa_chinkara" / "dolly_open_qa.jsonl", text)
        rng = random.Random(3)
        sets["truthfulqa"] = _with(
            _truthfulqa(shared / "data" / "truthfulqa" / "TruthfulQA.csv", seen), extra[:300], rng
        )
        sets["capitals"] = _with(
            _capitals(shared / "data" / "natural_instructions_small" / "task1146_country_capital.json", text),
            extra[300:],
            rng,
        )
        sets["numbers"] = _numbers_changed(shared / "data" / "dolly_open_qa_chinkara" / "dolly_open_qa.jsonl", text)
    sets["demo"] = _demo()
    return sets


def _review_items(found: list, contra: set) -> tuple[int, int]:
    """How many review items (disagreements) the findings make, and how many of them join
    true conflicts about different questions (true pairs that share no row, and no row with
    a true pair between them: each planted question is its own connected set of rows)."""
    from curation.detectors.graph import UnionFind

    questions = UnionFind()
    for a, b in contra:
        questions.union(a, b)
    items: dict[str, set] = {}
    for f in found:
        pair = tuple(sorted(f.rows)[:2])
        items.setdefault(f.evidence.get("disagreement", f.finding_id), set())
        if pair in contra:
            items[f.evidence.get("disagreement", f.finding_id)].add(questions.find(pair[0]))
    return len(items), sum(len(q) > 1 for q in items.values())


def score(pred: set, contra: set, agree: set, compatible: set) -> dict:
    pred = pred - compatible
    tp = len(pred & contra)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(contra) if contra else 0.0
    return {
        "p": p,
        "r": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "agree_fp": len(pred & agree) / max(1, len(agree)),
        "n": len(pred),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", help="sets to run (default: all)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--workspace", default=str(ROOT / ".workspace" / "bench"))
    ap.add_argument("--show", type=int, default=0, help="print this many false positives per set")
    args = ap.parse_args()
    import numpy as np

    from curation.embeddings import Embedder
    from curation.formats import read_examples
    from curation.scan import run_scan

    sets = build_sets(Path(args.shared))
    if "dev" not in sets:
        print(f"no shared data at {args.shared}: only the demo set runs")
    unknown = set(args.sets) - set(sets)
    if unknown:
        ap.error(f"unknown set(s) {', '.join(sorted(unknown))}; known: {', '.join(sets)}")
    cache = Path(args.workspace)
    cache.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(cache_dir=cache / "embeddings")
    print(
        f"{'set':10s} {'rows':>5s} {'contra':>6s} {'agree':>5s}  {'ours P/R/F1 (agree FP) findings':36s} "
        f"{'similarity baseline':28s} secs  review items (merging two questions)"
    )
    for name in args.sets or list(sets):
        rows, contra, agree, compatible = sets[name]
        path = cache / f"contradiction-{name}.jsonl"
        path.write_text(
            "".join(
                json.dumps(
                    {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]},
                    ensure_ascii=False,
                )
                + "\n"
                for q, a in rows
            )
        )
        t0 = time.perf_counter()
        result = run_scan(read_examples(path).examples, cache_dir=cache)
        took = time.perf_counter() - t0
        found = [f for f in result.findings if f.kind == "contradiction"]
        pred = {p for f in found for p in itertools.combinations(sorted(f.rows), 2)}
        ours = score(pred, contra, agree, compatible)
        req = embedder.encode([q for q, _ in rows])
        ans = embedder.encode([a for _, a in rows])
        same = np.triu(req @ req.T >= 0.9, 1)
        base_pred = {(int(a), int(b)) for a, b in zip(*np.nonzero(same)) if float(np.dot(ans[a], ans[b])) < 0.8}
        base = score(base_pred, contra, agree, compatible)
        fmt = lambda s: f"{s['p']:.3f}/{s['r']:.3f}/{s['f1']:.3f} ({s['agree_fp']:.3f})"  # noqa: E731
        items, mixed = _review_items(found, contra)
        print(
            f"{name:10s} {len(rows):5d} {len(contra):6d} {len(agree):5d}  {fmt(ours)} {len(found):6d}"
            f"{'':9s} {fmt(base):28s} {took:5.1f}  {items} ({mixed})",
            flush=True,
        )
        for f in [f for f in found if tuple(sorted(f.rows)[:2]) not in contra | compatible][: args.show]:
            a, b = sorted(f.rows)[:2]
            print(f"   FP {f.score:.2f} {f.reason[:150]}\n      A {rows[a][1][:140]!r}\n      B {rows[b][1][:140]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
