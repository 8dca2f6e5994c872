"""report.json and report.md (with PNG plots when matplotlib is installed, tables always)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from training.checkpoint import write_json


def _f(x: Any, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{nd}f}"
    return str(x)


def _ci(comp: dict[str, Any]) -> str:
    return f"[{_f(comp['ci95_low'])}, {_f(comp['ci95_high'])}]"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_plots(report: dict[str, Any], out_dir: Path) -> list[str]:
    """PNG plots next to the report; [] when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    files = []
    pm = report["primary_metric"]
    arms = list(report["arms"])
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(
        arms,
        [report["arms"][a].get(pm) or 0 for a in arms],
        color=["#888", "#2a7", "#c55", "#58c", "#a7c"][: len(arms)],
    )
    ax.set_ylabel(pm)
    ax.set_title(f"{pm} per arm ({'higher' if report['higher_is_better'] else 'lower'} is better)")
    fig.tight_layout()
    fig.savefig(out_dir / "primary_metric.png", dpi=110)
    files.append("primary_metric.png")
    plt.close(fig)
    diffs = list((report.get("primary_differences") or {}).values())
    if diffs:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(diffs, bins=30, color="#2a7")
        ax.axvline(0, color="k", lw=1)
        ax.set_xlabel(f"curated vs baseline on {pm} (+ = curated better)")
        ax.set_ylabel("eval prompts")
        fig.tight_layout()
        fig.savefig(out_dir / "differences.png", dpi=110)
        files.append("differences.png")
        plt.close(fig)
    curves = report.get("loss_curves") or {}
    if curves:
        fig, ax = plt.subplots(figsize=(5, 3))
        for arm, losses in curves.items():
            ax.plot(range(1, len(losses) + 1), losses, label=arm, lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "loss_curves.png", dpi=110)
        files.append("loss_curves.png")
        plt.close(fig)
    return files


