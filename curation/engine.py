"""Where a scan's heavy, row-parallel stages run: in this process, or on Ray.

A scan is mostly a few stages that are independent per chunk of rows (embedding the
texts, MinHash signatures) followed by stages that need every row at once (LSH buckets,
neighbour search, pair judgement over candidate pairs, the duplicate graph). An engine
runs the first kind: ``map_chunks(task, chunks)`` calls ``task(chunk)`` for every chunk
and yields ``(index, result)`` as results arrive. The rest of the scan stays on the
driver over compact arrays (vectors, signatures, candidate pairs), so both engines run
the same detector code on the same numbers and give the same findings.

- ``LocalEngine`` (the default): the encoder in this process (it uses every core), the
  stateless text stages on a few worker processes, one per CPU.
- ``RayEngine`` (``curate scan --engine ray``): a pool of Ray actors, each holding its own
  copy of a task's heavy state (the encoder is loaded once per actor, not per chunk).
  Without an address it starts a local Ray with ``workers`` CPUs; with ``auto`` or
  ``ray://host:port`` it joins an existing cluster, where every node needs this package
  installed (the same version as the driver). Actors ask for a GPU when the cluster has
  them, and the encoder then runs on CUDA.

A task is any picklable callable; one that has heavy state to build once per process
exposes ``state_key`` (equal keys share the state) and ``build()``; ``__call__(chunk,
state)`` then receives it. Chunks are cut by the caller, the same way for both engines,
so every chunk is computed exactly as the local engine computes it (an embedding batch
never straddles two chunks) and the vectors are bit-identical.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol


class ChunkTask(Protocol):
    def __call__(self, chunk: Any, state: Any = None) -> Any: ...


def _state_of(task: Any, states: dict) -> Any:
    """The task's per-process state (built on first use), or None for a stateless task."""
    key = getattr(task, "state_key", None)
    if key is None:
        return None
    if key not in states:
        states[key] = task.build()
    return states[key]


def distributed(engine: Any, n_chunks: int) -> bool:
    """True when ``n_chunks`` chunks should go to ``engine``'s workers: a distributed engine
    and at least two chunks (one chunk is faster here than shipped to one worker)."""
    return engine is not None and engine.name != "local" and n_chunks >= 2


def cut(items: Sequence[Any], size: int) -> list[Any]:
    """``items`` in consecutive slices of ``size`` (the last may be shorter): the chunks a
    stage hands to ``run_chunks``."""
    return [items[s : s + size] for s in range(0, len(items), size)]


class Lazy(Sequence):
    """A read-only sequence of ``n`` items, the k-th made by ``make(k)`` each time it is asked
    for. A stage's items and chunks built this way exist only while a chunk is in flight: at
    200,000 rows the pair judgement's items, built all at once, were ~340 MB of tuples."""

    def __init__(self, n: int, make: Callable[[int], Any]) -> None:
        self.n, self.make = n, make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self.make(i) for i in range(*k.indices(self.n))]
        if not -self.n <= k < self.n:
            raise IndexError(k)
        return self.make(k % self.n)


