"""Round trips, every reader x every writer: import then export with no decision gives the
source back (bytes for JSONL/JSON/CSV, schema and values for Parquet/HF); one drop removes
exactly that row; one edit changes exactly that row; conversions keep every value."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import io
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.workbench import export_dataset, ingest_file

N = 6
TEXT_KINDS = ("jsonl", "json", "csv")
WRITERS = ("jsonl", "json", "csv", "parquet", "hf")


def alpaca_rows() -> list[dict]:
    rows = []
    for i in range(N):
        row = {
            "id": i + 1,
            "instruction": f'Wie setze ich mein Passwort zurück? #{i} "quoted", comma',
            "input": "line one\nline two" if i == 2 else "",
            "output": f"Öffne Einstellungen > Konto ({i}). ✓",
        }
        if i >= 2:  # columns only some rows have (the first row lacks them)
            row["tags"] = ["billing", f"t{i}"]
            row["source"] = "web"
        rows.append(row)
    return rows


def message_table() -> pa.Table:
    msgs = [
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Question {i}?"},
            {"role": "assistant", "content": f"Answer {i}."},
        ]
        for i in range(N)
    ]
    return pa.table(
        {
            "id": pa.array(range(10, 10 + N), pa.int32()),
            "messages": pa.array(msgs, pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            "meta": pa.array(
                [{"lang": "en", "score": 0.5 if i != 3 else math.nan} for i in range(N)],
                pa.struct([("lang", pa.string()), ("score", pa.float64())]),
            ),
            "turn_count": pa.array([3] * N, pa.int16()),
            "created": pa.array([dt.datetime(2024, 1, i + 1) for i in range(N)], pa.timestamp("us")),
        }
    )


def hf_partial_table() -> pa.Table:
    rows = alpaca_rows()
    cols = ["id", "instruction", "input", "output", "tags", "source"]
    return pa.table({c: pa.array([r.get(c) for r in rows]) for c in cols})


def _write_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, ["id", "instruction", "input", "output"], extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def make_source(name: str, tmp: Path):
    """(what to ingest, the source's records as plain values, the container it is)."""
    rows = alpaca_rows()
    lines_compact = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows]
    if name == "jsonl_compact":
        p = tmp / "in.jsonl"
        p.write_text("".join(lines_compact), encoding="utf-8")
        return p, rows, "jsonl"
    if name == "jsonl_ascii_crlf":  # ensure_ascii escapes, BOM, CRLF, a blank line, no final newline
        p = tmp / "in.jsonl"
        body = "\r\n".join(json.dumps(r) for r in rows[:3]) + "\r\n\r\n" + "\r\n".join(json.dumps(r) for r in rows[3:])
        p.write_bytes(b"\xef\xbb\xbf" + body.encode("ascii"))
        return p, rows, "jsonl"
    if name == "json_pretty":
        p = tmp / "in.json"
        p.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return p, rows, "json"
    if name == "json_wrapped":
        p = tmp / "in.json"
        p.write_text(json.dumps({"version": 2, "data": rows}, indent=4), encoding="utf-8")
        return p, rows, "json"
    if name == "csv_multiline":
        p = tmp / "in.csv"
        p.write_bytes(_write_csv(rows))
        return p, [{k: str(r[k]) for k in ("id", "instruction", "input", "output")} for r in rows], "csv"
    if name == "jsonl_gz":
        p = tmp / "in.jsonl.gz"
        p.write_bytes(gzip.compress("".join(lines_compact).encode(), mtime=0))
        return p, rows, "jsonl"
    if name == "csv_zst":
        p = tmp / "in.csv.zst"
        with pa.output_stream(str(p), compression="zstd") as out:
            out.write(_write_csv(rows))
        return p, [{k: str(r[k]) for k in ("id", "instruction", "input", "output")} for r in rows], "csv"
    if name == "jsonl_shards":
        d = tmp / "shards"
        d.mkdir()
        for k, start in enumerate(range(0, N, 2)):
            (d / f"part-{k:05d}.jsonl").write_text("".join(lines_compact[start : start + 2]), encoding="utf-8")
        return d, rows, "jsonl"
    if name == "parquet_nested":
        p = tmp / "in.parquet"
        pq.write_table(message_table(), p)
        return p, message_table().to_pylist(), "parquet"
    if name == "parquet_shards":
        d = tmp / "pshards"
        d.mkdir()
        t = message_table()
        pq.write_table(t.slice(0, 4), d / "a-0.parquet")
        pq.write_table(t.slice(4), d / "a-1.parquet")
        return d, t.to_pylist(), "parquet"
    if name == "hf_partial":
        from datasets import Dataset

        d = tmp / "hf_in"
        Dataset(_in_memory(hf_partial_table())).save_to_disk(str(d))
        return d, hf_partial_table().to_pylist(), "hf"
    if name == "dataframe":
        import pandas as pd

        df = pd.DataFrame(
            {
                "instruction": [r["instruction"] for r in rows],
                "output": [r["output"] for r in rows],
                "n": pd.array(range(N), dtype="int32"),
            }
        )
        return df, pa.Table.from_pandas(df, preserve_index=False).to_pylist(), "parquet"
    if name == "records":
        return rows, rows, "jsonl"
    if name == "hf_dataset_object":
        from datasets import Dataset

        return Dataset(_in_memory(hf_partial_table())), hf_partial_table().to_pylist(), "hf"
    raise KeyError(name)