def render_markdown(report: dict[str, Any], plots: list[str]) -> str:
    pm = report["primary_metric"]
    md = [f"# Curation comparison\n\n**{report['verdict']}**", ""]
    if report.get("verdict_vs_random"):
        md.append(f"Against the random control: **{report['verdict_vs_random']}**.\n")
    md.append(
        f"Primary metric (named before the run): `{pm}`: {report['primary_metric_description']}"
        + (f" (chosen because {report['primary_metric_reason']})" if report.get("primary_metric_reason") else "")
        + ".  "
    )
    md.append(f"{report['difference_definition']}.\n")
    design = report.get("design")
    if design:
        budget = (
            f"every arm trained {design['steps']} optimizer steps ({design['budget_source']})"
            if design.get("steps")
            else f"epoch-matched: every arm trained {design['budget_source']}"
        )
        md.append(f"Design: {budget}; training seeds {', '.join(map(str, design['seeds']))}.\n")
    comps = report["comparisons"]
    rows = [
        [
            name.replace("_vs_", " vs "),
            c["difference"],
            _ci(c),
            c["p_value"],
            f"{c['wins']}/{c['ties']}/{c['losses']}",
            c["n"],
        ]
        for name, c in comps[pm].items()
    ]
    md += [
        "## Primary metric\n",
        _table(
            [
                "comparison",
                "difference (+ = first better)",
                "95% CI",
                "p (sign test)",
                "wins/ties/losses",
                "n",
            ],
            rows,
        ),
    ]
    kinds = report.get("by_finding_kind") or {}
    if kinds.get("curated_vs_baseline"):
        metrics_k = [pm, *report.get("secondary_metrics", [])]
        md += [
            "### By the finding kinds the decisions touched (nearest training request of each prompt)\n",
            _table(
                ["prompts", "vs", "n", *[f"{m} difference [95% CI]" for m in metrics_k]],
                [
                    [
                        group,
                        other.removeprefix("curated_vs_"),
                        by_m[pm]["n"],
                        *[f"{_f(by_m[m]['difference'])} {_ci(by_m[m])}" if m in by_m else "–" for m in metrics_k],
                    ]
                    for other, groups in kinds.items()
                    for group, by_m in groups.items()
                ],
            ),
        ]
    by_cat = (report.get("primary_by_category") or {}).get("curated_vs_baseline") or {}
    if by_cat:
        md += [
            "### Where the difference comes from (curated vs baseline, by category)\n",
            _table(
                ["category", "n", "difference", "95% CI", "wins/ties/losses"],
                [
                    [cat, c["n"], c["difference"], _ci(c), f"{c['wins']}/{c['ties']}/{c['losses']}"]
                    for cat, c in by_cat.items()
                ],
            ),
        ]
    metrics = [
        m
        for m in ("ref_nll", "check_pass", "token_f1", "embed_sim", "n_words")
        if m in next(iter(report["arms"].values()))
    ]
    md += [
        "## Arms\n",
        _table(
            ["arm", "train examples", *metrics],
            [[a, report["n_train"].get(a, "–"), *[s.get(m) for m in metrics]] for a, s in report["arms"].items()],
        ),
    ]
    data = report.get("data")
    if data:
        md.append(
            f"How the curated arm was built from {data['dataset']} ({data['n_source']} rows"
            f"{', ' + str(data['held_out_rows']) + ' held out for eval' if data.get('held_out_rows') else ''}): "
            f"{data['recorded_decisions']} recorded decisions set {data['rows_set_by_recorded']} rows; the "
            f"{data['policy']} set {data['rows_set_by_policy']} rows of {data['policy_findings']} findings "
            f"nobody decided"
            + (
                f"; {len(data['unapplied_decisions'])} decisions could not be applied (see report.json)"
                if data.get("unapplied_decisions")
                else ""
            )
            + ".\n"
        )
    cats = sorted({c for s in report["arms"].values() for c in (s.get("by_category") or {})})
    if cats:
        md += [
            "### Check pass rate by category\n",
            _table(
                ["category", *report["arms"]],
                [
                    [
                        c,
                        *[(s.get("by_category") or {}).get(c, {}).get("check_pass") for s in report["arms"].values()],
                    ]
                    for c in cats
                ],
            ),
        ]
    md += [
        "## Secondary metrics (curated vs baseline)\n",
        _table(
            ["metric", "difference", "95% CI", "p"],
            [
                [
                    m,
                    c["curated_vs_baseline"]["difference"],
                    _ci(c["curated_vs_baseline"]),
                    c["curated_vs_baseline"]["p_value"],
                ]
                for m, c in comps.items()
                if m != pm and "curated_vs_baseline" in c
            ],
        ),
    ]
    md += [
        "## Training\n",
        _table(
            ["arm", "examples", "steps", "epochs", "tokens seen", "final loss", "tokens/s", "seconds", "padding"],
            [
                [
                    a,
                    t["n_examples"],
                    t["steps"],
                    t["steps"] / max(1, t.get("steps_per_epoch") or t["steps"]),
                    (report.get("tokens_seen") or {}).get(a, t.get("tokens")),
                    t["final_loss"],
                    t["tokens_per_s"],
                    t["train_seconds"],
                    t["padding_frac"],
                ]
                for a, t in report["training"].items()
            ],
        ),
    ]
    lk = report["leakage"]
    md.append(
        f"## Leakage\n\n{lk['n_checked']} eval prompts checked against every arm's training prompts "
        f"(normalized exact match, char-{lk['ngram']}-gram Jaccard >= {lk['threshold']}): "
        f"{lk['n_leaked']} dropped ({lk['n_exact']} exact, {lk['n_near']} near copies).\n"
    )
    if report.get("forgetting"):
        fr = [
            [
                a,
                (e.get("check_pass") or {}).get("base"),
                (e.get("check_pass") or {}).get("arm"),
                (e.get("ref_nll") or {}).get("base"),
                (e.get("ref_nll") or {}).get("arm"),
            ]
            for a, e in report["forgetting"].items()
        ]
        md += [
            "## Forgetting (general prompts)\n",
            _table(
                ["arm", "check pass (base)", "check pass (arm)", "ref NLL (base)", "ref NLL (arm)"],
                fr,
            ),
        ]
    md += [
        "## LoRA rank use\n",
        _table(
            ["arm", "rank", "mean effective rank", "energy in top half", "verdict"],
            [
                [
                    a,
                    r.get("rank"),
                    r.get("mean_effective_rank"),
                    r.get("mean_energy_top_half"),
                    r.get("verdict"),
                ]
                for a, r in report["rank"].items()
            ],
        ),
    ]
    md += [
        "## Timings (s)\n",
        _table(["stage", "seconds"], [[k, v] for k, v in report["timings"].items()]),
    ]
    md += [f"![{p}]({p})\n" for p in plots]
    return "\n".join(md)


def write_report(report: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` (+ PNGs) into ``out_dir``."""
    out = Path(out_dir)
    plots = write_plots(report, out)
    report["plots"] = plots
    write_json(out / "report.json", report)
    (out / "report.md").write_text(render_markdown(report, plots), encoding="utf-8")
    return out / "report.json", out / "report.md"


def load_report(out_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(out_dir) / "report.json").read_text(encoding="utf-8"))
