"""Schema of the workspace database and its migrations.

``metadata`` describes the current schema. ``MIGRATIONS[n]`` upgrades a database from
version n to n+1; ``migrate`` applies the missing ones in order inside the caller's
transaction and records the version in the ``meta`` table.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa

metadata = sa.MetaData()

sa.Table("meta", metadata, sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text))

sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("n_examples", sa.Integer, nullable=False),
    sa.Column("is_reference", sa.Boolean, nullable=False, default=False),
    sa.Column("reference_role", sa.String(16)),  # a reference set's role: "coverage" or "eval" (None: data)
    sa.Column("skipped_json", sa.Text, nullable=False, default="[]"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("source_json", sa.Text),  # v3: container, columns, mapping, bytes around the rows
    sa.Column("staging_since", sa.Float),  # v5: set while an ingest is still writing it (not visible)
)

sa.Table(
    "examples",
    metadata,
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("row", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.String(255)),
    sa.Column("turns_json", sa.Text, nullable=False),
    sa.Column("record_json", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("raw", sa.LargeBinary),  # v3: the row's original bytes (JSONL line, CSV row, JSON element)
)

sa.Table(  # v2: original Arrow values of columnar sources, in input order
    "source_chunks",
    metadata,
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("start_row", sa.Integer, primary_key=True),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

sa.Table(
    "scans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False, index=True),
    sa.Column("reference_dataset_id", sa.Integer, sa.ForeignKey("datasets.id")),  # the coverage reference
    sa.Column("eval_dataset_id", sa.Integer, sa.ForeignKey("datasets.id")),  # the eval set (leakage)
    sa.Column("settings_json", sa.Text, nullable=False),
    sa.Column("timings_json", sa.Text, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=False),
    sa.Column("n_findings", sa.Integer, nullable=False),
)

sa.Table(
    "findings",
    metadata,
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("finding_id", sa.String(64), primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detector", sa.String(64), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("rows_json", sa.Text, nullable=False),
    sa.Column("reference_rows_json", sa.Text, nullable=False),
    sa.Column("evidence_json", sa.Text, nullable=False),
    sa.Index("ix_findings_scan_kind_score", "scan_id", "kind", "score"),
)

sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("finding_id", sa.String(64), index=True),
    sa.Column("rows_json", sa.Text, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(32), nullable=False, default="annotator"),
    sa.Column("undoes", sa.Integer, sa.ForeignKey("decisions.id")),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("idem_key", sa.String(200)),
    sa.Index("ix_decisions_dataset", "dataset_id", "id"),
    sa.Index("ux_decisions_idem_key", "dataset_id", "idem_key", unique=True),
)

sa.Table(
    "review_settings",
    metadata,
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("double_blind", sa.Boolean, nullable=False, default=False),
    sa.Column("annotators_json", sa.Text, nullable=False, default="[]"),
    sa.Column("updated_at", sa.Float, nullable=False),
)

sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("password_hash", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False, server_default=sa.false()),  # v5
)

sa.Table(  # v5: sign-in throttling, per account name and per client, shared by every server process
    "signin_throttle",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),  # "account:<name>" or "client:<address>"
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("locked_until", sa.Float),
)

sa.Table(  # v5: signed-in browser sessions (only a hash of each token is stored)
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user", sa.String(128), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
    sa.Column("client", sa.String(200), nullable=False, default=""),
)

sa.Table(  # v5: what admins read on the Audit log page (retractions are read from decisions)
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),  # who did it (the name typed, for a failed sign-in)
    sa.Column("target", sa.String(255), nullable=False, default=""),  # whom or what it was about
    sa.Column("client", sa.String(200), nullable=False, default=""),
    sa.Column("detail_json", sa.Text, nullable=False, default="{}"),
    sa.Index("ix_audit_events_at", "at"),
)

sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("data_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("metrics_json", sa.Text, nullable=False),
    sa.Column("artifacts_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)


def _v0_to_v1(conn: sa.Connection) -> None:
    metadata.create_all(conn)  # a new database gets today's schema (later steps then find nothing to do)


def _v1_to_v2(conn: sa.Connection) -> None:
    """Idempotency keys on decisions; review settings in their own table (were ``runs`` rows)."""
    inspector = sa.inspect(conn)
    if "idem_key" not in {c["name"] for c in inspector.get_columns("decisions")}:
        conn.execute(sa.text("ALTER TABLE decisions ADD COLUMN idem_key VARCHAR(200)"))
    if "ux_decisions_idem_key" not in {i["name"] for i in inspector.get_indexes("decisions")}:
        next(i for i in metadata.tables["decisions"].indexes if i.name == "ux_decisions_idem_key").create(conn)
    metadata.tables["review_settings"].create(conn, checkfirst=True)
    runs = metadata.tables["runs"]
    settings = metadata.tables["review_settings"]
    for r in conn.execute(sa.select(runs).where(runs.c.kind == "settings")).fetchall():
        if not r.id.startswith("review-settings-"):
            continue
        cfg = json.loads(r.config_json)
        conn.execute(
            settings.insert().values(
                dataset_id=int(r.id.rsplit("-", 1)[1]),
                double_blind=bool(cfg.get("double_blind")),
                annotators_json=json.dumps(list(cfg.get("annotators") or [])),
                updated_at=r.updated_at,
            )
        )
        conn.execute(sa.delete(runs).where(runs.c.id == r.id))


def _v2_to_v3(conn: sa.Connection) -> None:
    """Lossless round trips: per-row original bytes, per-dataset source description, Arrow chunks.
    (A database created at v0 already has them: v0 -> v1 creates the current tables.)"""
    inspector = sa.inspect(conn)
    blob = sa.LargeBinary().compile(dialect=conn.dialect)
    if "source_json" not in {c["name"] for c in inspector.get_columns("datasets")}:
        conn.execute(sa.text("ALTER TABLE datasets ADD COLUMN source_json TEXT"))
    if "raw" not in {c["name"] for c in inspector.get_columns("examples")}:
        conn.execute(sa.text(f"ALTER TABLE examples ADD COLUMN raw {blob}"))
    metadata.tables["source_chunks"].create(conn, checkfirst=True)


def _v3_to_v4(conn: sa.Connection) -> None:
    """Reference roles: a reference set is a coverage reference (prompts users ask: coverage
    gaps) or an eval set (held-out prompts: leakage), and a scan names each. References stored
    before served both; they become coverage references, which is what ``--reference`` meant."""
    inspector = sa.inspect(conn)
    if "reference_role" not in {c["name"] for c in inspector.get_columns("datasets")}:
        conn.execute(sa.text("ALTER TABLE datasets ADD COLUMN reference_role VARCHAR(16)"))
    if "eval_dataset_id" not in {c["name"] for c in inspector.get_columns("scans")}:
        conn.execute(sa.text("ALTER TABLE scans ADD COLUMN eval_dataset_id INTEGER REFERENCES datasets (id)"))
    conn.execute(
        sa.text("UPDATE datasets SET reference_role = 'coverage' WHERE is_reference = :yes AND reference_role IS NULL"),
        {"yes": True},
    )


def _v4_to_v5(conn: sa.Connection) -> None:
    """Team mode: disabled users, sign-in throttling, sessions, the audit log; datasets an
    ingest is still writing (``staging_since``), so a half-written one is never visible."""
    inspector = sa.inspect(conn)
    if "disabled" not in {c["name"] for c in inspector.get_columns("users")}:
        conn.execute(sa.text("ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE"))
    if "staging_since" not in {c["name"] for c in inspector.get_columns("datasets")}:
        conn.execute(sa.text("ALTER TABLE datasets ADD COLUMN staging_since FLOAT"))
    for name in ("signin_throttle", "sessions", "audit_events"):
        metadata.tables[name].create(conn, checkfirst=True)


MIGRATIONS: list[Callable[[sa.Connection], None]] = [_v0_to_v1, _v1_to_v2, _v2_to_v3, _v3_to_v4, _v4_to_v5]
SCHEMA_VERSION = len(MIGRATIONS)


class WorkspaceError(RuntimeError):
    """The workspace cannot do what was asked (newer schema, read-only, disk full, busy): one line."""


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    return int(value or 0)


def migrate(conn: sa.Connection) -> int:
    """Bring the schema up to SCHEMA_VERSION; returns the version found before."""
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        raise WorkspaceError(
            f"workspace schema v{found} is newer than this program (v{SCHEMA_VERSION}): "
            "upgrade curation-workbench to open it"
        )
    for step in MIGRATIONS[found:]:
        step(conn)
    if found < SCHEMA_VERSION:
        meta = metadata.tables["meta"]
        conn.execute(sa.delete(meta).where(meta.c.key == "schema_version"))
        conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    return found
