"""The workspace database: datasets, examples, scans, findings, append-only decisions.

SQLite file in the workspace folder by default (WAL, foreign keys on, ``synchronous=FULL``
so an acknowledged write survives power loss); any SQLAlchemy URL (PostgreSQL for teams,
with ``synchronous_commit=on``) through ``CURATE_DB_URL`` or the ``db_url`` argument. Every
write is one transaction, so a crash (even kill -9) leaves either all of it or none of it;
an ingest writes a staging dataset in short transactions and publishes it in a last one,
so nothing is half-imported and a reviewer's click never waits for a whole file. A write
that finds the database busy is tried again (``curation.busy``).
Decisions are never updated or deleted: an undo or a retraction is a new event naming the
one it withdraws, and what the events mean is ``curation.decisions``. The decision and
review queries live in ``store_decisions`` and ``store_review``, people, sessions and the
audit log in ``store_auth`` (all mixed into ``Workspace``);
no other module writes SQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy import event

from curation.busy import BusyError, retry_busy
from curation.migrations import SCHEMA_VERSION, WorkspaceError, current_version, metadata, migrate
from curation.schema import Decision, Example, Finding, Turn
from curation.store_auth import AuthStore
from curation.store_decisions import BatchError, ConflictError, DecisionStore, Recorded
from curation.store_review import ReviewStore

if TYPE_CHECKING:
    from curation.io.reader import Reader

T = metadata.tables
# what a reference prompt set is for, chosen on import: one role per file
REFERENCE_ROLES = {
    "coverage": "coverage reference (prompts users really ask: coverage gaps)",
    "eval": "eval set (held-out prompts: train/eval leakage)",
}


class RoleError(ValueError):
    """A file asked for in one role is already stored in another (a file has one role)."""


@dataclass(frozen=True)
class Dataset:
    id: int
    name: str
    path: str
    format: str
    content_hash: str
    n_examples: int
    created_at: float
    is_reference: bool = False
    source: dict = field(default_factory=dict, compare=False)  # see curation.io.reader.Reader.describe
    reference_role: str | None = None  # "coverage" or "eval" for a reference set, None for data to curate

    @property
    def role(self) -> str:
        """``data`` (a dataset to curate), ``coverage`` or ``eval``."""
        return self.reference_role or ("coverage" if self.is_reference else "data")

    @property
    def role_label(self) -> str:
        return {"coverage": "coverage reference", "eval": "eval set"}.get(self.role, "dataset")


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_workspace() -> Path:
    return Path(os.environ.get("CURATE_WORKSPACE", "workspace"))


class Workspace(DecisionStore, ReviewStore, AuthStore):
    """One folder holding the database (unless a URL points elsewhere), caches, exports, runs."""

    def __init__(self, root: str | Path | None = None, db_url: str | None = None, read_only: bool | None = None):
        """Open (or create) a workspace. ``read_only`` None = decided by whether the folder and
        its database can be written; a read-only workspace can be read but not changed."""
        self.root = Path(root) if root is not None else default_workspace()
        url = db_url or os.environ.get("CURATE_DB_URL")
        db = self.root / "workspace.db"
        if read_only is None:
            read_only = url is None and (os.environ.get("CURATE_READ_ONLY") == "1" or not _writable(self.root, db))
        self.read_only = read_only
        if url is None:
            if read_only and not db.exists():
                raise WorkspaceError(f"{self.root}: no workspace here, and the folder is read-only")
            if not read_only:
                try:
                    self.root.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    raise WorkspaceError(
                        f"{self.root}: cannot create the workspace folder ({err.strerror or err})"
                    ) from None
            url = f"sqlite:///{db.resolve()}"
            if read_only:
                url = f"sqlite:///file:{db.resolve()}?mode=ro&uri=true"
        self.url = url
        # PostgreSQL: a commit returns once the WAL is flushed to disk, whatever the server's default
        durable = {"connect_args": {"options": "-c synchronous_commit=on"}} if url.startswith("postgresql") else {}
        self.engine = sa.create_engine(url, future=True, **durable)
        if self.engine.dialect.name == "sqlite":
            _sqlite_pragmas(self.engine, read_only)
        try:
            if read_only:
                found = self._read_only_version()
                if found != SCHEMA_VERSION:
                    newer = found > SCHEMA_VERSION
                    raise WorkspaceError(
                        f"{self.root}: workspace schema v{found} is {'newer' if newer else 'older'} than this "
                        f"program (v{SCHEMA_VERSION})"
                        + (
                            ": upgrade curation-workbench to open it"
                            if newer
                            else ", and the workspace is read-only, so it cannot be upgraded"
                        )
                    )
            else:
                with self.tx() as conn:
                    migrate(conn)
        except sa.exc.OperationalError as err:
            raise WorkspaceError(f"{self.root}: {db_problem(err)}") from None

    def _read_only_version(self) -> int:
        try:
            with self.engine.connect() as conn:
                return current_version(conn)
        except sa.exc.OperationalError:
            if self.engine.dialect.name != "sqlite" or "mode=ro" not in self.url:
                raise
        # a WAL database in a folder we cannot write has no shared-memory file to open:
        # read it as an immutable file instead (nobody can be writing to it through this folder)
        self.engine.dispose()
        self.url = self.url.replace("mode=ro", "mode=ro&immutable=1")
        self.engine = sa.create_engine(self.url, future=True)
        _sqlite_pragmas(self.engine, True)
        with self.engine.connect() as conn:
            return current_version(conn)

    # paths -------------------------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        return self._sub("cache")

    @property
    def exports_dir(self) -> Path:
        return self._sub("exports")

    @property
    def runs_dir(self) -> Path:
        return self._sub("runs")

    def _sub(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    @contextmanager
    def tx(self) -> Iterator[sa.Connection]:
        """A write transaction (on SQLite it takes the write lock up front)."""
        with self.engine.connect() as conn:
            conn.execution_options(write_lock=True)
            with conn.begin():
                yield conn

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(T["meta"].c.value).where(T["meta"].c.key == "schema_version")).scalar_one()
            )

    # datasets ------------------------------------------------------------------------------
    def ingest(
        self, reader: Reader, name: str | None = None, is_reference: bool = False, reference_role: str | None = None
    ) -> tuple[Dataset, bool]:
        """Store a source read by ``reader`` in one transaction, streaming; returns (dataset,
        created). The same bytes read the same way are the same dataset (a no-op); read with
        another ``--format``/``--map`` they are a new version under the same name.

        ``reference_role`` (``coverage`` or ``eval``) stores a reference set; ``is_reference``
        alone means a coverage reference. The same source asked for in another role than it
        was stored in raises ``RoleError``."""
        from curation.io.reader import FormatChanged

        if reference_role is not None and reference_role not in REFERENCE_ROLES:
            raise RoleError(f"unknown reference role {reference_role!r} (choose from {', '.join(REFERENCE_ROLES)})")
        role = reference_role or ("coverage" if is_reference else None)
        identity = reader.identity()
        existing = self.dataset_by_hash(identity)
        if existing is not None and existing.role != (role or "data"):
            wanted = {"coverage": "a coverage reference", "eval": "an eval set"}.get(role or "", "a dataset")
            raise RoleError(
                f"{Path(reader.source.display).name} is already in this workspace as "
                f"{existing.role_label} {existing.name!r} (id {existing.id}); a file has one role, so it "
                f"cannot also be {wanted}"
            )
        if existing is not None:
            return existing, False
        name = name or _default_name(reader.source)
        for _ in range(2):
            try:
                return self._ingest_once(reader, identity, name, role)
            except FormatChanged as change:
                reader.restart(change.fmt)
        raise AssertionError("the record format changed twice")

    def _ingest_once(self, reader: Reader, identity: str, name: str, role: str | None) -> tuple[Dataset, bool]:
        """Write the rows into a staging dataset in short transactions (one batch each, so a
        reviewer's click waits for one batch at most, never for the whole file), then publish
        it in one short transaction. Until then no query sees it; a failed or interrupted
        ingest leaves nothing visible, and its rows are deleted (now, or by a later ingest)."""
        try:
            self._drop_stale_staging()
            with self.tx() as conn:
                ds_id = conn.execute(
                    T["datasets"]
                    .insert()
                    .values(
                        name=name,
                        path=_source_path(reader.source),
                        format="?",
                        content_hash=f"staging:{uuid.uuid4().hex}",
                        n_examples=0,
                        created_at=time.time(),
                        is_reference=role is not None,
                        reference_role=role,
                        skipped_json="[]",
                        staging_since=time.time(),
                    )
                ).inserted_primary_key[0]
        except sa.exc.OperationalError as err:
            raise WorkspaceError(f"{self.root}: {db_problem(err)}; nothing was stored") from None
        try:
            for batch in reader.batches():  # reading and parsing happen outside any transaction
                self._stage(ds_id, batch)
            skipped = [{"row": e.position, "line": e.line, "message": str(e)} for e in reader.skipped]
            published = self._publish(
                ds_id,
                identity,
                dict(
                    format=reader.format,
                    n_examples=reader.n_examples,
                    skipped_json=json.dumps(skipped),
                    source_json=json.dumps(reader.describe()),
                    created_at=time.time(),
                ),
            )
        except BaseException as err:
            self._drop_staging(ds_id)
            if isinstance(err, sa.exc.OperationalError):
                raise WorkspaceError(f"{self.root}: {db_problem(err)}; nothing was stored") from None
            raise
        if published != ds_id:  # another process stored the same source meanwhile
            self._drop_staging(ds_id)
            return self.dataset(published), False
        return self.dataset(ds_id), True

    @retry_busy
    def _stage(self, ds_id: int, batch: Any) -> None:
        with self.tx() as conn:
            if batch.rows:
                _insert_many(conn, T["examples"], [{"dataset_id": ds_id, **r} for r in batch.rows])
            if batch.chunks:
                _insert_many(
                    conn,
                    T["source_chunks"],
                    [
                        {"dataset_id": ds_id, "start_row": ch.start, "n_rows": ch.n_rows, "data": ch.data}
                        for ch in batch.chunks
                    ],
                )
            conn.execute(sa.update(T["datasets"]).where(T["datasets"].c.id == ds_id).values(staging_since=time.time()))

    @retry_busy
    def _publish(self, ds_id: int, identity: str, values: dict) -> int:
        """Make the staged dataset visible; returns its id, or the id of a dataset with the same
        identity that another process published first."""
        c = T["datasets"].c
        with self.tx() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": 7_200_000})
            again = conn.execute(sa.select(c.id).where(c.content_hash == identity)).scalar()
            if again is not None:
                return int(again)
            conn.execute(
                sa.update(T["datasets"])
                .where(c.id == ds_id)
                .values(content_hash=identity, staging_since=None, **values)
            )
        return ds_id

    def _drop_staging(self, ds_id: int, chunk: int = 20_000) -> None:
        """Delete a staging dataset's rows in short transactions, then the dataset (best effort:
        what is left is deleted by a later ingest)."""
        try:
            for table in ("examples", "source_chunks"):
                col = T[table].c.row if table == "examples" else T[table].c.start_row
                while True:
                    with self.tx() as conn:
                        top = conn.execute(
                            sa.select(col).where(T[table].c.dataset_id == ds_id).order_by(col).offset(chunk).limit(1)
                        ).scalar()
                        q = sa.delete(T[table]).where(T[table].c.dataset_id == ds_id)
                        conn.execute(q.where(col < top) if top is not None else q)
                    if top is None:
                        break
            with self.tx() as conn:
                conn.execute(
                    sa.delete(T["datasets"]).where(
                        T["datasets"].c.id == ds_id, T["datasets"].c.staging_since.is_not(None)
                    )
                )
        except sa.exc.OperationalError:
            pass

    def _drop_stale_staging(self, idle: float = 600.0) -> None:
        """Staging datasets nobody has written to for ``idle`` seconds: an ingest that crashed
        (a live one writes a batch, and marks the time, every second or so)."""
        c = T["datasets"].c
        with self.engine.connect() as conn:
            stale = [r.id for r in conn.execute(sa.select(c.id).where(c.staging_since < time.time() - idle))]
        for ds_id in stale:
            self._drop_staging(ds_id)

    def skipped_rows(self, dataset_id: int) -> list:
        """What an ingest with ``--skip-bad`` left out of a dataset, as stored."""
        t = T["datasets"]
        with self.engine.connect() as conn:
            text = conn.execute(sa.select(t.c.skipped_json).where(t.c.id == dataset_id)).scalar() or "[]"
        return json.loads(text)

    def versions(self, dataset: Dataset) -> list[Dataset]:
        """Other datasets read from the same bytes (another ``--format``/``--map``), oldest first."""
        sha = dataset.source.get("file_sha256")
        return [d for d in self.datasets() if sha and d.id != dataset.id and d.source.get("file_sha256") == sha]

    def iter_chunks(self, dataset_id: int) -> Iterator[tuple[int, int, bytes]]:
        """(start_row, n_rows, Arrow IPC bytes) of a columnar source, in input order, one at a time."""
        c = T["source_chunks"].c
        with self.engine.connect() as conn:
            starts = [
                r.start_row
                for r in conn.execute(sa.select(c.start_row).where(c.dataset_id == dataset_id).order_by(c.start_row))
            ]
            for start in starts:
                r = conn.execute(
                    sa.select(c.n_rows, c.data).where(c.dataset_id == dataset_id, c.start_row == start)
                ).one()
                yield start, r.n_rows, bytes(r.data)

    def datasets(self, include_reference: bool = True, role: str | None = None) -> list[Dataset]:
        """Datasets in id order; ``role`` keeps one role (``data``, ``coverage`` or ``eval``)."""
        q = sa.select(T["datasets"]).where(T["datasets"].c.staging_since.is_(None)).order_by(T["datasets"].c.id)
        if not include_reference:
            q = q.where(T["datasets"].c.is_reference.is_(False))
        with self.engine.connect() as conn:
            found = [_dataset(r) for r in conn.execute(q)]
        return [d for d in found if role is None or d.role == role]

    def dataset(self, key: int | str) -> Dataset:
        c = T["datasets"].c
        q = (
            sa.select(T["datasets"])
            .where(c.id == key if isinstance(key, int) else c.name == key, c.staging_since.is_(None))
            .order_by(c.id.desc())
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise KeyError(f"no dataset {key!r} in workspace {self.root}")
        return _dataset(row)

    def dataset_by_hash(self, digest: str) -> Dataset | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(T["datasets"]).where(T["datasets"].c.content_hash == digest)).first()
        return _dataset(row) if row else None

    def examples(self, dataset_id: int, rows: Sequence[int] | None = None, with_raw: bool = False) -> list[Example]:
        """Stored examples in input order; ``with_raw`` keeps each row's original bytes."""
        c = T["examples"].c
        columns = [c.row, c.turns_json, c.record_json, c.source_id] + ([c.raw] if with_raw else [])
        q = sa.select(*columns).where(c.dataset_id == dataset_id)
        if rows is not None:
            q = q.where(c.row.in_(list(rows)))
        fmt = self.dataset(dataset_id).format
        with self.engine.connect() as conn:
            out = []
            for r in conn.execute(q.order_by(c.row)):
                out.append(
                    Example(
                        row=r.row,
                        turns=tuple(Turn(a, b) for a, b in json.loads(r.turns_json)),
                        record=json.loads(r.record_json),
                        source_format=fmt,
                        source_id=r.source_id,
                        raw=bytes(r.raw) if with_raw and r.raw is not None else None,
                    )
                )
        return out

    # scans and findings --------------------------------------------------------------------------
    def add_scan(
        self,
        dataset_id: int,
        findings: Sequence[Finding],
        settings: dict,
        timings: dict,
        reference_dataset_id: int | None = None,
        started_at: float | None = None,
        eval_dataset_id: int | None = None,
    ) -> int:
        """Store one finished scan and all its findings in one transaction (``reference_dataset_id``:
        the coverage reference it used; ``eval_dataset_id``: the eval set)."""
        with self.tx() as conn:
            scan_id = conn.execute(
                T["scans"]
                .insert()
                .values(
                    dataset_id=dataset_id,
                    reference_dataset_id=reference_dataset_id,
                    eval_dataset_id=eval_dataset_id,
                    settings_json=json.dumps(settings, default=str),
                    timings_json=json.dumps(timings),
                    started_at=started_at or time.time(),
                    finished_at=time.time(),
                    n_findings=len(findings),
                )
            ).inserted_primary_key[0]
            rows = [
                {
                    "scan_id": scan_id,
                    "dataset_id": dataset_id,
                    "finding_id": f.finding_id,
                    "kind": f.kind,
                    "detector": f.detector,
                    "score": float(f.score),
                    "reason": f.reason,
                    "rows_json": json.dumps(list(f.rows)),
                    "reference_rows_json": json.dumps(list(f.reference_rows)),
                    "evidence_json": json.dumps(dict(f.evidence), default=str),
                    "n_rows": len(f.rows),
                }
                for f in findings
            ]
            for start in range(0, len(rows), 5000):
                conn.execute(T["findings"].insert(), rows[start : start + 5000])
        return scan_id

    def latest_scan_id(self, dataset_id: int) -> int | None:
        c = T["scans"].c
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(c.id)).where(c.dataset_id == dataset_id)).scalar()

    def scan_info(self, scan_id: int) -> dict:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(T["scans"]).where(T["scans"].c.id == scan_id)).one()
        return {
            "id": r.id,
            "dataset_id": r.dataset_id,
            "reference_dataset_id": r.reference_dataset_id,
            "eval_dataset_id": r.eval_dataset_id,
            "settings": json.loads(r.settings_json),
            "timings": json.loads(r.timings_json),
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "n_findings": r.n_findings,
        }

    def findings(
        self,
        dataset_id: int,
        scan_id: int | None = None,
        kind: str | None = None,
        min_score: float | None = None,
        search: str | None = None,
        row: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Finding]:
        """Findings of a scan (the latest by default), highest score first."""
        scan_id = scan_id or self.latest_scan_id(dataset_id)
        if scan_id is None:
            return []
        q = self._findings_query(scan_id, kind, min_score, search, row)
        c = T["findings"].c
        q = q.order_by(c.score.desc(), c.n_rows.desc(), c.finding_id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_finding(r) for r in conn.execute(q)]

    def count_findings(self, dataset_id: int, scan_id: int | None = None, **filters: Any) -> int:
        scan_id = scan_id or self.latest_scan_id(dataset_id)
        if scan_id is None:
            return 0
        q = self._findings_query(scan_id, **filters).subquery()
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(q)).scalar_one())

    def _findings_query(
        self,
        scan_id: int,
        kind: str | None = None,
        min_score: float | None = None,
        search: str | None = None,
        row: int | None = None,
    ) -> sa.Select:
        c = T["findings"].c
        q = sa.select(T["findings"]).where(c.scan_id == scan_id)
        if kind:
            q = q.where(c.kind == kind)
        if min_score is not None:
            q = q.where(c.score >= min_score)
        if search:  # literal text: % and _ are not wildcards
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(sa.or_(c.reason.ilike(pattern, escape="\\"), c.evidence_json.ilike(pattern, escape="\\")))
        if row is not None:
            q = q.where(
                sa.or_(
                    c.rows_json.like(f"[{row},%"),
                    c.rows_json.like(f"% {row},%"),
                    c.rows_json.like(f"% {row}]"),
                    c.rows_json == f"[{row}]",
                )
            )
        return q

    def finding(self, dataset_id: int, finding_id: str, scan_id: int | None = None) -> Finding:
        scan_id = scan_id or self.latest_scan_id(dataset_id)
        c = T["findings"].c
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(T["findings"]).where(c.scan_id == scan_id, c.finding_id == finding_id)).first()
        if r is None:
            raise KeyError(f"no finding {finding_id} in scan {scan_id}")
        return _finding(r)

    # runs and jobs ---------------------------------------------------------------------------------
    def record_run(
        self,
        run_id: str,
        config: dict,
        data_hash: str,
        status: str,
        metrics: dict | None = None,
        artifacts: dict | None = None,
        kind: str = "train",
    ) -> None:
        """Insert or update one run of the registry (training runs, comparisons, app jobs)."""
        values = {
            "config_json": json.dumps(config, default=str),
            "data_hash": data_hash,
            "status": status,
            "metrics_json": json.dumps(metrics or {}, default=str),
            "artifacts_json": json.dumps(artifacts or {}, default=str),
            "updated_at": time.time(),
        }
        with self.tx() as conn:
            done = conn.execute(sa.update(T["runs"]).where(T["runs"].c.id == run_id).values(**values)).rowcount
            if not done:
                conn.execute(T["runs"].insert().values(id=run_id, kind=kind, created_at=time.time(), **values))

    def runs(self, kind: str | None = None) -> list[dict]:
        q = sa.select(T["runs"]).order_by(T["runs"].c.created_at.desc())
        if kind:
            q = q.where(T["runs"].c.kind == kind)
        with self.engine.connect() as conn:
            out = []
            for r in conn.execute(q):
                d = dict(r._mapping)
                for k in ("config", "metrics", "artifacts"):
                    d[k] = json.loads(d.pop(f"{k}_json"))
                out.append(d)
        return out


