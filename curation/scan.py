"""The scan facade: run the configured detectors over a dataset and collect their findings.

``run_scan`` is what the CLI and the app call. Settings are one pydantic model
(``ScanSettings``) that round-trips to JSON, so a scan is fully described by its settings and
its data. Findings come back sorted deterministically, with stable ids; the embedding model
is only loaded if a detector needs embeddings and the vector cache misses.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import curation.detectors  # noqa: F401  (registers the built-in detectors)
from curation.api_names import callable_module
from curation.detectors.base import REGISTRY, Detector, ScanContext, no_progress
from curation.detectors.contradiction import Contradictions
from curation.detectors.coverage import CoverageGaps
from curation.detectors.duplicates import Duplicates
from curation.detectors.edge_cases import EdgeCaseCoverage
from curation.detectors.leakage import Leakage
from curation.detectors.memo import memo_folder, save_memos
from curation.detectors.quality import Quality
from curation.embeddings import DEFAULT_MODEL, Embedder, resolve_backend
from curation.engine import LocalEngine
from curation.schema import FINDING_KINDS, Example, Finding

DEFAULT_DETECTORS = ["contradiction", "duplicates", "coverage", "edge_cases", "leakage", "quality"]
# contradictions first: their pairs become cannot-links for the duplicate graph
_ORDER = {name: i for i, name in enumerate(DEFAULT_DETECTORS)}


class ScanSettings(BaseModel):
    """Which detectors run, with which settings, and which embedding model they share."""

    model_config = ConfigDict(extra="forbid")

    detectors: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DETECTORS), description="registered detector names to run"
    )
    embedding_model: str | None = Field(None, description="sentence-transformers id or path (None: bundled MiniLM)")
    embedding_max_seq_length: int | None = Field(256, description="tokens embedded per text (part of the cache key)")
    embedding_batch_size: int = Field(64, ge=1)
    embedding_chunk_size: int = Field(
        2048,
        ge=1,
        description="texts embedded and stored per cache shard: an interrupted scan resumes after the "
        "last stored chunk",
    )
    embedding_backend: Literal["auto", "torch", "torch-bf16", "onnx", "onnx-int8"] = Field(
        "auto",
        description="torch (sentence-transformers), torch-bf16 (its matrix products in bfloat16), onnx or "
        "onnx-int8 (ONNX Runtime; the model is exported once into the workspace cache), auto: torch-bf16 on "
        "a CPU with native bfloat16, else onnx where onnxruntime is installed, else torch",
    )
    embedding_device: str = Field("auto", description="cpu, cuda, or auto (cuda when torch sees a GPU)")
    shuffle_rows: int = Field(
        50_000,
        ge=1,
        description="MinHash signatures per mapper when a distributed engine (Ray) buckets the LSH bands as a "
        "shuffle on its workers; fewer than two blocks are bucketed on the driver (the same pairs either way)",
    )
    duplicates: Duplicates = Field(default_factory=Duplicates)
    contradiction: Contradictions = Field(default_factory=Contradictions)
    coverage: CoverageGaps = Field(default_factory=CoverageGaps)
    edge_cases: EdgeCaseCoverage = Field(default_factory=EdgeCaseCoverage)
    leakage: Leakage = Field(default_factory=Leakage)
    quality: Quality = Field(default_factory=Quality)
    other: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="settings of other registered detectors, by name"
    )

    def instances(self) -> list[Detector]:
        """The detectors to run, in dependency order."""
        out = []
        for name in sorted(dict.fromkeys(self.detectors), key=lambda n: (_ORDER.get(n, 99), n)):
            if name in type(self).model_fields and isinstance(getattr(self, name), Detector):
                out.append(getattr(self, name))
            elif name in REGISTRY:
                out.append(REGISTRY[name](**self.other.get(name, {})))
            else:
                raise ValueError(f"unknown detector {name!r}; known: {', '.join(sorted(REGISTRY))}")
        return out


@dataclass
class ScanResult:
    """Findings (sorted), per-detector timings in seconds, and the settings used."""

    findings: list[Finding]
    timings: dict[str, float]
    settings: dict[str, Any]
    n_examples: int = 0
    n_reference: int = 0
    n_eval: int = 0
    texts_embedded: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def sort_key(f: Finding) -> tuple:
    kind = FINDING_KINDS.index(f.kind) if f.kind in FINDING_KINDS else len(FINDING_KINDS)
    return (kind, -round(f.score, 4), f.rows, f.reference_rows, f.detector, f.finding_id)


def latest_settings(ws: Any, dataset_id: int) -> ScanSettings:
    """The settings of the dataset's latest scan; today's defaults when it has none, or when
    they were stored by another version of the program."""
    scan_id = ws.latest_scan_id(dataset_id)
    if scan_id is None:
        return ScanSettings()
    try:
        return ScanSettings.model_validate(ws.scan_info(scan_id).get("settings") or {})
    except ValueError:  # pydantic's ValidationError
        return ScanSettings()


def make_embedder(
    settings: ScanSettings, cache_dir: str | Path | None, embedder: Any = None, engine: Any = None
) -> Embedder:
    """An ``Embedder`` for the scan: the given one, a wrapper around a given encoder, or the
    configured model (loaded lazily), caching vectors under ``cache_dir``/embeddings.

    The backend is chosen here, once, and every worker of ``engine`` uses it. When the
    engine's workers have GPUs (``RayEngine.use_gpu``), "auto" is resolved for a GPU
    (``resolve_backend``), not for this machine: torch unless ONNX Runtime has its CUDA
    provider, or the workers would embed on their CPUs. On a Ray cluster joined by address,
    "auto" never means torch-bf16: this machine's CPU says nothing of the workers' (bfloat16
    emulated in software is slower than fp32)."""
    if isinstance(embedder, Embedder):
        return embedder
    cache = Path(cache_dir) / "embeddings" if cache_dir else None
    backend = settings.embedding_backend
    model = settings.embedding_model or DEFAULT_MODEL
    if getattr(engine, "use_gpu", False):  # the workers embed on GPUs, whatever this machine has
        backend = resolve_backend(backend, model, "cuda")
    elif getattr(engine, "address", None):  # another machine's CPUs: bf16 may be emulated there
        backend = resolve_backend(backend, model, settings.embedding_device, bf16=False)
    return Embedder(
        settings.embedding_model,
        encoder=embedder,
        cache_dir=cache,
        batch_size=settings.embedding_batch_size,
        chunk_size=settings.embedding_chunk_size,
        max_seq_length=settings.embedding_max_seq_length,
        backend=backend,
        device=settings.embedding_device,
        onnx_dir=Path(cache_dir) / "onnx" if cache_dir else None,
    )


@contextlib.contextmanager
def _engine_or_local(engine: Any) -> Iterator[Any]:
    """The given engine, or (None) a ``LocalEngine`` for one scan, closed after it: the
    encoder in this process, the text stages on one process per CPU."""
    if engine is not None:
        yield engine
        return
    with LocalEngine() as own:
        yield own


def run_scan(
    examples: Sequence[Example],
    reference: Sequence[Example] | None = None,
    settings: ScanSettings | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    embedder: Any = None,
    memo_scope: str | None = None,
    eval_set: Sequence[Example] | None = None,
    engine: Any = None,
) -> ScanResult:
    """Run every configured detector and return their findings, sorted deterministically.

    ``reference``: a coverage reference (prompts users really ask): coverage gaps are found
    against it. ``eval_set``: held-out evaluation prompts: leakage is found against it. A
    file is one or the other; neither detector reads the other's set.

    ``embedder``: optional ``Embedder`` or any object with ``.encode(list[str])`` (tests pass
    a hashing encoder); by default the configured sentence-transformers model.
    ``memo_scope``: the dataset's name when several datasets share ``cache_dir``: each keeps
    its own memo of pair judgements and signatures (see ``memo_folder``), so scanning one
    does not make the next re-scan of another cold.
    ``engine``: where the row-parallel stages (embedding, MinHash signatures, the text checks
    of pair judgement, edge-case regexes) run, a ``curation.engine.RayEngine`` for example;
    None: a ``LocalEngine`` for this scan (the encoder here, the text stages on one process
    per CPU). The findings do not depend on it.
    """
    settings = settings or ScanSettings()
    with _engine_or_local(engine) as engine:
        emb = make_embedder(settings, cache_dir, embedder, engine)
        emb.engine = engine
        ctx = ScanContext(
            examples=list(examples),
            reference=list(reference) if reference else None,
            embedder=emb,
            progress=progress or no_progress,
            memo_dir=memo_folder(Path(cache_dir), memo_scope) if cache_dir else None,
            eval_set=list(eval_set) if eval_set else None,
            engine=engine,
            shuffle_rows=settings.shuffle_rows,
        )
        timings: dict[str, float] = {}
        findings: list[Finding] = []
        for det in settings.instances():
            ctx.progress(f"detector {det.name}", 0, 1)
            t0 = time.perf_counter()
            findings.extend(det.detect(ctx))
            timings[det.name] = round(time.perf_counter() - t0, 3)
            ctx.progress(f"detector {det.name}", 1, 1)
        save_memos(ctx)
    timings.update(ctx.cache.get("timings", {}))
    findings.sort(key=sort_key)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ScanResult(
        findings=findings,
        timings=timings,
        settings=settings.model_dump(mode="json"),
        n_examples=len(ctx.examples),
        n_reference=len(ctx.reference or ()),
        n_eval=len(ctx.eval_set or ()),
        texts_embedded=emb.n_encoded,
        counts=counts,
    )


def _api_scan(*args: Any, **kwargs: Any) -> list[Finding]:
    from curation.api import scan

    return scan(*args, **kwargs)


callable_module(__name__, _api_scan)  # `curation.scan(...)` is the API function (see curation.api)
