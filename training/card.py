"""Model cards: what an adapter (or merged model) is, rendered from one provenance record.

Every trained adapter folder holds ``provenance.json`` (base model, data, config, training
metrics and, after a comparison, its evaluation) and a ``README.md`` rendered from it with the
Hub's YAML metadata (``base_model``, ``library_name: peft``), so the folder can be uploaded
with ``huggingface_hub.upload_folder`` as it is and reads the same on the Hub as here. A
comparison adds its results with ``add_evaluation``; the card is rendered again, never edited.

Not handled: licence metadata (it depends on the training data, which only its owner knows).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from training.checkpoint import write_json

PROVENANCE = "provenance.json"
MANIFEST = "data_manifest.json"
CONFIG_ROWS = (
    "backend",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "learning_rate",
    "lr_schedule",
    "warmup_ratio",
    "epochs",
    "max_steps",
    "batch_size",
    "grad_accum",
    "max_seq_len",
    "weight_decay",
    "max_grad_norm",
    "seed",
    "precision",
    "packing",
)
METRIC_ROWS = (
    "steps",
    "final_loss",
    "n_examples",
    "n_truncated",
    "tokens",
    "tokens_per_s",
    "train_seconds",
    "padding_frac",
    "device",
    "dtype",
)


def data_record(path: str | None, data_hash: str, n: int) -> dict[str, Any]:
    """The training data: content hash, size, and the curated-set manifest that ``curate
    export`` writes next to an export (``<file>.manifest.json``), when there is one."""
    out: dict[str, Any] = {"hash": data_hash, "n_conversations": n, "file": None, "manifest": None}
    if path:
        out["file"] = Path(path).name
        manifest = Path(f"{path}.manifest.json")
        if manifest.is_file():
            out["manifest"] = json.loads(manifest.read_text(encoding="utf-8"))
    return out


def write_provenance(folder: str | Path, record: dict[str, Any]) -> None:
    """Write ``provenance.json``, the manifest (if any) and the rendered ``README.md``."""
    folder = Path(folder)
    record = {**record, "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
    manifest = (record.get("data") or {}).get("manifest")
    if manifest is not None:
        write_json(folder / MANIFEST, manifest)
    write_json(folder / PROVENANCE, record)
    (folder / "README.md").write_text(render(record), encoding="utf-8")


def read_provenance(folder: str | Path) -> dict[str, Any] | None:
    path = Path(folder) / PROVENANCE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def add_evaluation(folder: str | Path, evaluation: dict[str, Any]) -> None:
    """Add a comparison's results for this adapter and render the card again."""
    record = read_provenance(folder)
    if record is not None:
        write_provenance(folder, {**record, "evaluation": evaluation})


def comparison_summary(report: dict[str, Any], arm: str) -> dict[str, Any]:
    """One arm's figures from a comparison report: its mean metrics, and how it compared."""
    pm = report["primary_metric"]
    vs = {
        key: {k: comp[k] for k in ("difference", "ci95_low", "ci95_high", "p_value", "n")}
        for key, comp in report["comparisons"].get(pm, {}).items()
        if key.startswith(f"{arm}_vs_")
    }
    return {
        "primary_metric": pm,
        "primary_metric_description": report.get("primary_metric_description", ""),
        "n_eval_items": report["n_eval_items"],
        "metrics": report["arms"].get(arm, {}),
        "base_metrics": report["arms"].get("base", {}),
        "comparisons": vs,
        "verdict": report["verdict"] if arm == "curated" else None,
    }


def render(record: dict[str, Any]) -> str:
    base = record.get("base") or {}
    data = record.get("data") or {}
    config = record.get("config") or {}
    metrics = record.get("metrics") or {}
    kind = record.get("kind", "adapter")
    hub_id = base.get("hub_id")
    meta = ["---"]
    if hub_id:
        meta.append(f"base_model: {hub_id}")
    if kind == "adapter":
        meta += ["library_name: peft", "pipeline_tag: text-generation", "tags:", "- lora", "- peft"]
        if hub_id:
            meta.append(f"- base_model:adapter:{hub_id}")
    else:
        meta += [
            "library_name: transformers",
            "pipeline_tag: text-generation",
            "base_model_relation: finetune",
            "tags:",
            "- lora-merged",
        ]
    meta += ["- curation-workbench", "---", ""]
    name = record.get("name") or "adapter"
    title = "LoRA adapter" if kind == "adapter" else "LoRA adapter merged into its base"
    lines = [
        f"# {title}: {name}",
        "",
        f"Trained with curation-workbench's LoRA trainer (backend "
        f"`{config.get('backend', 'ours')}`) on {record.get('written', '')[:10]}.",
        "",
    ]
    lines += ["## Base model", ""]
    lines += _base_lines(base)
    lines += ["", "## Using it", "", *_usage(kind, base), ""]
    lines += [
        "## Data",
        "",
        f"- content hash (conversations, in order): `{data.get('hash', '')}`",
        f"- conversations: {data.get('n_conversations', '?')}",
    ]
    if data.get("file"):
        lines.append(f"- file: `{data['file']}`")
    lines += _manifest_lines(data.get("manifest"))
    lines += ["", "## Training configuration", "", "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {config[k]} |" for k in CONFIG_ROWS if k in config]
    lines.append(f"| training key | `{metrics.get('training_key', '')}` |")
    lines += ["", "## Training metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(metrics[k])} |" for k in METRIC_ROWS if metrics.get(k) is not None]
    lines += _evaluation_lines(record.get("evaluation"))
    return "\n".join(meta + lines) + "\n"