def cut_lazily(items: Sequence[Any], size: int) -> Lazy:
    """``cut``, each slice taken only when a chunk is asked for (see ``Lazy``)."""
    return Lazy(-(-len(items) // size), lambda c: items[c * size : (c + 1) * size])


def run_chunks(engine: Any, task: ChunkTask, chunks: Sequence[Any], journal: Any = None) -> Iterator[tuple[int, Any]]:
    """``(index, task(chunk))`` for every chunk of a stateless task: on a distributed
    engine's workers when ``distributed`` says so, on a ``LocalEngine``'s worker processes
    when it has several and there are enough chunks (both as they finish), else here, one
    after another. The scan's
    row- and pair-parallel stages (MinHash signatures, edge-case membership, pair judgement)
    go through this, so each has one code path whatever the engine.

    ``journal`` (a ``memo.ChunkJournal``; the task then has a ``journal_key``): chunks a
    killed run of the same scan finished come from it first; every chunk finished now is
    added to it as it arrives, so the next run resumes after it."""
    if journal is None:
        yield from _run(engine, task, chunks)
        return
    keys = [journal.key(task, chunk) for chunk in chunks]
    todo = []
    for k, key in enumerate(keys):
        done = journal.get(key)
        if done is None:
            todo.append(k)
        else:
            yield k, done
    for k, res in _run(engine, task, Lazy(len(todo), lambda k: chunks[todo[k]])):
        journal.add(keys[todo[k]], res)
        yield todo[k], res


def _run(engine: Any, task: ChunkTask, chunks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    if distributed(engine, len(chunks)):
        return engine.map_chunks(task, chunks)
    if isinstance(engine, LocalEngine) and engine.pooled(len(chunks)):
        return engine.pool_chunks(task, chunks)
    return ((k, task(chunk)) for k, chunk in enumerate(chunks))


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """True when this CPU multiplies bfloat16 matrices in hardware (x86 AVX512-BF16 or AMX;
    read from ``/proc/cpuinfo``, so False off Linux); elsewhere bfloat16 is emulated and
    slower than fp32. The scan's encoder ("auto": ``embeddings.resolve_backend``) and
    training's frozen base (``precision = "auto"``) use bfloat16 only here.
    ``CURATION_BF16=0`` says no whatever the CPU."""
    if os.environ.get("CURATION_BF16", "").strip() == "0":
        return False
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


# a stage with fewer chunks runs in this process: starting the worker processes (about a
# second each) would cost more than the chunks
POOL_MIN_CHUNKS = 4


# loky restarts a worker whose memory grew by 300 MB since its first chunk and warns of a
# leak; the text checks' bounded caches grow that much by design. The restart only empties
# them (the results do not change), so the warning would only alarm the user.
warnings.filterwarnings(
    "ignore", message="A worker stopped while some jobs were given", module="joblib.externals.loky.process_executor"
)


def _indexed(task: ChunkTask, k: int, chunk: Any) -> tuple[int, Any]:
    return k, task(chunk)


class LocalEngine:
    """Run chunks on this machine.

    Tasks with per-process state (the encoder, which already uses every core) run here, one
    chunk after another (``map_chunks``). The stateless text stages that ``run_chunks``
    hands out (pair judgement's text checks, edge-case regexes, MinHash signatures: pure
    Python on one core each) run on ``processes`` worker processes when a stage has at least
    ``POOL_MIN_CHUNKS`` chunks (see ``pool_chunks``).
    ``processes``: None, one per CPU; 1, everything in this process. The results are the
    same either way: each chunk is computed by the same function on the same input.
    """

    name = "local"

    def __init__(self, processes: int | None = None) -> None:
        self.processes = max(1, processes if processes is not None else cpu_count())
        self.pooled_chunks = 0  # chunks computed by the worker processes, for reports and tests
        self._states: dict = {}

    def map_chunks(self, task: ChunkTask, chunks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, chunk in enumerate(chunks):
            yield i, task(chunk, _state_of(task, self._states))

    def pooled(self, n_chunks: int) -> bool:
        return self.processes > 1 and n_chunks >= POOL_MIN_CHUNKS

    def pool_chunks(self, task: ChunkTask, chunks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """``(index, task(chunk))`` from the worker processes, as they finish; a few chunks per
        process are in flight, so the chunks' texts are not all copied at once.

        The processes are joblib's (loky): started once and reused by later stages and scans,
        stopped after a few idle minutes. Unlike ``multiprocessing``'s spawn they do not
        re-run the caller's main script, so a script calling ``curation.scan`` needs no
        ``if __name__ == "__main__"`` guard."""
        from joblib import Parallel, delayed

        run = Parallel(n_jobs=self.processes, backend="loky", return_as="generator_unordered")
        for k, out in run(delayed(_indexed)(task, k, chunk) for k, chunk in enumerate(chunks)):
            self.pooled_chunks += 1
            yield k, out

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._states.clear()


class _Worker:
    """A Ray actor: runs tasks on chunks, keeping each task's state between calls."""

    def __init__(self, threads: int) -> None:
        os.environ["CURATION_ENCODER_THREADS"] = str(threads)
        self._states: dict = {}

    def run(self, task: Any, chunk: Any) -> Any:
        return task(chunk, _state_of(task, self._states))

    def shuffle_map(self, task: Any, chunk: Any) -> Any:
        parts = task.map(chunk)
        return tuple(parts) if len(parts) > 1 else parts[0]

    def shuffle_reduce(self, task: Any, *parts: Any) -> Any:
        return task.reduce(parts)


class RayEngine:
    """Run chunks on a pool of Ray actors (``workers`` of them, one CPU each, or one GPU
    each when the cluster has GPUs and ``gpus`` is not False).

    ``address``: None starts a local Ray on this machine with ``workers`` CPUs; "auto" or
    "ray://host:port" joins a running cluster (then ``workers`` defaults to its CPUs).
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, gpus: bool | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError(
                "--engine ray needs Ray: pip install 'curation-workbench[scale]' (or pip install 'ray>=2.9')"
            ) from exc
        self._ray = ray
        self.address = address
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
            if address:
                kwargs["address"] = address
            else:
                kwargs["num_cpus"] = workers or cpu_count()
                kwargs["object_store_memory"] = 256 * 1024**2
            # the driver's sys.path (a source checkout run without installing) reaches the workers
            kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(_import_roots())}}
            try:
                ray.init(**kwargs)
            except Exception as exc:  # noqa: BLE001  no cluster there, a version mismatch ...
                raise RuntimeError(f"could not start or join Ray ({address or 'local'}): {exc}") from exc
            self._started = True
        resources = ray.cluster_resources()
        n_gpu = int(resources.get("GPU", 0))
        self.use_gpu = bool(n_gpu) if gpus is None else bool(gpus and n_gpu)
        if workers is None:
            workers = n_gpu if self.use_gpu else int(resources.get("CPU", 1))
        self.workers = max(1, workers)
        actor = ray.remote(_Worker).options(num_cpus=1, num_gpus=1 if self.use_gpu else 0)
        self._actors = [actor.remote(1) for _ in range(self.workers)]

    def map_chunks(self, task: ChunkTask, chunks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Chunks go to idle actors; results come back as they finish (not in order)."""
        ray = self._ray
        task_ref = ray.put(task)
        pending: dict[Any, int] = {}
        todo = iter(enumerate(chunks))
        idle = list(self._actors)
        while True:
            while idle:
                nxt = next(todo, None)
                if nxt is None:
                    break
                actor = idle.pop()
                ref = actor.run.remote(task_ref, nxt[1])
                pending[ref] = (nxt[0], actor)
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            index, actor = pending.pop(done[0])
            idle.append(actor)
            yield index, ray.get(done[0])

    def shuffle(self, task: Any, chunks: Sequence[Any], partitions: int) -> Iterator[Any]:
        """A map, shuffle and reduce on the actors: ``task.map(chunk)`` splits each chunk into
        ``partitions`` parts, which stay in Ray's object store (not on the driver);
        ``task.reduce(parts)`` gets one partition's parts from every chunk. Yields each
        partition's result as it finishes. Every map is submitted before any reduce, so an
        actor never waits on a map queued behind its own reduce."""
        ray, actors = self._ray, self._actors
        task_ref = ray.put(task)
        maps = []
        for k, chunk in enumerate(chunks):
            out = actors[k % len(actors)].shuffle_map.options(num_returns=partitions).remote(task_ref, chunk)
            maps.append(out if partitions > 1 else [out])
        pending = [
            actors[p % len(actors)].shuffle_reduce.remote(task_ref, *[m[p] for m in maps]) for p in range(partitions)
        ]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])

    def close(self) -> None:
        for a in self._actors:
            self._ray.kill(a)
        self._actors = []
        if self._started:
            self._ray.shutdown()
            self._started = False


def _import_roots() -> list[str]:
    """Folders on this process's import path that hold the ``curation`` package or are the
    project root (so Ray workers import the same code)."""
    import curation

    root = os.path.dirname(os.path.dirname(os.path.abspath(curation.__file__)))
    return [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]


def make_engine(name: str = "local", address: str | None = None, workers: int | None = None) -> Any:
    """An engine by name: "local" or "ray" (see ``LocalEngine``, ``RayEngine``). ``workers``:
    the local engine's processes, or Ray's workers."""
    if name == "local":
        if address:
            raise ValueError("--ray-address needs --engine ray")
        return LocalEngine(processes=workers)
    if name == "ray":
        return RayEngine(address=address, workers=workers)
    raise ValueError(f"unknown engine {name!r}: local or ray")
