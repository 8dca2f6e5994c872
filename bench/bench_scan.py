"""Benchmark: our scan (cold and warm cache) against SemHash and datasketch MinHash alone.

usage: python bench/bench_scan.py [--n 50000] [--shared ../shared] [--skip semhash,...]

Builds ``--n`` instruction/answer examples from the public sets in ``shared/data`` (absent in a
fresh clone: it says so and exits 0), exact-deduplicated, then plants realistic duplicates of
random rows (copies, typos, re-cased, wrapped, truncated answers). Every method runs in its own
subprocess (so peak memory is its own) on the same file, in one run:

- ours-cold-torch: ``run_scan`` with every default detector (what ``curate scan`` runs), empty
  embedding cache and memo, the bundled MiniLM on sentence-transformers (torch);
- ours-cold-onnx: the same with the fused fp32 ONNX Runtime encoder;
- ours-cold: the same with the default encoder (``embedding_backend = "auto"``: the MiniLM
  with bfloat16 matrix products on a CPU that has them in hardware, else ONNX Runtime where
  installed), in this process;
- ours-ray-cold: the same on ``--engine ray``: a local Ray with ``--ray-workers`` (2) workers
  embedding and MinHashing chunks, the rest on the driver;
- ours-warm: the ONNX scan again on its now-filled caches (a re-scan);
- ours-dups-warm: the duplicates detector alone on the warm caches (the part SemHash does);
- semhash: ``SemHash.from_records`` on request + answer columns with the same MiniLM, threshold 0.9;
- datasketch: MinHash LSH (128 perms, threshold 0.8) over word 3-gram shingles alone.

Precision and recall are measured on planted duplicates: a predicted pair counts when it
touches a planted row (pairs among untouched source rows are ignored, since the sources
hold near-duplicates of their own that nobody labelled). Peak memory is the highest sum of
resident memory over the phase's process and its children (Ray's raylet, object store and
workers), sampled every 0.2 s, or the process's own peak when higher: for Ray an upper
bound, since pages shared between its processes count once per process.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WRAP_Q = ["Question: {}", "I need help with something. {}", "{} Answer concisely.", "{} Thanks in advance!"]
WRAP_A = ["Sure! {}", "Of course! {}", "Here you go: {}", "{} Let me know if you need more detail."]


def load_pool(data: Path) -> list[tuple[str, str]]:
    """(request, answer) pairs from several public instruction sets, exact-deduplicated."""
    pool: list[tuple[str, str]] = []
    for name in (
        "alpagasus_filtered/random_9k.json",
        "alpagasus_filtered/claude_t45.json",
        "alpagasus_filtered/dolly_3k.json",
        "llamafactory_demo/alpaca_en_demo.json",
    ):
        for r in json.loads((data / name).read_text()):
            extra = r.get("input") or r.get("context") or ""
            pool.append(
                (r["instruction"] + ("\n\n" + extra if extra else ""), r.get("output") or r.get("response", ""))
            )
    for line in (data / "halueval_general/general_data.json").open():  # JSON Lines despite the name
        r = json.loads(line)
        pool.append((r["user_query"], r["chatgpt_response"]))
    for line in (data / "dolly_open_qa_chinkara/dolly_open_qa.jsonl").open():
        r = json.loads(line)
        pool.append((r["instruction"], r["response"]))
    for f in sorted((data / "t0_p3_per_template").glob("*.jsonl")):
        for line in f.open():
            r = json.loads(line)
            pool.append((r["prompt"].strip(), r["completion"].replace("<|endoftext|>", "").strip()))
    for f in ("snli_dev_esnli.jsonl", "snli_test_esnli.jsonl"):
        for line in (data / "esnli_snli_devtest" / f).open():
            r = json.loads(line)
            expl = (r.get("explanations") or [""])[0]
            question = (
                f"Premise: {r['premise']}\nHypothesis: {r['hypothesis']}\nDoes the premise entail the hypothesis?"
            )
            pool.append((question, f"{r['label']}. {expl}".strip()))
    return dedup(pool)


def load_extra_pool(data: Path) -> list[tuple[str, str]]:
    """More (request, answer) pairs, for sets larger than ``load_pool`` can fill.

    The 50k set never reads these (it stays the set every earlier run used). Sentence-pair
    corpora become pair questions, as the SNLI rows in ``load_pool`` do; the self-instruct
    requests come with each of their eight model answers.
    """
    pool: list[tuple[str, str]] = []
    for name in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt"):
        for line in (data / "sick2014" / name).open(encoding="utf-8").readlines()[1:]:
            f = line.rstrip("\n").split("\t")
            if len(f) >= 5:
                q = f"Sentence A: {f[1]}\nSentence B: {f[2]}\nHow related are they (1-5), and does A entail B?"
                pool.append((q, f"{f[3]}. {f[4].capitalize()}."))
    for name in ("msr-para-train.tsv", "msr-para-val.tsv", "msr-para-test.tsv"):
        for line in (data / "mrpc_msr" / name).open(encoding="utf-8-sig").readlines()[1:]:
            f = line.rstrip("\n").split("\t")
            if len(f) == 5:
                pool.append(
                    (
                        f"Is the second sentence a paraphrase of the first?\n1. {f[3]}\n2. {f[4]}",
                        "Yes." if f[0] == "1" else "No.",
                    )
                )
    for f in sorted((data / "sts2016").glob("*.tsv")):
        for line in f.open(encoding="utf-8"):
            _, a, b = (line.rstrip("\n").split("\t") + ["", "", ""])[:3]
            if a and b:
                pool.append((f"Rewrite this sentence in other words:\n{a}", b))
    for f in sorted((data / "self_instruct_user_oriented" / "predictions").glob("*.jsonl")):
        for line in f.open():
            r = json.loads(line)
            pool.append((r["instruction"] + ("\n\n" + r["input"] if r.get("input") else ""), r["response"].strip()))
    with (data / "truthfulqa" / "TruthfulQA.csv").open(newline="") as fh:
        pool += [(r["Question"], r["Best Answer"]) for r in csv.DictReader(fh)]
    for line in (data / "oasst_guanaco_llama2_1k" / "guanaco_1k_messages.jsonl").open():
        m = json.loads(line)["messages"]
        if len(m) >= 2:
            pool.append((m[0]["content"], m[1]["content"]))
    return pool


def pair_text_key(q: str, a: str) -> str:
    """What two pairs share when they are the same up to case and spacing."""
    return " ".join((q + "\x1f" + a).casefold().split())


def dedup(pool: list[tuple[str, str]], seen: set[str] | None = None) -> list[tuple[str, str]]:
    """Pairs with both sides non-empty, the first of each casefolded, space-normalised pair."""
    seen = set() if seen is None else seen
    out = []
    for q, a in pool:
        key = pair_text_key(q, a)
        if q.strip() and a.strip() and key not in seen:
            seen.add(key)
            out.append((q, a))
    return out


def fill_pool(data: Path, n: int, seed: int = 11) -> list[tuple[str, str]]:
    """A pool large enough for ``plant(pool, n)``.

    Up to 50,000 rows this is ``load_pool`` alone, as every earlier run built it. Past that the
    public sets run out (55,274 distinct pairs, ~82,000 with ``load_extra_pool``), so the rest
    are two-part requests: two random distinct pool requests asked together, answered by their
    two answers. They are realistic multi-task prompts, distinct from each other and from
    their parts, and no planted group is built around them unless ``plant`` picks one.
    """
    pool = load_pool(data)
    need = n - n // 6
    if need <= len(pool):
        return pool
    seen = {pair_text_key(q, a) for q, a in pool}
    pool += dedup(load_extra_pool(data), seen)
    rng, parts = random.Random(seed), list(pool)
    while len(pool) < need:
        (q1, a1), (q2, a2) = rng.sample(parts, 2)
        pool += dedup([(f"Two tasks.\nFirst: {q1}\n\nSecond: {q2}", f"First: {a1}\n\nSecond: {a2}")], seen)
    return pool


def typo(text: str, rng: random.Random, n: int = 3) -> str:
    chars = list(text)
    for _ in range(n):
        i = rng.randrange(len(chars)) if chars else 0
        if chars and chars[i].isalpha():
            op = rng.choice(("drop", "double", "swap"))
            if op == "drop":
                chars.pop(i)
            elif op == "double":
                chars.insert(i, chars[i])
            elif i + 1 < len(chars):
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def plant(pool: list[tuple[str, str]], n: int, seed: int = 7) -> tuple[list[tuple[str, str]], list[list[int]]]:
    """``n`` rows: originals plus planted variants of random originals; returns groups."""
    rng = random.Random(seed)
    n_planted = n // 6
    base = rng.sample(pool, min(len(pool), n - n_planted))
    rows, groups = list(base), []
    originals = rng.sample(range(len(base)), n_planted * 3 // 4)
    kinds = ("copy", "typo", "recase", "wrap", "truncate", "combo")
    for k, o in enumerate(itertools.islice(itertools.cycle(originals), n_planted)):
        q, a = base[o]
        kind = kinds[k % len(kinds)]
        if kind in ("typo", "combo"):
            q, a = typo(q, rng), typo(a, rng)
        if kind in ("recase", "combo"):
            q, a = (q.lower(), a.lower()) if rng.random() < 0.5 else (q.capitalize(), a)
        if kind in ("wrap", "combo"):
            q, a = rng.choice(WRAP_Q).format(q), rng.choice(WRAP_A).format(a)
        if kind == "truncate" and len(a.split()) > 12:
            words = a.split()
            a = " ".join(words[: max(8, int(len(words) * rng.uniform(0.4, 0.8)))])
        groups.append([o, len(rows)])
        rows.append((q, a))
    merged: dict[int, set[int]] = {}
    for o, c in groups:
        merged.setdefault(o, {o}).add(c)
    return rows, [sorted(g) for g in merged.values()]


class PeakMemory:
    """Highest resident memory of this process plus its children, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        import threading

        import psutil

        self.peak, self._stop, self._me = 0, threading.Event(), psutil.Process()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.is_set():
            total = 0
            for p in [self._me, *self._me.children(recursive=True)]:
                with contextlib.suppress(Exception):  # a child that just exited
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(every)

    def stop(self) -> int:
        """Stop sampling; the highest sampled resident bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak

    def gib(self) -> float:
        """Stop sampling; the peak in GiB, counting this process's high-water mark too."""
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return max(self.stop(), own) / 1024**3


