"""Work that outlives one scan: MinHash signatures per text and judgements per pair, on disk.

A re-scan of mostly unchanged data should redo only what changed. Embeddings already have
their cache (``curation.embeddings``); this module keeps the two other costly stages:

- ``SignatureMemo``: MinHash signature of each text, keyed by a hash of the text and the
  shingling settings (``keys.npy`` + ``sigs.npy``).
- ``PairMemo``: the field-by-field ``PairJudgement`` of a candidate pair, keyed by a hash of
  both examples' texts, the cosines that were given, and every threshold used (a pickle).

Every key also holds a hash of the detectors' source code (``CODE``), so an upgrade never
reuses a judgement the new code would make differently.

- ``ChunkJournal``: the result of every chunk a scan's chunked stages (MinHash signatures,
  edge-case membership, pair judgement) finished, appended as it finishes, so a scan killed
  midway resumes from its last finished chunk; the memos above are only written when a
  scan completes, which then deletes the journal.

All live in ``<cache_dir>/memo/`` (one subfolder per dataset name when the caller names
one: see ``memo_folder``). Signatures are rewritten at the end of a scan with the scan's
texts; pair judgements a scan did not use are kept for a few more writes (see
``PairMemo``), so the memo stays near one scan's worth; files are replaced atomically,
so a crash leaves the old memo. A missing, stale or corrupt file is a cache miss, never an
error. Without a cache folder (``cache_dir=None``) both are in-memory no-ops.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.metadata
import itertools
import os
import pickle
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 2  # bump when the stored layout changes (2: the pair memo in frames)


def _code_version() -> str:
    """Hash of the detectors' source and shipped models (``request_form.json``), subfolders
    included, with each file's name, and of the language identifier's version (its model ships
    in its package): a judgement made by other code is never reused."""
    h = hashlib.blake2b(digest_size=8)
    here = Path(__file__).parent
    for path in sorted([*here.rglob("*.py"), *here.rglob("*.json")]):
        h.update(path.relative_to(here).as_posix().encode() + b"\x1f")
        h.update(path.read_bytes())
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        h.update(importlib.metadata.version("py3langid").encode())
    return h.hexdigest()


CODE = _code_version()


def text_key(*parts: Any) -> int:
    """A stable 64-bit key for any sequence of strings/numbers."""
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(repr(p).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "little")


def _replace(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _gc_paused():
    """Unpickling hundreds of thousands of judgements allocates millions of objects, and the
    cyclic collector ran over all of them again and again: 800,000 judgements loaded in 13 s
    with it, 4.8 s without (they hold no cycles, and it runs again after)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class SignatureMemo:
    """Per-text signature rows (any dtype) under ``folder`` / ``name``."""

    def __init__(self, folder: Path | None, name: str) -> None:
        self.base = folder / name if folder else None
        self.hits = 0

    def lookup(self, keys: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(hit mask, signatures of the hits in order)."""
        empty = np.zeros(len(keys), bool), np.zeros((0, width), np.uint32)
        if self.base is None:
            return empty
        try:
            stored = np.load(f"{self.base}.keys.npy")
            sigs = np.load(f"{self.base}.sigs.npy", mmap_mode="r")
        except (OSError, ValueError):
            return empty
        if sigs.ndim != 2 or sigs.shape[1] != width or len(sigs) != len(stored) or not len(stored):
            return empty
        pos = np.clip(np.searchsorted(stored, keys), 0, len(stored) - 1)
        hit = stored[pos] == keys
        self.hits = int(hit.sum())
        return hit, np.asarray(sigs[pos[hit]])

    def store(self, keys: np.ndarray, sigs: np.ndarray) -> None:
        """Keep exactly these (the scan's texts), sorted by key."""
        if self.base is None:
            return
        keys, first = np.unique(keys, return_index=True)
        _replace(Path(f"{self.base}.keys.npy"), lambda f: np.save(f, keys))
        _replace(Path(f"{self.base}.sigs.npy"), lambda f: np.save(f, np.ascontiguousarray(sigs[first])))


class PairMemo:
    """Pair key -> judgement, loaded once per scan, saved when the scan judged something new.

    Entries a scan did not use are kept for ``KEEP_WRITES`` more writes, then dropped: a
    re-scan that runs fewer detectors (duplicates only, after a full scan) must not throw
    away the other detectors' judgements, or the next full re-scan would redo them; and
    judgements of rows since edited away do not pile up."""

    KEEP_WRITES = 3
    FRAME = 20_000  # entries per pickle frame in the file

    def __init__(self, folder: Path | None, name: str = "pairs") -> None:
        self.path = folder / f"{name}.pkl" if folder else None
        self._old: dict[int, Any] = {}
        self._written: dict[int, int] = {}  # key -> the write that last saw it used
        self._generation = 0
        self._used: dict[int, Any] = {}
        self.hits = 0
        if self.path is not None and self.path.exists():
            try:
                with _gc_paused(), self.path.open("rb") as f:
                    head = pickle.load(f)
                    if head[0] == FORMAT and head[1] == "frames":
                        old, written = {}, {}
                        for _ in range(int(head[3])):
                            values, seen = pickle.load(f)
                            old.update(values)
                            written.update(seen)
                        self._old, self._written, self._generation = old, written, int(head[2])
            except Exception:  # noqa: BLE001 - a broken memo is only a cache miss
                self._old, self._written, self._generation = {}, {}, 0

    def get(self, key: int) -> Any:
        if key in self._used:
            return self._used[key]
        value = self._old.get(key)
        if value is not None:
            self._used[key] = value
            self.hits += 1
        return value

    def put(self, key: int, value: Any) -> None:
        self._used[key] = value

    def save(self) -> None:
        if self.path is None or not (self._used.keys() - self._old.keys()):
            return  # nothing new: the file already holds every judgement this scan used
        generation = self._generation + 1
        keep = generation - self.KEEP_WRITES
        old, used, written = self._old, self._used, self._written
        # old entries still young enough, then this scan's, as (key, value, write that saw it
        # used); no copy of either dict (at 200,000 rows they hold ~2M judgements)
        kept = [k for k in old if k not in used and written.get(k, 0) >= keep]
        n_frames = -(-(len(kept) + len(used)) // self.FRAME)

        def write(f) -> None:
            # in frames of FRAME entries: one pickle of the whole dict keeps an entry in the
            # pickler's memo for every object it writes (800,000 judgements: +744 MiB);
            # each frame's pickler is dropped after it
            entries = itertools.chain(
                ((k, old[k], written.get(k, 0)) for k in kept), ((k, v, generation) for k, v in used.items())
            )
            pickle.dump((FORMAT, "frames", generation, n_frames), f, protocol=pickle.HIGHEST_PROTOCOL)
            for _ in range(n_frames):
                part = list(itertools.islice(entries, self.FRAME))
                frame = ({k: v for k, v, _ in part}, {k: g for k, _, g in part})
                pickle.dump(frame, f, protocol=pickle.HIGHEST_PROTOCOL)

        _replace(self.path, write)


class ChunkJournal:
    """Results of finished chunks, appended to ``<folder>/chunks.journal`` one pickle frame
    per chunk, until the scan completes (``clear``).

    A chunk is keyed by a hash of the detectors' code, the task's class and ``journal_key``
    (its settings) and the pickled chunk itself, so only the same work on the same input is
    ever reused. A process killed while appending leaves a torn last frame: loading stops
    at the last whole frame and cuts the file there, so what is appended next is readable.
    """

    NAME = "chunks.journal"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.NAME
        self._done: dict[bytes, Any] | None = None
        self.reused = 0

    def _load(self) -> dict[bytes, Any]:
        if self._done is None:
            self._done = {}
            good = 0
            try:
                with self.path.open("rb") as f:
                    while True:
                        try:
                            key, result = pickle.load(f)
                        except Exception:  # noqa: BLE001 - the end, or a torn frame: what follows is lost
                            break
                        self._done[key] = result
                        good = f.tell()
                if good < self.path.stat().st_size:
                    os.truncate(self.path, good)
            except OSError:
                pass  # no journal: nothing to resume
        return self._done

    def key(self, task: Any, chunk: Any) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{FORMAT}\x1f{CODE}\x1f{type(task).__qualname__}\x1f{task.journal_key}\x1f".encode())
        h.update(pickle.dumps(chunk, protocol=5))
        return h.digest()

    def get(self, key: bytes) -> Any:
        """A finished chunk's result (once: a scan asks for each chunk once), or None."""
        result = self._load().pop(key, None)
        self.reused += result is not None
        return result

    def add(self, key: bytes, result: Any) -> None:
        self._load()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as f:
            pickle.dump((key, result), f, protocol=pickle.HIGHEST_PROTOCOL)

    def clear(self) -> None:
        """The scan completed and its memos are written: nothing left to resume."""
        self.path.unlink(missing_ok=True)
        self._done = {}


def chunk_journal(ctx: Any) -> ChunkJournal | None:
    """The scan's journal of finished chunks (None without a memo folder)."""
    if ctx.memo_dir is None:
        return None
    if "chunk_journal" not in ctx.cache:
        ctx.cache["chunk_journal"] = ChunkJournal(ctx.memo_dir)
    return ctx.cache["chunk_journal"]


MAX_SCOPES = 8  # datasets whose memos are kept side by side in one cache folder


def memo_folder(cache_dir: Path, scope: str | None = None) -> Path:
    """``<cache_dir>/memo`` or, for a named dataset, ``<cache_dir>/memo/<name>-<hash>``.

    Every scan rewrites its memo with what it used, so two datasets sharing one folder would
    each find the other's judgements there. Scoped folders keep them apart; the least
    recently used ones beyond ``MAX_SCOPES`` are removed when a scope is opened.
    """
    base = cache_dir / "memo"
    if not scope:
        return base
    name = re.sub(r"[^\w.-]+", "_", scope)[:40] + "-" + hashlib.blake2b(scope.encode(), digest_size=4).hexdigest()
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    scopes = [p for p in base.iterdir() if p.is_dir()]
    # marked as the most recently used, strictly (two fast scans can share a clock tick)
    now = max([time.time_ns()] + [p.stat().st_mtime_ns + 1 for p in scopes])
    os.utime(folder, ns=(now, now))
    scopes.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in scopes[MAX_SCOPES:]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def pair_key(texts: Sequence[Any], *extra: Any) -> int:
    """Key of a pair judgement: both examples' texts plus the settings it depended on."""
    return text_key(FORMAT, CODE, *texts, *extra)


def pair_memo(ctx: Any) -> PairMemo:
    """The scan's shared pair-judgement memo (created on first use)."""
    memo = ctx.cache.get("pair_memo")
    if memo is None:
        memo = ctx.cache["pair_memo"] = PairMemo(ctx.memo_dir)
    return memo


def save_memos(ctx: Any) -> None:
    """Write what the scan memoised; run_scan calls this once all detectors are done."""
    memo = ctx.cache.get("pair_memo")
    if memo is not None:
        memo.save()
    journal = chunk_journal(ctx)
    if journal is not None:
        journal.clear()


def embedder_key(ctx: Any) -> str:
    """Which embedding model produced the cosines a judgement used (part of its key)."""
    emb = ctx.embedder
    if emb is None:
        return ""
    # the key fixed when the Embedder was made: recomputing it after the model loaded named
    # the loaded object's class instead, so a cold scan (which loads the model) and the warm
    # re-scan after it (which never does) keyed every judgement differently
    return getattr(emb, "model_key", None) or type(emb).__qualname__
