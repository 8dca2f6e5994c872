"""`curate`: the command line over the workbench facade (see `curate --help`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from curation.cli_common import DatasetOpt, WorkspaceOpt, _dataset, _fail, _open
from curation.demo import DEMO_DIR
from curation.formats import FORMATS, DataError
from curation.io.rows import ExportError
from curation.store import Workspace, WorkspaceError


class _App(typer.Typer):
    """The command line: a data, workspace or export problem is one line and exit status 2,
    never a traceback (``-v`` shows the traceback)."""

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        import sqlalchemy as sa

        try:
            return super().__call__(*args, **kwargs)
        except (DataError, WorkspaceError, ExportError, sa.exc.OperationalError, OSError) as err:
            if _STATE["verbosity"] > 0:
                raise
            if isinstance(err, sa.exc.OperationalError):
                from curation.store import db_problem

                err = db_problem(err)
            elif isinstance(err, OSError) and not isinstance(err, (DataError, WorkspaceError, ExportError)):
                err = f"{err.filename or ''}: {err.strerror or err}".lstrip(": ")
            typer.echo(f"error: {err}", err=True)
            sys.exit(2)


_STATE = {"verbosity": 0}
app = _App(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Find, review and export curated LLM instruction data; prove it with LoRA.",
)

FormatOpt = typer.Option(
    None, "--format", help=f"Input format when auto-detection is not enough: {', '.join(FORMATS)}."
)
MapOpt = typer.Option(
    None, "--map", help="Column mapping CANONICAL=SOURCE, e.g. --map instruction=question (repeatable)."
)
SkipOpt = typer.Option(False, "--skip-bad", help="Skip bad rows instead of failing; every skipped row is reported.")


def _say(message: str, err: bool = False) -> None:
    """Informational output: silent with -q."""
    if _STATE["verbosity"] >= 0:
        typer.echo(message, err=err)


def _detail(message: str) -> None:
    """Extra detail on stderr with -v."""
    if _STATE["verbosity"] > 0:
        typer.echo(message, err=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        from curation import __version__

        try:
            number = version("curation-workbench")
        except PackageNotFoundError:
            number = __version__
        typer.echo(f"curate {number}")
        raise typer.Exit()


@app.callback()
def _global(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors (and the data asked for)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Print more detail (and tracebacks)."),
) -> None:
    """Find, review and export curated LLM instruction data; prove it with LoRA.

    Global options go before the command: curate -q ingest data.jsonl"""
    _STATE["verbosity"] = -1 if quiet else (1 if verbose else 0)


def _mapping(pairs: Optional[list[str]]) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        if "=" not in pair:
            _fail(f"--map expects CANONICAL=SOURCE, got '{pair}'")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


_UNITS = {"embed": "text", "embed requests": "text", "minhash": "row", "semantic pairs": "pair", "judge pairs": "pair"}


def _progress():
    """A tqdm bar per stage for the scan's progress callback."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(
                total=total,
                desc=stage,
                unit=_UNITS.get(stage, "it"),
                leave=False,
                file=sys.stderr,
                disable=not sys.stderr.isatty() and not os.environ.get("CURATE_PROGRESS"),
            )
        bar.total = total
        bar.n = done
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.close()

    update.close = close  # type: ignore[attr-defined]
    return update


def _ingest(
    ws: Workspace,
    path: Path,
    fmt,
    mapping,
    skip_bad: bool,
    reference_role: str | None = None,
    file_type: Optional[str] = None,
    name: Optional[str] = None,
):
    import time

    from curation.store import RoleError
    from curation.workbench import ingest_file

    started = time.perf_counter()
    try:
        dataset, created, report = ingest_file(
            ws,
            path,
            fmt=fmt,
            mapping=mapping,
            skip_bad=skip_bad,
            reference_role=reference_role,
            file_type=file_type,
            name=name,
        )
    except (DataError, WorkspaceError, RoleError) as err:
        _fail(str(err))
    for skipped in report.skipped:
        _say(f"skipped: row {skipped['row']}: {skipped['message']}", err=True)
    src = dataset.source
    _detail(
        f"{path}: {src.get('kind', '?')}{'+' + src['compression'] if src.get('compression') else ''}, "
        f"{src.get('n_input', '?')} records, format {dataset.format}, id column {src.get('id_column')}, "
        f"{time.perf_counter() - started:.1f}s"
    )
    return dataset, created, report


