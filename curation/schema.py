"""The shapes every layer shares: Example, Finding, Decision.

An ``Example`` is one row of a dataset in canonical form (a list of turns) that keeps
the original record untouched, so export can write it back in its source format.
A ``Finding`` is what a detector reports (see shared/contract/FINDINGS.md).
A ``Decision`` is one append-only event recorded by a person or a policy; what it means is
``curation.decisions``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

ROLES = ("system", "user", "assistant")

FINDING_KINDS = (
    "duplicate",
    "contradiction",
    "coverage_gap",
    "leakage",
    "quality",
)


@dataclass(frozen=True)
class Turn:
    role: str
    content: str


@dataclass(frozen=True)
class Example:
    """One instruction-data row in canonical form.

    ``row`` is the 0-based position in the source (bad rows skipped on import keep their
    positions, so rows can have gaps); ``source_id`` is an id field from the source when one
    exists; ``record`` is the original record, unchanged (source column names, never the
    canonical names of a ``--map``); ``raw`` is the record's original bytes for text formats
    (JSONL line, CSV row, element of a JSON array), so an untouched row is written back exactly.
    """

    row: int
    turns: tuple[Turn, ...]
    record: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    source_format: str = "messages"
    source_id: str | None = None
    raw: bytes | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def has_answer(self) -> bool:
        return bool(self.turns) and self.turns[-1].role == "assistant"

    @property
    def answer(self) -> str:
        """The last assistant turn ('' for a prompt-only example)."""
        return self.turns[-1].content if self.has_answer else ""

    @property
    def request_turns(self) -> tuple[Turn, ...]:
        """Everything before the last answer: system, instruction, input, earlier turns."""
        return self.turns[:-1] if self.has_answer else self.turns

    @property
    def request(self) -> str:
        """The request as one text (system + user turns + earlier assistant turns)."""
        return "\n\n".join(t.content for t in self.request_turns if t.content)

    @property
    def user_request(self) -> str:
        """The request without the system prompt: what the user asked."""
        return "\n\n".join(t.content for t in self.request_turns if t.role != "system" and t.content)

    @property
    def n_user_turns(self) -> int:
        return sum(1 for t in self.turns if t.role == "user")

    def content_hash(self) -> str:
        payload = json.dumps([[t.role, t.content] for t in self.turns], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_messages(self) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in self.turns]


@dataclass(frozen=True)
class Finding:
    """One detector result, in the shape of shared/contract/FINDINGS.md."""

    kind: str
    detector: str
    rows: tuple[int, ...]
    score: float
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    reference_rows: tuple[int, ...] = ()
    finding_id: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside 0..1 for {self.kind}/{self.detector}")
        if not self.finding_id:
            object.__setattr__(self, "finding_id", finding_id(self.kind, self.detector, self.rows, self.reference_rows))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "finding_id": self.finding_id,
            "kind": self.kind,
            "rows": list(self.rows),
            "score": round(float(self.score), 4),
            "detector": self.detector,
            "reason": self.reason,
            "evidence": dict(self.evidence),
        }
        if self.reference_rows or self.kind == "coverage_gap":
            out["reference_rows"] = list(self.reference_rows)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            kind=d["kind"],
            detector=d["detector"],
            rows=tuple(int(r) for r in d.get("rows") or ()),
            score=float(d["score"]),
            reason=d.get("reason", ""),
            evidence=d.get("evidence") or {},
            reference_rows=tuple(int(r) for r in d.get("reference_rows") or ()),
            finding_id=d.get("finding_id", ""),
        )


@dataclass(frozen=True)
class Decision:
    """One append-only event: who did what to which rows/finding, when and why."""

    id: int
    dataset_id: int
    action: str
    actor: str
    rows: tuple[int, ...]
    finding_id: str | None
    payload: dict
    reason: str
    created_at: float
    undoes: int | None = None  # the decision an undo or retract withdraws
    key: str | None = None  # idempotency key: a decision with a stored key is not recorded again
    role: str = ""  # the actor's role when they decided


def finding_id(kind: str, detector: str, rows: tuple[int, ...], reference_rows: tuple[int, ...] = ()) -> str:
    """A stable id: the same kind, detector and rows give the same id on every run."""
    key = f"{kind}|{detector}|{','.join(map(str, sorted(rows)))}|{','.join(map(str, sorted(reference_rows)))}"
    prefix = {"duplicate": "dup", "contradiction": "con", "coverage_gap": "gap"}.get(kind, kind[:4])
    return f"{prefix}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