def _base_lines(base: dict[str, Any]) -> list[str]:
    src = base.get("source") or {}
    out = []
    if base.get("hub_id"):
        out.append(f"- Hub id: `{base['hub_id']}`, revision `{base.get('revision') or 'main'}`")
    else:
        out.append("- not a Hub model: the adapter names a local path (see `provenance.json`)")
    if src.get("file"):
        sha = f", SHA-256 `{src['sha256']}`" if src.get("sha256") else ""
        pkg = f" from the `{src['package']}` package" if src.get("package") else ""
        out.append(f"- loaded from `{src['file']}`{pkg}{sha}")
    if base.get("note"):
        out += ["", f"**Note:** {base['note']}"]
    return out


def _usage(kind: str, base: dict[str, Any]) -> list[str]:
    if kind != "adapter":
        return [
            "```python",
            "from transformers import AutoModelForCausalLM, AutoTokenizer",
            "model = AutoModelForCausalLM.from_pretrained(FOLDER)",
            "tok = AutoTokenizer.from_pretrained(FOLDER)",
            "```",
        ]
    out = [
        "```python",
        "from peft import AutoPeftModelForCausalLM",
        "model = AutoPeftModelForCausalLM.from_pretrained(FOLDER)  # loads the base by Hub id",
        "```",
    ]
    if (base.get("source") or {}).get("format") == "gguf" and base.get("hub_id"):
        out += [
            "",
            "The base resolves offline from the workbench's Hub cache: run "
            "`curate base-model` once (it prints the folder), then set "
            "`HF_HUB_CACHE` to it and `HF_HUB_OFFLINE=1`. Without the workbench, load "
            f"`{base['hub_id']}` from the Hub yourself and pass it to "
            "`PeftModel.from_pretrained(base, FOLDER)`: it works, but the weights are the "
            "Hub's, not the dequantised ones this adapter was trained on.",
        ]
    return out


def _manifest_lines(manifest: dict[str, Any] | None) -> list[str]:
    if not manifest:
        return [
            "- curated-set manifest: none recorded (the rows were not read from a `curate export`"
            " file, e.g. a comparison arm built in memory; the content hash identifies them)"
        ]
    keys = ("dataset", "input_sha256", "output_sha256", "as_of_decision")
    out = ["- curated-set manifest (`data_manifest.json`):"]
    out += [f"  - {k}: `{manifest[k]}`" for k in keys if manifest.get(k) not in (None, "")]
    counts = {k: v for k, v in manifest.items() if isinstance(v, int) and k != "as_of_decision"}
    if counts:
        out.append("  - rows: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if manifest.get("reviewers"):
        out.append("  - reviewers: " + ", ".join(manifest["reviewers"]))
    out.append(f"  - recorded changes: {len(manifest.get('changes') or [])}")
    return out


def _evaluation_lines(ev: dict[str, Any] | None) -> list[str]:
    if not ev:
        return []
    pm = ev["primary_metric"]
    out = [
        "",
        "## Evaluation (from the comparison)",
        "",
        f"{ev['n_eval_items']} held-out prompts; primary metric `{pm}`: {ev.get('primary_metric_description', '')}",
        "",
        "| metric | this adapter | base model |",
        "|---|---|---|",
    ]
    for k, v in ev["metrics"].items():
        if isinstance(v, (int, float)):
            out.append(f"| {k} | {_fmt(v)} | {_fmt(ev['base_metrics'].get(k))} |")
    if ev["comparisons"]:
        out += ["", "| compared with | difference (positive = this adapter better) | 95% CI | p |", "|---|---|---|---|"]
        for key, c in ev["comparisons"].items():
            out.append(
                f"| {key.split('_vs_', 1)[1]} | {c['difference']:+.4f} | "
                f"{c['ci95_low']:+.4f} .. {c['ci95_high']:+.4f} | {c['p_value']:.3g} |"
            )
    if ev.get("verdict"):
        out += ["", f"Verdict: {ev['verdict']}."]
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)
