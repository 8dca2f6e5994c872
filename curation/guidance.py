"""What reviewers decide with: the workspace's review guidelines and its facts sheet.

Guidelines are free text a curator writes for a dataset. The facts sheet maps a fact's key to
its current value (and a label saying what it is): typed in the app, or imported from a
JSON file (``{"key": "value"}``, a list of ``{"key", "value", "label"}`` objects, or an object
with such a list under ``facts``, like data/demo/facts.json). Both are kept in the workspace
database, per dataset. The facts sheet only ever *suggests* (``curation.suggestions``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from curation.store import Workspace


class FactsError(ValueError):
    """A facts file that cannot be read: names the file and what is wrong."""


def load_guidelines(ws: Workspace, dataset_id: int) -> str:
    return ws.meta_get(f"guidelines:{dataset_id}") or ""


def save_guidelines(ws: Workspace, dataset_id: int, text: str) -> None:
    ws.meta_set(f"guidelines:{dataset_id}", str(text))


def load_facts(ws: Workspace, dataset_id: int) -> dict[str, dict[str, str]]:
    """key -> {"value", "label"} (empty without a facts sheet)."""
    raw = ws.meta_get(f"facts:{dataset_id}")
    return json.loads(raw) if raw else {}


def save_facts(ws: Workspace, dataset_id: int, facts: Mapping[str, Mapping[str, Any]]) -> None:
    clean = {
        str(k).strip(): {"value": str(v.get("value", "")).strip(), "label": str(v.get("label") or k).strip()}
        for k, v in facts.items()
        if str(k).strip() and str(v.get("value", "")).strip()
    }
    ws.meta_set(f"facts:{dataset_id}", json.dumps(clean, ensure_ascii=False, sort_keys=True))


def read_facts(path: str | Path) -> dict[str, dict[str, str]]:
    """A facts file in one of the shapes above; FactsError names the file and the problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FactsError(f"{path}: not a readable JSON file ({err})") from None
    items = data.get("facts") if isinstance(data, dict) and isinstance(data.get("facts"), list) else data
    if isinstance(items, dict):
        return {str(k): {"value": str(v), "label": str(k)} for k, v in items.items() if not isinstance(v, (dict, list))}
    if not isinstance(items, list):
        raise FactsError(f"{path}: expected an object of key: value, or a list of {{key, value}} objects")
    out = {}
    for n, f in enumerate(items):
        if not isinstance(f, dict) or "key" not in f or "value" not in f:
            raise FactsError(f"{path}: fact {n + 1} needs 'key' and 'value'")
        out[str(f["key"])] = {"value": str(f["value"]), "label": str(f.get("label") or f["key"])}
    return out