@app.command()
def ingest(
    path: Path = typer.Argument(
        ...,
        help="A file (.jsonl, .json, .csv, .parquet, optionally .gz/.zst), a "
        "folder of shards, a Hugging Face save_to_disk folder, or - for stdin.",
    ),
    workspace: Optional[Path] = WorkspaceOpt,
    fmt: Optional[str] = FormatOpt,
    map_: Optional[list[str]] = MapOpt,
    skip_bad: bool = SkipOpt,
    file_type: Optional[str] = typer.Option(
        None, "--type", help="Container when the name does not say (stdin is sniffed): jsonl, json, csv, parquet."
    ),
    name: Optional[str] = typer.Option(None, "--name", help="Dataset name (default: the file name)."),
    reference: bool = typer.Option(
        False,
        "--reference",
        help="Store as a coverage reference: prompts users really ask (coverage gaps are found against it).",
    ),
    eval_set: bool = typer.Option(
        False,
        "--eval-set",
        help="Store as an eval set: held-out prompts a model is scored on (train/eval leakage is found against it).",
    ),
) -> None:
    """Read a dataset into the workspace (all or nothing; the same bytes twice are a no-op, the
    same bytes with another --format/--map are a new version). A reference file has one role,
    chosen here: --reference or --eval-set."""
    if reference and eval_set:
        _fail("a file is a coverage reference (--reference) or an eval set (--eval-set), not both")
    ws = _open(workspace)
    role = "coverage" if reference else "eval" if eval_set else None
    dataset, created, report = _ingest(ws, path, fmt, _mapping(map_), skip_bad, role, file_type, name)
    verb = "ingested" if created else "already in workspace:"
    kind = f" as {dataset.role_label}" if dataset.role != "data" else ""
    _say(
        f"{verb} {dataset.name} (id {dataset.id}){kind}: {dataset.n_examples} examples, format {dataset.format}"
        + (f", {len(report.skipped)} bad rows skipped" if report.skipped else "")
    )
    if created and report.versions:
        older = ", ".join(f"id {d.id}" for d in report.versions)
        _say(
            f"a new version of the same data ({older}), read with other --format/--map options; "
            f"`--dataset {dataset.id}` picks this one"
        )


