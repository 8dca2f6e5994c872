"""Read a model-comparison output folder for the Compare models page.

What ``training.compare.run_comparison`` writes is read as is::

    <folder>/report.json      {"primary_metric", "difference", "ci95_low", "ci95_high", "p_value",
                               "verdict", "arms": {arm: {metric: mean, ..., "by_category": ...}}, ...}
    <folder>/eval_rows.jsonl  one line per (prompt, arm): {"arm", "id", "category", "answer", metrics...}

Prompt texts come from, in order: a ``prompt`` (or ``messages``) field of the rows, the
report's ``prompts`` list, or an eval set (``eval.jsonl`` / ``eval_items.jsonl`` in the
folder, or the file named by ``report["eval_path"]``) matched by ``id``. A minimal hand-made
comparison also works: ``report.json`` with ``"arms": ["a", "b"]`` and ``prompts``, plus
``generations.jsonl`` lines ``{"prompt_id", "arm", "output"}`` (the training generation
cache, lines of ``{"key", "answer"}``, is ignored). Folders are looked for under the
workspace runs/ and comparisons/ folders and in the artifacts of runs of kind ``compare``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.store import Workspace

TEXT_KEYS = ("answer", "output", "text", "generation", "response")
HEADLINE = ("primary_metric", "difference", "ci95_low", "ci95_high", "p_value", "verdict", "verdict_vs_random")


@dataclass
class Comparison:
    name: str
    folder: Path
    arms: list[str]
    metrics: dict[str, dict[str, Any]]  # arm -> scalar metrics
    prompts: list[dict[str, Any]] = field(default_factory=list)  # {"id", "prompt", "reference", "answers"}
    headline: dict[str, Any] = field(default_factory=dict)


def candidates(ws: Workspace) -> list[Path]:
    """Comparison folders (holding a report.json) known to this workspace, newest first."""
    bases = [b for b in (ws.runs_dir, ws.root / "comparisons") if b.is_dir()]
    found = {p.parent.resolve() for b in bases for pattern in ("report.json", "*/report.json") for p in b.glob(pattern)}
    for run in ws.runs(kind="compare"):
        for value in run["artifacts"].values():
            p = Path(str(value))
            folder = p if p.is_dir() else p.parent
            if (folder / "report.json").is_file():
                found.add(folder.resolve())
    return sorted(found, key=lambda p: (p / "report.json").stat().st_mtime, reverse=True)


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _arms(report: dict) -> tuple[list[str], dict[str, dict]]:
    raw, metrics = report.get("arms") or [], dict(report.get("metrics") or {})
    if isinstance(raw, dict):
        metrics.update(raw)
        arms = list(raw)
    else:
        arms = [str(a["name"]) if isinstance(a, dict) else str(a) for a in raw]
        metrics.update({str(a["name"]): a["metrics"] for a in raw if isinstance(a, dict) and a.get("metrics")})
    scalar = {
        a: {k: v for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        for a, m in metrics.items()
        if isinstance(m, dict)
    }
    return arms, scalar


def _prompt_text(row: dict) -> str:
    if row.get("prompt"):
        return str(row["prompt"])
    messages = row.get("messages") or []
    return "\n\n".join(str(m.get("content", "")) for m in messages if m.get("role") != "assistant")


def _eval_items(folder: Path, report: dict) -> dict[str, dict]:
    paths = [folder / "eval.jsonl", folder / "eval_items.jsonl"]
    for key in ("eval_path",):
        for source in (report, report.get("config") or {}):
            if source.get(key):
                paths.append(Path(str(source[key])))
    for path in paths:
        rows = _jsonl(path)
        if rows:
            return {str(r.get("id")): r for r in rows}
    return {}


def load(folder: Path) -> Comparison:
    """Read one comparison; prompts keep the order of the report (or of the rows)."""
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    arms, metrics = _arms(report)
    prompts: dict[str, dict[str, Any]] = {}
    for p in report.get("prompts") or []:
        pid = str(p.get("id", p.get("prompt_id", len(prompts))))
        prompts[pid] = {"id": pid, "prompt": _prompt_text(p), "reference": p.get("reference"), "answers": {}}
    rows = _jsonl(folder / "eval_rows.jsonl") or _jsonl(
        folder / Path(str(report.get("generations", "generations.jsonl"))).name
    )
    items = _eval_items(folder, report)
    for r in rows:
        if r.get("arm") is None:
            continue  # a generation-cache line
        pid = str(r.get("prompt_id", r.get("id")))
        item = items.get(pid, {})
        entry = prompts.setdefault(pid, {"id": pid, "prompt": "", "reference": item.get("reference"), "answers": {}})
        entry["prompt"] = entry["prompt"] or _prompt_text(r) or _prompt_text(item)
        entry["category"] = r.get("category") or item.get("category")
        entry["answers"][str(r["arm"])] = next((str(r[k]) for k in TEXT_KEYS if r.get(k) is not None), "")
        if str(r["arm"]) not in arms:
            arms.append(str(r["arm"]))
    headline = {k: report[k] for k in HEADLINE if report.get(k) is not None}
    return Comparison(str(report.get("name") or folder.name), folder, arms, metrics, list(prompts.values()), headline)