def run_phase(phase: str, data_file: Path, cache: Path, workers: int = 2) -> dict:
    """Run one method in this process and return its pairs, seconds and peak memory."""
    rows = [json.loads(line) for line in data_file.open()]
    memory = PeakMemory()
    t0 = time.perf_counter()
    if phase.startswith("ours"):
        from curation.engine import make_engine
        from curation.scan import ScanSettings, run_scan
        from curation.schema import Example, Turn

        ex = [
            Example(row=i, turns=(Turn("user", r["request"]), Turn("assistant", r["answer"])))
            for i, r in enumerate(rows)
        ]
        del rows  # `curate scan` keeps the examples, not the parsed JSON (~220 MB at 200,000 rows)
        # `curate scan` runs every detector; the duplicates-only re-scan is the part SemHash does
        settings = ScanSettings(detectors=["duplicates"]) if phase == "ours-dups-warm" else ScanSettings()
        if phase in ("ours-cold-torch", "ours-cold-onnx"):
            settings = ScanSettings(embedding_backend=phase.rsplit("-", 1)[1])
        engine = make_engine("ray", workers=workers) if phase == "ours-ray-cold" else None
        folders = {"ours-cold-torch": "cache-torch", "ours-cold-onnx": "cache-onnx", "ours-ray-cold": "cache-ray"}
        folder = folders.get(phase, "cache")
        try:
            res = run_scan(ex, settings=settings, cache_dir=cache / folder, engine=engine)
        finally:
            if engine is not None:
                engine.close()
        groups = [f.rows for f in res.findings if f.kind == "duplicate"]
        extra = {"timings": res.timings, "texts_embedded": res.texts_embedded, "counts": res.counts}
    elif phase == "semhash":
        from semhash import SemHash

        from curation.embeddings import DEFAULT_MODEL, load_sentence_transformer

        model = load_sentence_transformer(DEFAULT_MODEL)
        recs = [{"request": r["request"], "answer": r["answer"], "row": str(i)} for i, r in enumerate(rows)]
        result = SemHash.from_records(recs, columns=["request", "answer"], model=model).self_deduplicate(0.9)
        groups = [(int(d.record["row"]), int(d.duplicate_of["row"])) for d in result.filtered]
        extra = {}
    else:
        from datasketch import MinHash, MinHashLSH

        lsh, sigs = MinHashLSH(threshold=0.8, num_perm=128), []
        for i, r in enumerate(rows):
            toks = (r["request"] + " " + r["answer"]).casefold().split()
            m = MinHash(num_perm=128)
            m.update_batch([" ".join(toks[k : k + 3]).encode() for k in range(max(1, len(toks) - 2))])
            lsh.insert(str(i), m)
            sigs.append(m)
        groups = [(i, int(j)) for i, m in enumerate(sigs) for j in lsh.query(m) if int(j) > i]
        extra = {}
    # time and memory end with the method: the hash below is the benchmark's own work (at
    # 200,000 rows it took minutes and GiBs when it was inside the measured window)
    took, peak = time.perf_counter() - t0, memory.gib()
    if phase.startswith("ours"):
        extra["findings_sha"] = findings_sha(res.findings)
    return {"phase": phase, "seconds": round(took, 1), "peak_gib": round(peak, 2), "groups": groups, **extra}