@app.command()
def scan(
    input: Path = typer.Argument(..., help="Dataset file to scan."),
    findings_out: Path = typer.Option(..., "--findings-out", help="Write every finding here (JSONL)."),
    reference: Optional[Path] = typer.Option(
        None, "--reference", help="Coverage reference: prompts users really ask; coverage gaps are found against it."
    ),
    workspace: Optional[Path] = WorkspaceOpt,
    fmt: Optional[str] = FormatOpt,
    map_: Optional[list[str]] = MapOpt,
    skip_bad: bool = SkipOpt,
    config: Optional[Path] = typer.Option(None, "--config", help="Scan settings (JSON or TOML)."),
    eval_set: Optional[Path] = typer.Option(
        None,
        "--eval-set",
        help="Eval set: held-out prompts a model is scored on; train/eval leakage is found against it.",
    ),
    # Annotated options keep plain Python defaults, so `curate demo` can call this as a function
    engine_name: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Where embedding, MinHash and the text checks run: local (this machine) or ray (Ray workers; "
            "same findings).",
        ),
    ] = "local",
    ray_address: Annotated[
        Optional[str],
        typer.Option("--ray-address", help="Ray cluster to join (auto, ray://host:port); default: start a local Ray."),
    ] = None,
    ray_workers: Annotated[
        Optional[int],
        typer.Option(
            "--workers",
            "--ray-workers",
            min=1,
            help="local: processes for the text checks (default one per CPU; 1: this process only). "
            "ray: workers (default every CPU, or every GPU when the cluster has GPUs).",
        ),
    ] = None,
) -> None:
    """Find duplicates, contradictions, coverage gaps, leakage and quality issues; write the findings file."""
    from curation.engine import make_engine
    from curation.workbench import scan_dataset, write_findings

    if engine_name not in ("local", "ray"):
        _fail(f"--engine {engine_name}: choose local or ray")
    if ray_address and engine_name != "ray":
        _fail("--ray-address needs --engine ray")
    ws = _open(workspace)
    dataset, _, _ = _ingest(ws, input, fmt, _mapping(map_), skip_bad)
    ref = _ingest(ws, reference, None, None, skip_bad, "coverage")[0] if reference else None
    evals = _ingest(ws, eval_set, None, None, skip_bad, "eval")[0] if eval_set else None
    progress = _progress()
    settings = _load_settings(config) if config else None
    from curation.detectors.judges import JudgeError

    try:
        engine = make_engine(engine_name, ray_address, ray_workers)
    except RuntimeError as err:  # Ray not installed, or the cluster not reachable
        progress.close()
        _fail(str(err))
    try:
        scan_id, findings, timings = scan_dataset(
            ws, dataset, ref, settings=settings, progress=progress, eval_set=evals, engine=engine
        )
    except JudgeError as err:  # a judge model named in the settings that does not load
        _fail(f"{config}: {err}")
    finally:
        progress.close()
        engine.close()
    write_findings(findings, findings_out)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no findings"
    _say(f"scan {scan_id} of {dataset.name}: {summary} in {sum(timings.values()):.1f}s -> {findings_out}")


def _load_settings(path: Path):
    from curation.scan import ScanSettings

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"{path}: cannot read the scan settings ({getattr(err, 'strerror', None) or err})")
    if path.suffix.lower() == ".toml":
        import tomllib

        data = tomllib.loads(text)
    else:
        data = json.loads(text)
    try:
        return ScanSettings.model_validate(data)
    except Exception as err:  # pydantic's message names the field
        _fail(f"{path}: invalid scan settings: {err}")