def _sqlite_pragmas(engine: sa.Engine, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")  # then ``retry_busy`` tries again, then says so
        # FULL: a commit (an acknowledged decision) survives power loss, not only a crash
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # writers take the lock up front (IMMEDIATE): concurrent deciders are serialized and a
        # check-then-insert cannot interleave; readers never block anyone under WAL
        immediate = conn.get_execution_options().get("write_lock")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _insert_many(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """executemany through the driver: SQLAlchemy's per-row parameter processing costs as much
    as SQLite's insert itself on a million rows (values here need no conversion)."""
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        keys = compiled.positiontup
        conn.exec_driver_sql(str(compiled), [tuple(r[k] for k in keys) for r in rows])
    else:
        conn.exec_driver_sql(str(compiled), rows)


def _writable(root: Path, db: Path) -> bool:
    if db.exists():
        return os.access(db, os.W_OK) and os.access(root, os.W_OK)
    parent = root
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return os.access(parent, os.W_OK)


def db_problem(err: sa.exc.DBAPIError) -> str:
    """One line for a database error, without the SQL and the data rows SQLAlchemy adds."""
    text = str(getattr(err, "orig", err)).strip().splitlines()[0] if str(getattr(err, "orig", err)).strip() else ""
    low = text.lower()
    if "disk is full" in low or "disk full" in low or "no space" in low:
        return "the disk is full"
    if "readonly" in low or "read-only" in low:
        return "the workspace is read-only"
    if "locked" in low or "busy" in low:
        return "the workspace is busy (another process is writing to it); try again when it is done"
    if "unable to open" in low:
        return "cannot open the workspace database"
    return f"database error: {text or type(err).__name__}"


def _source_path(source: Any) -> str:
    if source.origin in ("file", "folder"):
        return str(Path(source.display).resolve())
    return source.display


def _default_name(source: Any) -> str:
    if source.origin in ("dataframe", "dataset", "arrow", "records", "stdin"):
        return source.origin
    path = Path(source.display)
    name = path.name
    for suffix in reversed(path.suffixes):
        if name.endswith(suffix) and suffix.lower() in (
            ".gz",
            ".zst",
            ".zstd",
            ".jsonl",
            ".json",
            ".csv",
            ".parquet",
            ".ndjson",
        ):
            name = name[: -len(suffix)]
    return name or path.name


def reference_set_id(scan: dict, kind: str) -> int | None:
    """The dataset a finding's ``reference_rows`` point into: the eval set for leakage (a scan
    stored before reference roles used its one reference for both), else the coverage reference."""
    if kind == "leakage":
        return scan.get("eval_dataset_id") or scan.get("reference_dataset_id")
    return scan.get("reference_dataset_id")


def _dataset(r: Any) -> Dataset:
    return Dataset(
        id=r.id,
        name=r.name,
        path=r.path,
        format=r.format,
        content_hash=r.content_hash,
        n_examples=r.n_examples,
        created_at=r.created_at,
        is_reference=bool(r.is_reference),
        source=json.loads(r.source_json) if getattr(r, "source_json", None) else {},
        reference_role=getattr(r, "reference_role", None),
    )


def _finding(r: Any) -> Finding:
    return Finding(
        kind=r.kind,
        detector=r.detector,
        rows=tuple(json.loads(r.rows_json)),
        score=r.score,
        reason=r.reason,
        evidence=json.loads(r.evidence_json),
        reference_rows=tuple(json.loads(r.reference_rows_json)),
        finding_id=r.finding_id,
    )


__all__ = [
    "Workspace",
    "WorkspaceError",
    "Dataset",
    "Decision",
    "ConflictError",
    "BatchError",
    "Recorded",
    "SCHEMA_VERSION",
    "file_hash",
    "REFERENCE_ROLES",
    "RoleError",
    "reference_set_id",
    "BusyError",
]
