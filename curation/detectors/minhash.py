"""Near duplicates by MinHash LSH over character n-gram shingles, verified field by field.

Stages (each vectorised in numpy, no per-shingle Python): ``shingle_hashes`` rolls a hash
over the bytes of every normalised text at once; ``signatures`` takes per-permutation
minima with ``np.minimum.reduceat``; ``candidate_pairs`` buckets band hashes. Candidates are
then verified on the real texts (rapidfuzz ratio / containment + key-term checks, see
``matching``), so the LSH threshold only trades speed for recall, never precision.

Character shingles catch typos and re-casing that word shingles miss. Texts are capped
(``max_chars`` per field) because a long shared prefix already decides a near duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.features import fields, judged_pairs, lexical_judgements, pair_code
from curation.detectors.graph import Edge, duplicate_edge, group_findings
from curation.detectors.memo import CODE, SignatureMemo, chunk_journal, text_key
from curation.engine import cut, distributed, run_chunks
from curation.schema import Finding

_MASK32 = np.uint64(0xFFFFFFFF)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads rolling-hash bits before the permutation hashes."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def shingle_hashes(texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of all byte n-grams of all texts, grouped by text: (hashes, doc index per hash).

    A text shorter than ``n`` bytes contributes one shingle: itself.
    """
    enc = [t.encode("utf-8") for t in texts]
    lens = np.fromiter((len(b) for b in enc), dtype=np.int64, count=len(enc))
    buf = np.frombuffer(b"\x00".join(enc) + b"\x00" * n, dtype=np.uint8).astype(np.uint64)
    total = int(lens.sum() + len(enc) - 1) if enc else 0
    h = np.zeros(max(total, 0), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * np.uint64(1099511628211) + buf[k : k + total]
        h = _mix(h)
    doc = np.repeat(np.arange(len(enc)), lens + 1)[:total]
    pos = np.arange(total) - np.repeat(np.cumsum(lens + 1) - (lens + 1), lens + 1)[:total]
    valid = pos + n <= lens[doc]
    short = np.flatnonzero((lens < n) & (lens > 0))
    starts = np.cumsum(lens + 1) - (lens + 1)
    hs, ds = [h[valid]], [doc[valid]]
    if len(short):  # whole short text as its single shingle: the hash of its first window
        hs.append(h[starts[short]])
        ds.append(short)
    hh, dd = np.concatenate(hs), np.concatenate(ds)
    order = np.argsort(dd, kind="stable")
    return hh[order], dd[order]


def signatures(hashes: np.ndarray, docs: np.ndarray, n_docs: int, num_perm: int, seed: int = 1) -> np.ndarray:
    """MinHash signatures (n_docs x num_perm, uint32); all-ones for texts with no shingle."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    sig = np.full((n_docs, num_perm), 0xFFFFFFFF, dtype=np.uint32)
    if not len(hashes):
        return sig
    present, starts = np.unique(docs, return_index=True)
    with np.errstate(over="ignore"):
        for p in range(num_perm):
            v = ((hashes * a[p] + b[p]) >> np.uint64(32)) & _MASK32
            sig[present, p] = np.minimum.reduceat(v, starts).astype(np.uint32)
    return sig


def band_values(sig: np.ndarray, band: int, bands: int) -> np.ndarray:
    """One band's ``r`` signature values per row (rows x r, contiguous)."""
    r = sig.shape[1] // bands
    return np.ascontiguousarray(sig[:, band * r : (band + 1) * r])


def band_keys(sig: np.ndarray, band: int, bands: int) -> np.ndarray:
    """One band's bucket keys: each row's ``r`` signature values of that band as one value."""
    block = band_values(sig, band, bands)
    return block.view(np.dtype((np.void, block.dtype.itemsize * block.shape[1]))).ravel()


def bucket_pairs(keys: np.ndarray, rows: np.ndarray, max_bucket: int = 40) -> np.ndarray:
    """Candidate pairs (k x 2, i < j) of the rows that share a bucket key: every pair in a
    bucket of up to ``max_bucket`` rows; a star from its first row and a chain through the
    rest in a larger one. The pairs depend only on which rows share a key, so the driver's
    buckets and a shuffle's (``LshShuffle``) give the same pairs."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    bounds = np.concatenate(([0], np.flatnonzero(k[1:] != k[:-1]) + 1, [len(k)]))
    starts, sizes = bounds[:-1], np.diff(bounds)
    found = [np.zeros((0, 2), np.int64)]
    for m in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]):  # all buckets of m rows at once
        members = np.sort(rows[order[starts[sizes == m][:, None] + np.arange(m)]], axis=1)
        i, j = np.triu_indices(m, 1)
        found.append(np.stack([members[:, i].ravel(), members[:, j].ravel()], axis=1))
    big = sizes > max_bucket
    for s, m in zip(starts[big].tolist(), sizes[big].tolist()):
        run = np.sort(rows[order[s : s + m]])
        found.append(np.stack([np.full(len(run) - 1, run[0]), run[1:]], axis=1))
        found.append(np.stack([run[1:-1], run[2:]], axis=1))
    return np.concatenate(found).astype(np.int64)


def as_pair_set(found: list[np.ndarray], n: int) -> set[tuple[int, int]]:
    """The distinct pairs of several (k x 2) arrays of row pairs below ``n``, as a set."""
    codes = np.unique(np.concatenate([np.zeros(0, np.int64)] + [f[:, 0] * n + f[:, 1] for f in found]))
    return set(zip((codes // n).tolist(), (codes % n).tolist()))


def candidate_pairs(
    sig: np.ndarray, bands: int, max_bucket: int = 40, engine: Any = None, block_rows: int = 50_000
) -> set[tuple[int, int]]:
    """Pairs that agree on all rows of at least one band (see ``bucket_pairs``). Rows with
    no shingle (all-ones signatures) are in no bucket.

    On a distributed engine with at least two blocks of ``block_rows`` signatures (a scan's
    ``shuffle_rows``), the buckets are a shuffle on its workers (``LshShuffle``); else they
    are sorted here."""
    rows = np.flatnonzero(~(sig == 0xFFFFFFFF).all(axis=1))
    blocks = [rows[s : s + block_rows] for s in range(0, len(rows), block_rows)]
    if distributed(engine, len(blocks)):
        shuffle = LshShuffle(bands, max_bucket, partitions=max(2, getattr(engine, "workers", 2)))
        found = list(engine.shuffle(shuffle, [(sig[b], b) for b in blocks], shuffle.partitions))
    else:
        kept = sig[rows]
        found = [bucket_pairs(band_keys(kept, band, bands), rows, max_bucket) for band in range(bands)]
    return as_pair_set(found, len(sig))


class LshShuffle:
    """LSH bucketing as a map/shuffle/reduce (an engine's ``shuffle``): a mapper hashes each
    (band, bucket key) of its block of signatures to one of ``partitions``; a reducer gets
    every row of its partition from every mapper, so each bucket whole, and finds the pairs
    of its buckets with ``bucket_pairs``, as the driver would."""

    def __init__(self, bands: int, max_bucket: int, partitions: int) -> None:
        self.bands, self.max_bucket, self.partitions = bands, max_bucket, partitions

    def map(self, block: tuple[np.ndarray, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(band, band values, row)`` arrays per partition, for one block ``(signatures, rows)``."""
        sig, rows = block
        parts: list[list] = [[[], [], []] for _ in range(self.partitions)]
        for band in range(self.bands):
            vals = band_values(sig, band, self.bands)
            h = np.full(len(vals), band, dtype=np.uint64)
            with np.errstate(over="ignore"):
                for c in range(vals.shape[1]):
                    h = _mix(h ^ vals[:, c].astype(np.uint64))
            dest = (h % np.uint64(self.partitions)).astype(np.int64)
            for p in range(self.partitions):
                sel = np.flatnonzero(dest == p)
                parts[p][0].append(np.full(len(sel), band, dtype=np.int16))
                parts[p][1].append(vals[sel])
                parts[p][2].append(rows[sel])
        return [tuple(np.concatenate(x) for x in part) for part in parts]

    def reduce(self, parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
        """The candidate pairs (k x 2) of one partition's buckets."""
        band = np.concatenate([p[0] for p in parts])
        vals = np.concatenate([p[1] for p in parts])
        rows = np.concatenate([p[2] for p in parts])
        found = [np.zeros((0, 2), np.int64)]
        for b in np.unique(band):
            sel = np.flatnonzero(band == b)
            found.append(bucket_pairs(band_keys(vals[sel], 0, 1), rows[sel], self.max_bucket))
        return np.concatenate(found)


_CHUNK = 5_000  # texts per signature task (a worker process or a Ray worker computes one at a time)


class SignatureChunk:
    """An engine task: MinHash signatures of one chunk of texts."""

    def __init__(self, ngram: int, num_perm: int) -> None:
        self.ngram, self.num_perm = ngram, num_perm
        self.journal_key = f"{ngram}-{num_perm}"

    def __call__(self, texts: list[str], state: object = None) -> np.ndarray:
        hashes, docs = shingle_hashes(texts, self.ngram)
        return signatures(hashes, docs, len(texts), self.num_perm)


@register
class MinHashDuplicates(Detector):
    """Near-duplicate rows (typos, re-casing, wrappers, truncation) via MinHash LSH."""

    name: ClassVar[str] = "minhash"
    kinds: ClassVar[tuple[str, ...]] = ("duplicate",)

    ngram: int = Field(5, ge=2, le=12, description="character shingle length")
    num_perm: int = Field(32, ge=8, le=256, description="MinHash permutations")
    bands: int = Field(8, ge=1, description="LSH bands (num_perm must divide evenly)")
    max_chars: int = Field(600, ge=50, description="characters of each field that are shingled")

    def candidates(self, ctx: ScanContext) -> set[tuple[int, int]]:
        """LSH candidate pairs (positions i < j)."""
        f = fields(ctx)
        texts = [r[: self.max_chars] + "\x1f" + a[: self.max_chars] for r, a in zip(f.request_norm, f.answer_norm)]
        ctx.progress("minhash", 0, len(texts))
        sig = self._signatures(ctx, texts)
        pairs = candidate_pairs(sig, self.bands, engine=ctx.engine, block_rows=ctx.shuffle_rows)
        ctx.progress("minhash", len(texts), len(texts))
        return pairs

    def _signatures(self, ctx: ScanContext, texts: list[str]) -> np.ndarray:
        """Signatures of ``texts``, reusing those of texts seen by the last scan."""
        memo = SignatureMemo(ctx.memo_dir, f"minhash-{self.ngram}-{self.num_perm}")
        keys = np.fromiter((text_key(CODE, t) for t in texts), np.uint64, len(texts))
        hit, cached = memo.lookup(keys, self.num_perm)
        sig = np.empty((len(texts), self.num_perm), np.uint32)
        sig[hit] = cached
        miss = np.flatnonzero(~hit)
        if len(miss):
            # a signature depends on its text alone, so chunks change nothing but the memory
            # the shingle hashes take at once (8 bytes per character of a chunk, twice)
            task = SignatureChunk(self.ngram, self.num_perm)
            parts = cut(miss, _CHUNK)
            for k, out in run_chunks(
                ctx.engine, task, [[texts[i] for i in part] for part in parts], chunk_journal(ctx)
            ):
                sig[parts[k]] = out
            memo.store(keys, sig)
        return sig

    def edges(self, ctx: ScanContext) -> list[Edge]:
        """Verified ``near`` (or ``exact``) edges; judgements are kept for other detectors."""
        f = fields(ctx)
        judged = judged_pairs(ctx)
        pairs = [(i, j) for i, j in sorted(self.candidates(ctx)) if f.same_shape(i, j)]
        todo = [p for p in pairs if pair_code(*p) not in judged]
        judged.update(zip([pair_code(*p) for p in todo], lexical_judgements(ctx, todo)))
        return [duplicate_edge(i, j, jd) for i, j in pairs if (jd := judged[pair_code(i, j)]).duplicate]

    def detect(self, ctx: ScanContext) -> list[Finding]:
        return group_findings(self.edges(ctx), fields(ctx), self.settings())
