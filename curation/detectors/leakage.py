"""Train/eval leakage: eval-set prompts that duplicate training prompts.

Runs only against an eval set (``ScanContext.eval_set``: held-out prompts a model is scored
on), never against a coverage reference: training rows close to the prompts users ask are
coverage, not leakage. Each eval prompt is compared with its nearest training requests:
identical after normalisation and boilerplate stripping, a near copy (typos, wrappers), or a
rewording above ``semantic_threshold`` with no differing number or named term. One
``leakage`` finding per leaked eval prompt (its row in the eval set is the finding's
``reference_rows``), listing the training rows it duplicates, so they can be dropped from
training (or the prompt from the eval set).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.boilerplate import strip_request
from curation.detectors.features import eval_embeddings, fields, request_embeddings
from curation.detectors.matching import compare_requests
from curation.detectors.neighbors import knn
from curation.detectors.rules import rule
from curation.schema import Finding
from curation.detectors.text import normalize

LEAK_RULES = {
    kind: rule(f"leak.{kind}", f"an eval prompt and a training request match ({how})")
    for kind, how in {
        "exact": "identical after normalisation",
        "near": "an edit-distance ratio at or above near",
        "contained": "one holds the other",
        "semantic": "embedding cosine at or above the threshold",
    }.items()
}


@register
class Leakage(Detector):
    """Eval-set prompts that also appear (possibly reworded) in the training data."""

    name: ClassVar[str] = "leakage"
    kinds: ClassVar[tuple[str, ...]] = ("leakage",)

    k: int = Field(5, ge=1, description="nearest training requests checked per eval prompt")
    candidate_threshold: float = Field(0.85, ge=0, le=1, description="cosine to check a pair at all")
    semantic_threshold: float = Field(0.95, ge=0, le=1, description="cosine that counts as a reworded copy")

    def detect(self, ctx: ScanContext) -> list[Finding]:
        if not ctx.eval_set or not ctx.examples:
            return []
        f = fields(ctx)
        by_norm: dict[str, list[int]] = {}
        for i, r in enumerate(f.request_core_norm):
            by_norm.setdefault(r, []).append(i)
        eval_emb = eval_embeddings(ctx) if ctx.embedder is not None else None
        idx = sims = None
        if eval_emb is not None:
            idx, sims = knn(eval_emb, request_embeddings(ctx), self.k)
        out = []
        for r, ex in enumerate(ctx.eval_set):
            text = strip_request(ex.user_request or ex.request)
            norm = normalize(text)
            hits: dict[int, tuple[str, float]] = {i: ("exact", 1.0) for i in by_norm.get(norm, ()) if norm}
            for i, c in zip(idx[r] if idx is not None else (), sims[r] if sims is not None else ()):
                if c < self.candidate_threshold or int(i) in hits:
                    continue
                rel = compare_requests(
                    text, f.request_core[i], norm, f.request_core_norm[i], float(c), semantic=self.semantic_threshold
                )
                if rel.same:
                    hits[int(i)] = (rel.kind, rel.score)
            if not hits:
                continue
            rows = tuple(sorted(f.rows[i] for i in hits))
            score = max(s for _, s in hits.values())
            kinds = sorted({k for k, _ in hits.values()})
            out.append(
                Finding(
                    kind="leakage",
                    detector=self.name,
                    rows=rows,
                    reference_rows=(ex.row,),
                    score=min(1.0, score),
                    reason=f"Eval prompt {ex.row} also appears in training ({', '.join(kinds)} "
                    f"match with row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}).",
                    evidence={
                        "rules": [{"id": LEAK_RULES[k].id} for k in kinds],
                        "matches": {
                            str(f.rows[i]): {"match": k, "similarity": round(s, 4)}
                            for i, (k, s) in sorted(hits.items())
                        },
                        "thresholds": self.settings(),
                    },
                )
            )
        return out
