"""The duplicate graph detector: exact, MinHash and semantic edges in one union-find.

Field-aware: a pair joins a group only when its request AND its answer match (prompt-only
data: the prompt). The same request with a materially different answer is a contradiction
candidate, never a duplicate, and such pairs are cannot-links: a chain of near-duplicate
edges may not pull two conflicting rows into one group. One finding per group, naming the
representative to keep and, per member, the edge type that linked it.
"""

from __future__ import annotations

import time
from typing import ClassVar

from pydantic import Field

from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.exact import ExactDuplicates
from curation.detectors.features import fields, judged_pairs, pair_of
from curation.detectors.graph import group_findings
from curation.detectors.minhash import MinHashDuplicates
from curation.detectors.semantic import SemanticDuplicates
from curation.schema import Finding


@register
class Duplicates(Detector):
    """One ``duplicate`` finding per group of rows that repeat a request and its answer."""

    name: ClassVar[str] = "duplicates"
    kinds: ClassVar[tuple[str, ...]] = ("duplicate",)

    exact: ExactDuplicates | None = Field(default_factory=ExactDuplicates, description="exact edges (None: off)")
    minhash: MinHashDuplicates | None = Field(
        default_factory=MinHashDuplicates, description="MinHash edges (None: off)"
    )
    semantic: SemanticDuplicates | None = Field(
        default_factory=SemanticDuplicates, description="embedding edges (None: off)"
    )

    def detect(self, ctx: ScanContext) -> list[Finding]:
        edges = []
        timings = ctx.cache.setdefault("timings", {})
        if self.semantic is not None and ctx.embedder is not None:
            # judge the embedding candidates first, as a full scan does (the contradiction
            # detector asks for them before this detector runs): a MinHash candidate that is
            # also one of them is then judged with its cosines, whichever detectors run
            t0 = time.perf_counter()
            self.semantic.judged(ctx)
            timings["duplicates.semantic"] = round(time.perf_counter() - t0, 3)
        for part in (self.exact, self.minhash, self.semantic):
            if part is not None:
                t0 = time.perf_counter()
                edges.extend(part.edges(ctx))
                key = f"duplicates.{part.name}"
                timings[key] = round(timings.get(key, 0) + time.perf_counter() - t0, 3)
        cannot = [pair_of(code) for code, jd in judged_pairs(ctx).items() if jd.conflict_candidate]
        cannot += ctx.cache.get("conflict_pairs", ())  # set by the contradiction detector
        thresholds = {p.name: p.settings() for p in (self.exact, self.minhash, self.semantic) if p}
        return group_findings(edges, fields(ctx), thresholds, cannot_link=cannot)