def _in_memory(table: pa.Table):
    from datasets.table import InMemoryTable

    return InMemoryTable(table)


READERS = (
    "jsonl_compact",
    "jsonl_ascii_crlf",
    "json_pretty",
    "json_wrapped",
    "csv_multiline",
    "jsonl_gz",
    "csv_zst",
    "jsonl_shards",
    "parquet_nested",
    "parquet_shards",
    "hf_partial",
    "dataframe",
    "records",
    "hf_dataset_object",
)


def _strict_json(text: str):
    def no_constants(name):
        raise AssertionError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=no_constants)


def load_values(out: Path, kind: str) -> list[dict]:
    """The exported records, read back with plain libraries (not ours)."""
    if kind == "hf":
        from datasets import load_from_disk

        return load_from_disk(str(out)).data.table.to_pylist()
    if kind == "parquet":
        return pq.read_table(out).to_pylist()
    text = out.read_bytes().decode("utf-8-sig")
    if kind == "jsonl":
        return [_strict_json(line) for line in text.splitlines() if line.strip()]
    if kind == "json":
        data = _strict_json(text)
        return data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    return list(csv.DictReader(io.StringIO(text, newline="")))


def expected_values(values: list[dict], kind: str, source_kind: str) -> list[dict]:
    """What a container can hold of the source's values (the documented conversions)."""
    columns = list(dict.fromkeys(k for v in values for k in v))
    if kind in ("jsonl", "json"):
        return [_json_value(v) for v in values]
    if kind == "csv":
        return [{c: _csv_cell(v.get(c)) for c in columns} for v in values]
    if source_kind in ("parquet", "hf"):
        return values
    return [{c: v.get(c) for c in columns} for v in values]