def findings_sha(findings) -> str:
    """A short hash of a scan's findings in full: equal only if every field is. The bytes
    hashed are ``json.dumps`` of the list of every finding's JSON, fed one finding at a time
    so that the whole text is never held at once."""
    h = hashlib.sha1(b"[")
    for k, f in enumerate(findings):
        h.update((", " if k else "").encode() + json.dumps(f.to_json()).encode())
    h.update(b"]")
    return h.hexdigest()[:12]


def score(groups: list, planted: list[list[int]]) -> tuple[float, float]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for g in groups:
        for a in g[1:]:
            parent[find(a)] = find(g[0])
    comps: dict[int, list[int]] = {}
    for x in list(parent):
        comps.setdefault(find(x), []).append(x)
    pred = {p for c in comps.values() for p in itertools.combinations(sorted(c), 2)}
    gt = {p for g in planted for p in itertools.combinations(g, 2)}
    touched = {r for g in planted for r in g}
    pred = {p for p in pred if p[0] in touched or p[1] in touched}
    tp = len(pred & gt)
    return tp / max(1, len(pred)), tp / max(1, len(gt))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--skip", default="", help="comma-separated phases to skip")
    ap.add_argument("--ray-workers", type=int, default=2)
    ap.add_argument(
        "--write-set",
        metavar="DIR",
        help="only write the built set (data.jsonl, planted.json) to DIR: bench_gpu reads it",
    )
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, Path(args.data), Path(args.cache), args.ray_workers)))
        return 0
    data = Path(args.shared) / "data"
    if not data.is_dir():
        print(f"no public data at {data}: nothing to benchmark (it ships with ../shared, not the repo)")
        return 0
    rows, planted = plant(fill_pool(data, args.n), args.n)
    work = Path(args.write_set or tempfile.mkdtemp(prefix="bench_scan_"))
    work.mkdir(parents=True, exist_ok=True)
    data_file = work / "data.jsonl"
    data_file.write_text("".join(json.dumps({"request": q, "answer": a}) + "\n" for q, a in rows))
    print(
        f"{len(rows)} examples, {sum(len(g) - 1 for g in planted)} planted duplicates in "
        f"{len(planted)} groups; work dir {work}",
        flush=True,
    )
    if args.write_set:
        (work / "planted.json").write_text(json.dumps(planted))
        return 0
    skip = set(filter(None, args.skip.split(",")))
    phases = (
        "ours-cold-torch",
        "ours-cold-onnx",
        "ours-cold",
        "ours-ray-cold",
        "ours-warm",
        "ours-dups-warm",
        "semhash",
        "datasketch",
    )
    for phase in phases:
        if phase in skip:
            continue
        proc = subprocess.run(
            [sys.executable, __file__, "--phase", phase, "--data", str(data_file), "--cache", str(work)]
            + ["--ray-workers", str(args.ray_workers)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            print(f"{phase:15s} FAILED: {proc.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        p, r = score(out["groups"], planted)
        extra = {k: out[k] for k in ("texts_embedded", "findings_sha", "timings") if k in out}
        print(
            f"{phase:15s} {out['seconds']:8.1f} s  peak {out['peak_gib']:5.2f} GiB  "
            f"precision {p:.3f}  recall {r:.3f}  {json.dumps(extra)}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
