"""The arms of a comparison, built in one place for the command line and the app.

``build_arms`` takes a workspace dataset and returns the conversations each arm trains on:

- ``curated``: the source rows with the decisions reviewers recorded applied; the
  no-review policy (``curation.curate.auto_decisions``) fills in only the findings nobody
  decided, under the recorded decisions, and ``info`` says how many rows each set;
- ``baseline``: the source rows as they are.

Eval prompts come from an eval file (validated line by line) or, without one, from a
held-out split by duplicate group made before any arm is built, so no copy of an eval
prompt trains either arm; ``run_comparison`` then drops eval prompts that leak into a
training arm anyway (``training.split.check_leakage``). Rows without an answer (prompt-only)
train neither arm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.curate import POLICY_ACTOR, policy_summary
from curation.formats import DataError
from curation.schema import Turn
from curation.store import Dataset, Workspace
from curation.workbench import policy_decisions
from training.breakdown import tag_eval_items, touched_kinds
from training.data import Conversation
from training.split import split_eval


@dataclass
class Arms:
    arms: dict[str, list[Conversation]]
    eval_items: list[dict[str, Any]]
    general_items: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def conversation(turns: tuple[Turn, ...]) -> Conversation:
    return [{"role": t.role, "content": t.content} for t in turns]


def read_eval_items(path: Path) -> list[dict]:
    """Eval prompts: JSONL of {"messages" | "prompt", "reference", "checks"?}; DataError names
    file and line of a bad one."""
    items = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(path, f"cannot read the eval file: {err}") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(path, f"malformed JSON: {err.msg}", n) from None
        if not isinstance(item, dict):
            raise DataError(path, "an eval item is a JSON object", n)
        if "messages" not in item and "prompt" in item:
            item["messages"] = [{"role": "user", "content": item["prompt"]}]
        if not item.get("messages"):
            raise DataError(path, "an eval item needs 'messages' or 'prompt'", n, "messages")
        if not isinstance(item.get("reference"), str):
            raise DataError(path, "an eval item needs a text reference answer", n, "reference")
        item.setdefault("id", f"{path.stem}-{n}")
        items.append(item)
    if not items:
        raise DataError(path, "empty file: no eval items")
    return items


def build_arms(
    ws: Workspace,
    dataset: Dataset,
    eval_path: Path | None = None,
    general_path: Path | None = None,
    *,
    policy: bool = True,
    seed: int = 0,
    eval_frac: float = 0.1,
    merge_rewordings: bool = False,
) -> Arms:
    """The curated and baseline arms of ``dataset`` and the eval prompts (see the module doc)."""
    eval_items = read_eval_items(eval_path) if eval_path is not None else None
    general = read_eval_items(general_path) if general_path is not None else []
    examples = ws.examples(dataset.id)
    findings = ws.findings(dataset.id)
    held_out: set[int] = set()
    if eval_items is None:
        group = {r: f.finding_id for f in findings if f.kind == "duplicate" for r in f.rows}
        convs = [conversation(ex.turns) for ex in examples]
        _, eval_items = split_eval(convs, [group.get(ex.row) for ex in examples], eval_frac, seed)
        held_ids = {item["row"] for item in eval_items}  # positions in ``examples``
        held_groups = {group.get(examples[i].row, ("row", examples[i].row)) for i in held_ids}
        held_out = {ex.row for ex in examples if group.get(ex.row, ("row", ex.row)) in held_groups}
    ledger = ws.ledger(dataset.id)
    usable = [f for f in findings if not set(f.rows) & held_out]
    fallback = policy_decisions(ws, dataset, ledger, usable, examples, merge_rewordings) if policy else []
    rows = [r for r in ledger.curated(examples, fallback) if r.row is None or r.row not in held_out]
    curated = [conversation(r.turns) for r in rows if r.included and _answered(r.turns)]
    baseline = [conversation(ex.turns) for ex in examples if ex.row not in held_out and _answered(ex.turns)]
    by_policy = [r for r in rows if r.decision is not None and r.decision.actor == POLICY_ACTOR]
    by_people = [r for r in rows if r.row is not None and r.decision is not None and r.decision.actor != POLICY_ACTOR]
    info = {
        "dataset": dataset.name,
        "dataset_sha256": dataset.content_hash,
        "n_source": len(examples),
        "held_out_rows": len(held_out),
        "eval_source": str(eval_path) if eval_path is not None else f"held-out split ({eval_frac:.0%} of groups)",
        "recorded_decisions": sum(
            1 for e in ledger.live if e.action in ("keep", "drop", "edit", "pick", "merge", "add")
        ),
        "rows_set_by_recorded": len(by_people),
        "examples_added": sum(1 for r in rows if r.row is None),
        "policy": "no-review policy for undecided findings" if policy else "none",
        "policy_findings": len({r.decision.finding_id for r in by_policy}),
        "policy_resolved": policy_summary(fallback, usable) if policy else {},
        "rows_set_by_policy": len(by_policy),
        "unapplied_decisions": [{"decision_id": i, "problem": why} for i, why in sorted(ledger.problems.items())],
        "n_curated": len(curated),
        "n_baseline": len(baseline),
    }
    requests = {ex.row: ex.user_request for ex in examples if ex.row not in held_out and _answered(ex.turns)}
    eval_items = tag_eval_items(list(eval_items), requests, touched_kinds(rows, findings))  # for the breakdown
    return Arms({"curated": curated, "baseline": baseline}, eval_items, general, info)


def _answered(turns: tuple[Turn, ...]) -> bool:
    return bool(turns) and turns[-1].role == "assistant" and len(turns) > 1
