"""Exact duplicates: the same request and answer after normalisation.

Normalisation is NFKC, casefold, punctuation to spaces and collapsed whitespace, applied to
the request and the answer separately (so a request that ends where an answer begins cannot
collide with another split). Prompt-only data is keyed on the prompt alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

import xxhash

from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.features import fields
from curation.detectors.graph import EXACT, Edge, group_findings
from curation.schema import Finding


def exact_groups(ctx: ScanContext, on: str = "both") -> list[list[int]]:
    """Positions grouped by normalised key: ``on`` is "both" (request + answer) or "request"."""
    f = fields(ctx)
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, (r, a) in enumerate(zip(f.request_norm, f.answer_norm)):
        key = r if on == "request" else r + "\x1f" + a
        if key.strip("\x1f"):
            buckets[xxhash.xxh3_64_intdigest(key.encode())].append(i)
    return sorted(g for g in buckets.values() if len(g) > 1)


@register
class ExactDuplicates(Detector):
    """Rows whose normalised request and answer are identical."""

    name: ClassVar[str] = "exact"
    kinds: ClassVar[tuple[str, ...]] = ("duplicate",)

    def edges(self, ctx: ScanContext) -> list[Edge]:
        """A star of ``exact`` edges per group, from its first member."""
        return [
            Edge(g[0], m, "exact", 1.0, "identical after normalisation", (EXACT.id,))
            for g in exact_groups(ctx)
            for m in g[1:]
        ]

    def detect(self, ctx: ScanContext) -> list[Finding]:
        return group_findings(self.edges(ctx), fields(ctx), {"normalisation": "nfkc+casefold+punct+ws"})
