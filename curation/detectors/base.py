"""The detector interface, the registry, and the scan context every detector reads.

A detector is a pydantic model whose fields are its settings (with descriptions the app
shows); ``detect`` returns findings and never mutates its input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from curation.schema import Example, Finding

ProgressFn = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """Default progress callback: report nothing."""


@dataclass
class ScanContext:
    """What a detector may read: the examples, an optional coverage reference (prompts users
    really ask: coverage gaps are found against it), an optional eval set (held-out prompts:
    leakage is found against it), shared resources (the embedder), a progress callback, and
    where work that outlives the scan may be kept (``memo_dir``, see ``memo``; None keeps
    nothing)."""

    examples: Sequence[Example]
    reference: Sequence[Example] | None = None
    embedder: object | None = None  # curation.embeddings.Embedder, created lazily by the scan
    progress: ProgressFn = no_progress
    cache: dict = field(default_factory=dict)  # per-scan memo shared by detectors
    memo_dir: Path | None = None
    eval_set: Sequence[Example] | None = None
    engine: object | None = None  # curation.engine: where row-parallel stages run (None: here)
    shuffle_rows: int = 50_000  # signatures per mapper of a distributed engine's LSH shuffle


class Detector(BaseModel):
    """Base class: subclasses set ``name`` and ``kinds`` and implement ``detect``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ()

    def detect(self, ctx: ScanContext) -> list[Finding]:
        raise NotImplementedError

    def settings(self) -> dict:
        return self.model_dump()

    def key(self) -> str:
        """The detector's name with its non-default settings: a stable cache/storage key."""
        changed = self.model_dump(exclude_defaults=True)
        if not changed:
            return self.name
        return self.name + "(" + ",".join(f"{k}={v}" for k, v in sorted(changed.items())) + ")"


REGISTRY: dict[str, type[Detector]] = {}


def register(cls: type[Detector]) -> type[Detector]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    REGISTRY[cls.name] = cls
    return cls
