"""Read a model-comparison output folder for the Compare models page.

The minimal format read here (extra keys are ignored)::

    <folder>/report.json
      {"name": "...",
       "arms": ["base", "raw", "curated"]            # or [{"name": ..., "metrics": {...}}, ...]
       "metrics": {"curated": {"accuracy": 0.61, ...}, ...},      # optional
       "prompts": [{"id": "p1", "prompt": "...", "reference": "..."}, ...],   # optional
       "generations": "generations.jsonl"}            # optional: a file name or an inline list
    <folder>/generations.jsonl   one line per (prompt, arm):
      {"prompt_id": "p1", "arm": "curated", "prompt": "...", "output": "..."}

``output`` may also be called ``text``, ``answer``, ``generation`` or ``response``;
``prompt_id`` may be ``id``. Folders are looked for in the workspace runs/ and
comparisons/ folders and in the artifacts of runs of kind ``compare``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.store import Workspace

TEXT_KEYS = ("output", "text", "answer", "generation", "response")


@dataclass
class Comparison:
    name: str
    folder: Path
    arms: list[str]
    metrics: dict[str, dict[str, Any]]
    prompts: list[dict[str, Any]] = field(default_factory=list)  # {"id", "prompt", "reference", "answers"}


def candidates(ws: Workspace) -> list[Path]:
    """Comparison folders (holding a report.json) known to this workspace, newest first."""
    found = {p.parent.resolve() for base in (ws.runs_dir, ws.root / "comparisons") if base.is_dir()
             for p in base.glob("*/report.json")}
    found |= {p.parent.resolve() for base in (ws.runs_dir, ws.root / "comparisons") if base.is_dir()
              for p in base.glob("report.json")}
    for run in ws.runs(kind="compare"):
        for value in run["artifacts"].values():
            p = Path(str(value))
            folder = p if p.is_dir() else p.parent
            if (folder / "report.json").is_file():
                found.add(folder.resolve())
    return sorted(found, key=lambda p: (p / "report.json").stat().st_mtime, reverse=True)


def _arms(report: dict) -> tuple[list[str], dict[str, dict]]:
    arms, metrics = [], dict(report.get("metrics") or {})
    for arm in report.get("arms") or []:
        if isinstance(arm, dict):
            arms.append(str(arm["name"]))
            if arm.get("metrics"):
                metrics.setdefault(str(arm["name"]), arm["metrics"])
        else:
            arms.append(str(arm))
    return arms, metrics


def _generations(folder: Path, report: dict) -> list[dict]:
    gens = report.get("generations", "generations.jsonl")
    if isinstance(gens, list):
        return gens
    path = folder / Path(str(gens)).name
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load(folder: Path) -> Comparison:
    """Read report.json and the generations; prompts keep the report's order."""
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    arms, metrics = _arms(report)
    prompts: dict[str, dict[str, Any]] = {}
    for p in report.get("prompts") or []:
        pid = str(p.get("id", p.get("prompt_id", len(prompts))))
        prompts[pid] = {"id": pid, "prompt": p.get("prompt", ""), "reference": p.get("reference"), "answers": {}}
    for g in _generations(folder, report):
        pid = str(g.get("prompt_id", g.get("id")))
        entry = prompts.setdefault(pid, {"id": pid, "prompt": g.get("prompt", ""), "reference": g.get("reference"),
                                         "answers": {}})
        entry["prompt"] = entry["prompt"] or g.get("prompt", "")
        arm = str(g.get("arm"))
        entry["answers"][arm] = next((str(g[k]) for k in TEXT_KEYS if g.get(k) is not None), "")
        if arm not in arms:
            arms.append(arm)
    return Comparison(str(report.get("name") or folder.name), folder, arms, metrics, list(prompts.values()))