@app.command()
def findings(
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    kind: Optional[str] = typer.Option(None, help="duplicate, contradiction, coverage_gap, quality, leakage."),
    status: Optional[str] = typer.Option(
        None, help="open, skipped, voted, disputed, settled (rows all decided elsewhere) or resolved."
    ),
    min_score: Optional[float] = typer.Option(None, help="Only findings scoring at least this."),
    search: Optional[str] = typer.Option(None, help="Text to look for in the reason or evidence."),
    limit: Optional[int] = typer.Option(
        None, help="How many to show (0 = all; default: all with --json, 50 in the table)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """List findings of the latest scan, highest score first, with their review status; a
    coverage gap also says how many of its reference prompts are covered now."""
    from curation import gaps
    from curation.schema import FINDING_KINDS
    from curation.workbench import finding_status

    ws = _open(workspace)
    ds = _dataset(ws, dataset)
    st = finding_status(ws, ds)
    if kind is not None:
        kinds = sorted(set(FINDING_KINDS) | {f.kind for f in ws.findings(ds.id)})
        if kind not in kinds:
            _fail(f"unknown --kind '{kind}' (choose from {', '.join(kinds)})")
    from curation.review import STATUSES

    statuses = list(STATUSES)
    if status is not None and status not in statuses:
        _fail(f"unknown --status '{status}' (choose from {', '.join(statuses)})")
    if limit is not None and limit < 0:
        _fail("--limit must be 0 (all) or more")
    found = ws.findings(ds.id, kind=kind, min_score=min_score, search=search)
    covered = gaps.progress(ws, ds.id)
    if status:
        found = [f for f in found if st.get(f.finding_id, "open") == status]
    total = len(found)
    limit = (0 if as_json else 50) if limit is None else limit
    if limit:
        found = found[:limit]
    if as_json:
        for f in found:
            extra = {}
            if (p := covered.get(f.finding_id)) is not None:
                extra["coverage"] = {
                    "covered": p.n_covered,
                    "total": p.total,
                    "summary": p.summary,
                    "covered_by": {str(r): by for r, by in p.covered.items()},
                }
            typer.echo(json.dumps({**f.to_json(), "status": st.get(f.finding_id, "open"), **extra}, ensure_ascii=False))
        return
    typer.echo(f"{'finding_id':<18} {'kind':<14} {'score':>5} {'status':<8} {'rows':<22} reason")
    for f in found:
        rows = ",".join(map(str, f.rows[:6])) + ("…" if len(f.rows) > 6 else "")
        p = covered.get(f.finding_id)
        reason = (f"[{p.summary}] " if p is not None else "") + f.reason
        typer.echo(
            f"{f.finding_id:<18} {f.kind:<14} {f.score:5.2f} {st.get(f.finding_id, 'open'):<8} "
            f"{rows:<22} {reason[:110]}"
        )
    if len(found) < total:
        _say(f"showing {len(found)} of {total} findings; --limit 0 shows all", err=True)


@app.command()
def explain(
    row_a: int = typer.Argument(..., help="One row (0-based position in the dataset's file)."),
    row_b: int = typer.Argument(..., help="The other row."),
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of lines."),
) -> None:
    """Why two rows were, or were not, flagged: the cosines, how each field matched, every step
    of the contradiction verdict with the rule that decided it, and the latest scan's findings
    on both rows. Uses the latest scan's settings and cached embeddings."""
    from curation.explain import explain_in_workspace, render

    ws = _open(workspace)
    ds = _dataset(ws, dataset)
    try:
        e = explain_in_workspace(ws, ds, row_a, row_b)
    except (KeyError, ValueError) as err:
        _fail(f"{ds.name}: {err.args[0]}")
    typer.echo(json.dumps(e.to_json(), ensure_ascii=False) if as_json else render(e))


@app.command()
def resolve(
    resolutions: Path = typer.Argument(..., help="JSONL of row-based resolutions (see data/README.md)."),
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    actor: str = typer.Option("expert", help="Who the decisions are attributed to."),
) -> None:
    """Record a file of expert resolutions as decisions (all or nothing; lines recorded before
    are not recorded again, so a re-run or a retry after a crash is safe)."""
    from curation import resolutions as res
    from curation.curate import attach_findings
    from curation.store import BatchError

    ws = _open(workspace)
    ds = _dataset(ws, dataset)
    try:
        parsed = res.read(resolutions, actor=actor, dataset_id=ds.id)
    except res.ResolutionError as err:
        _fail_lines([str(p) for p in err.problems], resolutions)
    linked = attach_findings(parsed.decisions, ws.findings(ds.id))
    try:
        done = ws.record(ds.id, linked)
    except BatchError as err:
        _fail_lines([str(parsed.where(i, ps[0])) for i, ps in err.errors], resolutions)
    n_linked = sum(1 for d in linked if d.finding_id)
    typer.echo(
        f"recorded {done.new} new decision(s) on {ds.name} as {actor}"
        + (f"; {done.existing} line(s) were recorded before" if done.existing else "")
        + f" ({n_linked} settle a finding of the latest scan)"
    )


def _fail_lines(lines: list[str], path: Path) -> None:
    """Every bad line on a line of its own, then exit 2: nothing of the file was stored."""
    for line in lines[:50]:
        typer.echo(f"error: {line}", err=True)
    more = f" ({len(lines) - 50} more not shown)" if len(lines) > 50 else ""
    _fail(f"{path}: {len(lines)} bad line(s){more}; nothing of this file was recorded")


@app.command()
def export(
    out: Path = typer.Argument(..., help="Output file (or folder for --format hf)."),
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    fmt: Optional[str] = typer.Option(
        None,
        "--format",
        help="jsonl, json, csv, parquet or hf (default: from "
        "OUT's suffix, else the source's; .gz/.zst compress text formats).",
    ),
    auto: bool = typer.Option(
        False,
        "--auto",
        help="Apply the no-review policy to the findings nobody "
        "decided (merge copies, keep rewordings; keep the suggested side of a "
        "disagreement only on decisive evidence, otherwise keep every row); "
        "recorded decisions always win.",
    ),
    merge_rewordings: bool = typer.Option(
        False,
        "--merge-rewordings",
        help="With --auto: merge a "
        "duplicate group's rewordings of the request too (by default "
        "only copies merge; rewordings teach the model to generalise).",
    ),
    with_provenance: bool = typer.Option(
        False,
        "--with-provenance",
        help="Add curation_status and curation_decision columns (otherwise provenance is only in the manifest).",
    ),
    allow_formulas: bool = typer.Option(
        False,
        "--allow-formulas",
        help="CSV: write cells starting with "
        "= + - @ as they are (default: prefixed with ' so a spreadsheet "
        "does not run them).",
    ),
) -> None:
    """Write the curated set in the source's shape and a manifest (<out>.manifest.json) saying
    what changed and why; untouched rows are written back exactly."""
    from curation.cli_users import cli_actor
    from curation.workbench import export_dataset

    if merge_rewordings and not auto:
        _fail("--merge-rewordings applies to the no-review policy: add --auto")
    ws = _open(workspace)
    ds = _dataset(ws, dataset)
    try:
        manifest = export_dataset(
            ws,
            ds,
            out,
            fmt,
            policy=auto,
            with_provenance=with_provenance,
            formula_guard=not allow_formulas,
            actor=cli_actor(),
            merge_rewordings=merge_rewordings,
        )
    except (ValueError, OSError) as err:
        _fail(str(err) if isinstance(err, ValueError) else f"{err.filename or out}: {err.strerror or err}")
    for bad in manifest["unapplied"]:
        typer.echo(
            f"warning: decision {bad['decision_id']} was not applied: {bad['problem']} "
            f"(retract it: curate decisions retract {bad['decision_id']} --reason ...)",
            err=True,
        )
    _detail(
        f"{out}: {manifest['output_format']}{'+' + manifest['output_compression'] if manifest['output_compression'] else ''}"
        + (
            f", columns written as JSON text: {', '.join(manifest['columns_as_json_text'])}"
            if manifest["columns_as_json_text"]
            else ""
        )
    )
    _say(
        f"wrote {manifest['n_out']} of {manifest['n_source']} examples of {ds.name} to {out} "
        f"({', '.join(f'{k} {v}' for k, v in manifest['by_status'].items())}); manifest {out}.manifest.json"
    )


@app.command()
def demo(
    workspace: Path = typer.Option(Path("workspace/demo"), "--workspace", "-w"),
    resolve_all: bool = typer.Option(False, "--resolve", help="Also record the demo's expert resolutions."),
) -> None:
    """Ingest and scan the built-in demo dataset (a support assistant for a fictional product)
    against its coverage reference (reference.jsonl) and its eval set (eval.jsonl)."""
    train, ref, evals = DEMO_DIR / "train.jsonl", DEMO_DIR / "reference.jsonl", DEMO_DIR / "eval.jsonl"
    if not train.exists():
        _fail(f"demo data not found at {DEMO_DIR}: run `python data/generate_demo.py`")
    out = workspace / "findings.jsonl"
    scan(
        train,
        out,
        ref if ref.exists() else None,
        workspace,
        None,
        None,
        False,
        None,
        evals if evals.exists() else None,
    )
    if resolve_all:
        resolve(DEMO_DIR / "resolutions.jsonl", workspace, None, "expert")
    typer.echo(
        f"next: `curate findings -w {workspace}` to list them, `curate app -w {workspace}` to review "
        "them in the browser (http://localhost:8501)."
    )


from curation.cli_decisions import decisions_app  # noqa: E402
from curation.cli_users import users_app  # noqa: E402

app.add_typer(users_app, name="users")
app.add_typer(decisions_app, name="decisions")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