def _json_value(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    return v


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(_json_value(v), ensure_ascii=False)
    if isinstance(v, dt.datetime):
        return str(v)
    return v if isinstance(v, str) else str(v)


def _same_nan(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_nan(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_nan(x, y) for x, y in zip(a, b))
    return a == b


def _source_bytes(src, source_kind: str) -> bytes:
    paths = sorted(src.iterdir()) if src.is_dir() else [src]
    data = b"".join(p.read_bytes() for p in paths)
    if str(src).endswith(".gz"):
        return gzip.decompress(data)
    if str(src).endswith(".zst"):
        return pa.input_stream(str(src), compression="zstd").read()
    return data


def _out_name(kind: str, compressed_like: Path | None = None) -> str:
    return {"hf": "out_hf", "jsonl": "out.jsonl", "json": "out.json", "csv": "out.csv", "parquet": "out.parquet"}[kind]


def _edit(values: list[dict], row: int, source_kind: str) -> list[dict]:
    out = [dict(v) for v in values]
    if "messages" in out[row]:
        msgs = [dict(m) for m in out[row]["messages"]]
        msgs[-1]["content"] = "EDITED"
        out[row]["messages"] = msgs
    else:
        out[row]["output"] = "EDITED"
    return out


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("reader", READERS)
def test_no_decision_gives_the_source_back(tmp_path, workspace, reader, writer):
    src, values, source_kind = make_source(reader, tmp_path)
    ds, _, _ = ingest_file(workspace, src)
    out = tmp_path / _out_name(writer)
    manifest = export_dataset(workspace, ds, out, writer)
    assert manifest["n_out"] == N and manifest["by_status"] == {"unchanged": N}
    got = load_values(out, writer)
    assert _same_nan(got, expected_values(values, writer, source_kind)), reader
    if writer == source_kind and writer in TEXT_KINDS and isinstance(src, Path):
        assert out.read_bytes() == _source_bytes(src, source_kind)  # byte for byte
    if writer == source_kind and writer in ("parquet", "hf") and isinstance(src, Path):
        table = pq.read_table(out) if writer == "parquet" else _hf_table(out)
        source = pq.read_table(src) if writer == "parquet" else _hf_table(src)
        assert table.schema.equals(source.schema, check_metadata=False)
        assert _same_nan(table.to_pylist(), source.to_pylist())  # Arrow's equals says NaN != NaN


def _hf_table(folder: Path) -> pa.Table:
    from datasets import load_from_disk

    return load_from_disk(str(folder)).data.table


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("reader", READERS)
def test_one_drop_and_one_edit_change_exactly_those_rows(tmp_path, workspace, reader, writer):
    src, values, source_kind = make_source(reader, tmp_path)
    ds, _, _ = ingest_file(workspace, src)
    workspace.record_decision(ds.id, "drop", "ana", rows=[1], reason="copy")
    workspace.record_decision(ds.id, "edit", "ben", rows=[4], payload={"answer": "EDITED"})
    out = tmp_path / _out_name(writer)
    export_dataset(workspace, ds, out, writer)
    want = expected_values(_edit(values, 4, source_kind), writer, source_kind)
    del want[1]
    assert _same_nan(load_values(out, writer), want), reader
    if writer == source_kind and writer in ("jsonl", "csv") and isinstance(src, Path):
        before = _source_bytes(src, source_kind).splitlines(keepends=True)
        after = out.read_bytes().splitlines(keepends=True)
        kept = [line for line in after if line not in before]
        assert len(kept) == 1 and b"EDITED" in kept[0]  # every other line is the source's own bytes
    if writer == source_kind and writer in ("parquet", "hf") and isinstance(src, Path):
        table = pq.read_table(out) if writer == "parquet" else _hf_table(out)
        source = pq.read_table(src) if writer == "parquet" else _hf_table(src)
        assert table.schema.equals(source.schema, check_metadata=False)  # the edit keeps the types


@pytest.mark.parametrize("writer", WRITERS)
def test_added_rows_get_a_stable_id_in_the_id_column(tmp_path, workspace, writer):
    src, values, _ = make_source("parquet_nested" if writer in ("parquet", "hf") else "jsonl_compact", tmp_path)
    ds, _, _ = ingest_file(workspace, src)
    decision = workspace.record_decision(
        ds.id,
        "add",
        "cat",
        payload={
            "messages": [{"role": "user", "content": "New question?"}, {"role": "assistant", "content": "New answer."}]
        },
    )
    out = tmp_path / _out_name(writer)
    m1 = export_dataset(workspace, ds, out, writer)
    got = load_values(out, writer)
    top = max(int(v["id"]) for v in values)
    assert str(got[-1]["id"]) == str(top + decision)
    assert m1["changes"][-1]["id"] == top + decision
    m2 = export_dataset(workspace, ds, tmp_path / ("again_" + out.name), writer)
    assert m2["output_sha256"] == m1["output_sha256"]  # the same decisions give the same ids and bytes
    if writer == "parquet":
        assert pq.read_schema(out).field("id").type == pa.int32()


def test_string_ids_get_added_prefix(tmp_path, workspace):
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps({"uid": f"u{i}", "prompt": f"p{i}", "response": "r"}) + "\n" for i in range(3)))
    ds, _, _ = ingest_file(workspace, p)
    d = workspace.record_decision(
        ds.id,
        "add",
        "cat",
        payload={"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
    )
    export_dataset(workspace, ds, tmp_path / "o.jsonl")
    last = json.loads((tmp_path / "o.jsonl").read_text().splitlines()[-1])
    assert last == {"uid": f"added-{d}", "prompt": "q", "response": "a"}


def test_map_never_injects_canonical_keys(tmp_path, workspace):
    rows = [{"question": f"Q{i}?", "answer": f"A{i}.", "instruction": "unrelated column"} for i in range(3)]
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds, _, _ = ingest_file(workspace, p, fmt="alpaca", mapping={"instruction": "question", "output": "answer"})
    export_dataset(workspace, ds, tmp_path / "same.jsonl")
    assert (tmp_path / "same.jsonl").read_bytes() == p.read_bytes()
    workspace.record_decision(ds.id, "edit", "ana", rows=[1], payload={"answer": "Better."})
    workspace.record_decision(
        ds.id,
        "add",
        "ana",
        payload={"messages": [{"role": "user", "content": "New?"}, {"role": "assistant", "content": "Yes."}]},
    )
    export_dataset(workspace, ds, tmp_path / "o.jsonl")
    got = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert got[1] == {"question": "Q1?", "answer": "Better.", "instruction": "unrelated column"}
    assert got[3] == {"question": "New?", "answer": "Yes."}


def test_provenance_only_when_asked(tmp_path, workspace):
    src, _, _ = make_source("jsonl_compact", tmp_path)
    ds, _, _ = ingest_file(workspace, src)
    workspace.record_decision(ds.id, "edit", "ben", rows=[0], payload={"answer": "EDITED"})
    export_dataset(workspace, ds, tmp_path / "plain.jsonl")
    assert "curation" not in (tmp_path / "plain.jsonl").read_text()
    export_dataset(workspace, ds, tmp_path / "prov.parquet", with_provenance=True)
    table = pq.read_table(tmp_path / "prov.parquet")
    assert table.column("curation_status").to_pylist() == ["edited"] + ["unchanged"] * (N - 1)


def test_csv_formula_cells_are_neutralised_unless_allowed(tmp_path, workspace):
    p = tmp_path / "f.csv"
    p.write_text('instruction,output\n"=HYPERLINK(""http://x"",""click"")",-5\nplain,@SUM(A1)\n+1+2,ok\n')
    ds, _, _ = ingest_file(workspace, p)
    export_dataset(workspace, ds, tmp_path / "safe.csv")
    cells = list(csv.reader(io.StringIO((tmp_path / "safe.csv").read_text())))
    assert cells[1] == ['\'=HYPERLINK("http://x","click")', "-5"]  # numbers stay numbers
    assert cells[2] == ["plain", "'@SUM(A1)"] and cells[3] == ["'+1+2", "ok"]
    export_dataset(workspace, ds, tmp_path / "raw.csv", formula_guard=False)
    assert (tmp_path / "raw.csv").read_bytes() == p.read_bytes()
    export_dataset(workspace, ds, tmp_path / "conv.csv.gz")  # also when converting / compressing
    assert b"'=HYPERLINK" in gzip.decompress((tmp_path / "conv.csv.gz").read_bytes())


def test_default_output_container_is_the_source_one(tmp_path, workspace):
    src, _, _ = make_source("parquet_nested", tmp_path)
    ds, _, _ = ingest_file(workspace, src)
    manifest = export_dataset(workspace, ds, tmp_path / "curated")  # no suffix, no --format
    assert manifest["output_format"] == "parquet"
    assert _same_nan(pq.read_table(tmp_path / "curated").to_pylist(), message_table().to_pylist())
