"""A corpus of malformed and hostile inputs across every reader, each with its expected result:
exit status 2 with one line naming file:line (and field), nothing stored, no traceback; or a
clean import of the valid ones. ``--skip-bad`` reports every skipped row with its position."""

from __future__ import annotations

import gzip
import io
import json
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.cli import app

GOOD = {"instruction": "How do I reset my password?", "input": "", "output": "Open Settings > Account."}


@dataclass
class Case:
    id: str
    name: str  # file or folder name given to `curate ingest`
    content: object  # bytes, or a callable(path) that builds it
    error: str | None = None  # regex the one error line must match; None = clean import
    n: int = 0  # examples a clean import stores
    args: tuple = ()
    stdin: bytes | None = None


def jl(*records) -> bytes:
    """JSON Lines of dicts (bytes are taken as a line as they are)."""
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def row(i: int, **over) -> dict:
    return {**GOOD, "instruction": f"Question {i}?", **over}


def deep(n: int) -> str:
    return "[" * n + "]" * n


def _parquet(table: pa.Table):
    return lambda p: pq.write_table(table, p)


def _hf(table: pa.Table, **extra):
    def build(p: Path) -> None:
        from datasets import Dataset
        from datasets.table import InMemoryTable

        Dataset(InMemoryTable(table)).save_to_disk(str(p))
        for name, data in extra.items():
            (p / name.replace("__", ".")).write_bytes(data)

    return build


def _folder(files: dict[str, bytes]):
    def build(p: Path) -> None:
        p.mkdir()
        for name, data in files.items():
            (p / name).write_bytes(data)

    return build


CASES: list[Case] = []


def add(*args, **kwargs) -> None:
    CASES.append(Case(*args, **kwargs))


G1, G2 = json.dumps(row(1)), json.dumps(row(2))
# --- JSON Lines --------------------------------------------------------------------------------
add("jsonl-malformed", "d.jsonl", f'{G1}\n{{"instruction": "x", \n{G2}\n'.encode(), r"d\.jsonl:2: malformed JSON")
add(
    "jsonl-missing-output",
    "d.jsonl",
    jl(row(1), {"instruction": "x", "input": ""}, row(3)),
    r"d\.jsonl:2: missing required field .*field 'output'",
)
add(
    "jsonl-first-row-lacks-output",
    "d.jsonl",
    jl({"instruction": "only a prompt"}, row(2), row(3)),
    r"d\.jsonl:1: missing required field .*field 'output'",
)
add("jsonl-wrong-type", "d.jsonl", jl(row(1), row(2, output=42)), r"d\.jsonl:2: expected text, got int .*'output'")
add("jsonl-null-output", "d.jsonl", jl(row(1), row(2, output=None)), r"d\.jsonl:2: missing required field")
# an empty answer is real data (the contract's development set has 100): kept, and flagged by the quality detector
add("jsonl-empty-output-kept", "d.jsonl", jl(row(1), row(2, output="")), n=2)
add(
    "jsonl-empty-prompt",
    "d.jsonl",
    jl({"prompt": "p", "response": "r"}, {"prompt": "", "response": "r"}),
    r"d\.jsonl:2: empty text .*'prompt'",
)
add(
    "jsonl-empty-user-turn",
    "d.jsonl",
    jl({"messages": [{"role": "user", "content": " "}, {"role": "assistant", "content": "a"}]}),
    r"d\.jsonl:1: empty text .*'messages\[0\]\.content'",
)
add("jsonl-blank-instruction", "d.jsonl", jl(row(1), row(2, instruction=" \n\t")), r":2: empty text .*'instruction'")
add(
    "jsonl-nan-output",
    "d.jsonl",
    f'{G1}\n{{"instruction": "q", "output": NaN}}\n'.encode(),
    r"d\.jsonl:2: NaN is not valid JSON .*'output'",
)
add(
    "jsonl-infinity-extra",
    "d.jsonl",
    f'{G1}\n{{"instruction": "q", "output": "a", "score": Infinity}}\n'.encode(),
    r":2: Infinity is not valid JSON .*'score'",
)
add(
    "jsonl-minus-infinity",
    "d.jsonl",
    b'{"instruction": "q", "output": "a", "s": -Infinity}\n',
    r":1: -Infinity is not valid JSON",
)
add(
    "jsonl-duplicate-key",
    "d.jsonl",
    f'{G1}\n{{"instruction": "q", "output": "a", "output": "b"}}\n'.encode(),
    r"d\.jsonl:2: duplicate key .*'output'",
)
add(
    "jsonl-duplicate-nested-key",
    "d.jsonl",
    b'{"messages": [{"role": "user", "content": "a", "content": "b"}]}\n',
    r":1: duplicate key .*'content'",
)
add("jsonl-array-line", "d.jsonl", f"{G1}\n[1, 2]\n".encode(), r":2: expected a JSON object, got list")
add("jsonl-string-line", "d.jsonl", f'{G1}\n"just text"\n'.encode(), r":2: expected a JSON object, got str")
add("jsonl-number-line", "d.jsonl", f"{G1}\n42\n".encode(), r":2: expected a JSON object, got int")
add(
    "jsonl-lone-surrogate-answer",
    "d.jsonl",
    f'{G1}\n{{"instruction": "q", "output": "bad \\ud800 text"}}\n'.encode(),
    r":2: text with a lone surrogate .*'output'",
)
add(
    "jsonl-lone-surrogate-extra",
    "d.jsonl",
    b'{"instruction": "q", "output": "a", "note": "\\udc00"}\n',
    r":1: text with a lone surrogate .*'note'",
)
add("jsonl-surrogate-pair-ok", "d.jsonl", b'{"instruction": "q", "output": "smile \\ud83d\\ude00"}\n', n=1)
add(
    "jsonl-100k-deep-field",
    "d.jsonl",
    f'{G1}\n{{"instruction": "q", "output": "a", "x": {deep(100_000)}}}\n'.encode(),
    r"d\.jsonl:2: JSON nested too deeply",
)
add("jsonl-100k-deep-line", "d.jsonl", f"{G1}\n{deep(100_000)}\n".encode(), r"d\.jsonl:2: JSON nested too deeply")
add(
    "jsonl-not-utf8",
    "d.jsonl",
    G1.encode() + b'\n{"instruction": "caf\xe9", "output": "x"}\n',
    r"d\.jsonl:2: bytes that are not UTF-8",
)
add("jsonl-utf16", "d.jsonl", G1.encode("utf-16"), r"d\.jsonl:1: bytes that are not UTF-8")
add("jsonl-empty", "d.jsonl", b"", r"d\.jsonl: empty file")
add("jsonl-blank-lines-only", "d.jsonl", b"\n \n\t\n", r"d\.jsonl: empty file")
add("jsonl-bom-ok", "d.jsonl", b"\xef\xbb\xbf" + jl(row(1), row(2)), n=2)
add("jsonl-crlf-ok", "d.jsonl", (G1 + "\r\n" + G2 + "\r\n").encode(), n=2)
add("jsonl-no-final-newline-ok", "d.jsonl", (G1 + "\n" + G2).encode(), n=2)
add("jsonl-two-objects-one-line", "d.jsonl", f"{G1} {G2}\n".encode(), r":1: extra data after the JSON object")
add(
    "jsonl-truncated-last-line",
    "d.jsonl",
    f'{G1}\n{{"instruction": "q", "output": "cut off'.encode(),
    r"d\.jsonl:2: malformed JSON",
)
add("jsonl-unknown-keys", "d.jsonl", jl({"question": "q", "answer": "a"}), r":1: cannot tell the format")
add(
    "jsonl-unknown-role",
    "d.jsonl",
    jl({"messages": [{"role": "wizard", "content": "hi"}]}),
    r":1: unknown role 'wizard' .*messages\[0\]\.role",
)
add("jsonl-empty-messages", "d.jsonl", jl({"messages": []}), r":1: expected a non-empty list of turns")
add("jsonl-messages-text", "d.jsonl", jl({"messages": "user: hi"}), r":1: expected a non-empty list of turns, got str")
add(
    "jsonl-null-content",
    "d.jsonl",
    jl({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]}),
    r":1: missing required field .*messages\[1\]\.content",
)
add(
    "jsonl-only-system",
    "d.jsonl",
    jl({"messages": [{"role": "system", "content": "Be nice."}]}),
    r":1: conversation has no user or assistant turn",
)
add(
    "jsonl-sharegpt-bad-from",
    "d.jsonl",
    jl({"conversations": [{"from": "alien", "value": "hi"}]}),
    r"unknown role 'alien'",
)
add(
    "jsonl-mixed-messages-sharegpt",
    "d.jsonl",
    jl({"messages": [{"role": "user", "content": "hi"}]}, {"conversations": [{"from": "human", "value": "hi"}]}),
    r"d\.jsonl:2: missing required field .*'messages'",
)
add(
    "jsonl-mixed-alpaca-prompt",
    "d.jsonl",
    jl({"prompt": "p", "response": "r"}, row(2)),
    r"d\.jsonl:1: missing required field .*'instruction'",
)
add("jsonl-escaped-nul-ok", "d.jsonl", b'{"instruction": "q\\u0000", "output": "a"}\n', n=1)
add("jsonl-raw-control-char", "d.jsonl", b'{"instruction": "q\x01", "output": "a"}\n', r":1: malformed JSON")
add("jsonl-5mb-answer-ok", "d.jsonl", jl(row(1, output="x" * 5_000_000)), n=1)
# --- JSON ----------------------------------------------------------------------------------------
PRETTY = [row(1), row(2, instruction=""), row(3)]
add(
    "json-pretty-field-line",
    "d.json",
    json.dumps(PRETTY, indent=2).encode(),
    r"d\.json:8: empty text in a required field .*'instruction'",
)
add(
    "json-pretty-syntax",
    "d.json",
    json.dumps(PRETTY, indent=2).replace('"\n  },', '"\n  }', 1).encode(),
    r"d\.json:7: malformed JSON",
)
add("json-two-arrays", "d.json", json.dumps({"a": [row(1)], "b": [row(2)]}).encode(), r"expected a JSON array")
add("json-top-level-string", "d.json", b'"hello"', r"d\.json:1: expected a JSON array")
add("json-empty-array", "d.json", b"[]", r"d\.json: empty file: no examples")
add(
    "json-non-object-element",
    "d.json",
    b'[\n  {"instruction": "q", "output": "a"},\n  [1]\n]',
    r"d\.json:3: expected a JSON object, got list",
)
add(
    "json-duplicate-key-line",
    "d.json",
    b'[\n  {\n    "instruction": "q",\n    "output": "a",\n    "output": "b"\n  }\n]',
    r"d\.json:5: duplicate key .*'output'",
)
add(
    "json-nan-line",
    "d.json",
    b'[\n  {\n    "instruction": "q",\n    "output": "a",\n    "score": NaN\n  }\n]',
    r"d\.json:5: NaN is not valid JSON .*'score'",
)
add("json-lines-under-json-name-ok", "d.json", jl(row(1), row(2), row(3)), n=3)
add("json-deep", "d.json", f"[{deep(50_000)}]".encode(), r"d\.json: JSON nested too deeply")
add(
    "json-not-utf8",
    "d.json",
    b'[\n{"instruction": "q", "output": "a"},\n{"instruction": "\xff"}]',
    r"d\.json:3: bytes that are not UTF-8",
)
add("json-wrapped-ok", "d.json", json.dumps({"version": 1, "data": [row(1), row(2)]}, indent=2).encode(), n=2)
add("json-trailing-garbage", "d.json", json.dumps([row(1)]).encode() + b" garbage", r"d\.json:1: malformed JSON")
# --- CSV -----------------------------------------------------------------------------------------
add(
    "csv-unterminated-quote",
    "d.csv",
    b'instruction,output\nq1,"a1\nq2,a2\nq3,a3\nq4,a4\n',
    r"d\.csv:2: unterminated quoted cell",
)
add("csv-stray-quote", "d.csv", b'instruction,output\nq1,a1\nq2,"a2"x\n', r"d\.csv:3: text after a closing quote")
add("csv-ragged-extra", "d.csv", b"instruction,input,output\nq1,,a1\nq2,,a2,extra\n", r"d\.csv:3: ragged row: 4 cells")
add("csv-ragged-missing", "d.csv", b"instruction,input,output\nq1,,a1\nq2,a2\n", r"d\.csv:3: ragged row: 2 cells")
add(
    "csv-duplicate-header",
    "d.csv",
    b"instruction,output,output\nq,a,b\n",
    r"d\.csv:1: duplicate column name .*'output'",
)
add("csv-empty-instruction", "d.csv", b"instruction,output\nq1,a1\n,a2\n", r"d\.csv:3: empty text .*'instruction'")
add("csv-empty-output-kept", "d.csv", b"instruction,output\nq1,a1\nq2,\n", n=2)
add("csv-nan-answer", "d.csv", b"instruction,output\nq1,a1\nq2,NaN\n", r"d\.csv:3: NaN in a text field .*'output'")
add("csv-header-only", "d.csv", b"instruction,output\n", r"d\.csv: empty file: no examples")
add("csv-empty", "d.csv", b"", r"d\.csv: empty file: no header row")
add("csv-cell-over-128k-ok", "d.csv", b"instruction,output\nq," + b"x" * 200_000 + b"\n", n=1)
add("csv-embedded-newlines-ok", "d.csv", b'instruction,output\n"line 1\nline 2","a, b\r\nc"\nq2,a2\n', n=2)
add("csv-crlf-bom-ok", "d.csv", b"\xef\xbb\xbfinstruction,output\r\nq1,a1\r\nq2,a2\r\n", n=2)
add("csv-not-utf8", "d.csv", b"instruction,output\nq1,a1\nq2,caf\xe9\n", r"d\.csv:3: bytes that are not UTF-8")
add("csv-unknown-columns", "d.csv", b"question,answer\nq,a\n", r"d\.csv:2: cannot tell the format")
add("csv-bad-messages-json", "d.csv", b'messages\n"[{""role"": ""user""}"\n', r"d\.csv:2: expected a non-empty list")
add("csv-bare-cr", "d.csv", b"instruction,output\rq1,a1\rq2,a2\r", r"d\.csv:1: a carriage return")
add("csv-blank-lines-ok", "d.csv", b"instruction,output\n\nq1,a1\n\nq2,a2\n", n=2)
# --- Parquet -------------------------------------------------------------------------------------
MSG = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
add("parquet-garbage", "d.parquet", b"PAR1 this is not parquet", r"d\.parquet: not a readable Parquet file")
add(
    "parquet-truncated",
    "d.parquet",
    lambda p: (
        pq.write_table(pa.table({"prompt": ["a"] * 50, "response": ["b"] * 50}), p),
        p.write_bytes(p.read_bytes()[:200]),
    ),
    r"d\.parquet: not a readable Parquet file",
)
add(
    "parquet-null-output",
    "d.parquet",
    _parquet(pa.table({"instruction": ["q1", "q2"], "output": ["a", None]})),
    r"d\.parquet:2: missing required field .*row 2, field 'output'",
)
add(
    "parquet-int-output",
    "d.parquet",
    _parquet(pa.table({"instruction": ["q"], "output": [5]})),
    r"d\.parquet:1: expected text, got int",
)
add(
    "parquet-nan-output",
    "d.parquet",
    _parquet(pa.table({"instruction": ["q", "r"], "output": [float("nan")] * 2})),
    r"d\.parquet:1: expected text, got nan",
)
add(
    "parquet-null-content",
    "d.parquet",
    _parquet(
        pa.table(
            {"messages": pa.array([[{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]], MSG)}
        )
    ),
    r"d\.parquet:1: missing required field .*messages\[1\]\.content",
)
add(
    "parquet-zero-rows",
    "d.parquet",
    _parquet(pa.table({"prompt": pa.array([], pa.string())})),
    r"d\.parquet: empty file: no examples",
)
add("parquet-gz", "d.parquet.gz", b"\x1f\x8b", r"compressed Parquet is not supported")
add(
    "parquet-shards-differ",
    "shards",
    lambda p: (
        p.mkdir(),
        pq.write_table(pa.table({"prompt": ["a"]}), p / "a.parquet"),
        pq.write_table(pa.table({"prompt": [1]}), p / "b.parquet"),
    ),
    r"b\.parquet: this shard's schema differs",
)
add(
    "parquet-list-struct-ok",
    "d.parquet",
    _parquet(
        pa.table(
            {
                "id": pa.array([1, 2], pa.int32()),
                "messages": pa.array(
                    [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]] * 2, MSG
                ),
            }
        )
    ),
    n=2,
)
# --- Hugging Face folders -----------------------------------------------------------------------
HF_OK = pa.table({"instruction": ["q1", "q2"], "output": ["a1", "a2"], "tag": [None, "x"]})
add("hf-ok-partial-columns", "hfd", _hf(HF_OK), n=2)
add("hf-corrupt-state", "hfd", _hf(HF_OK, state__json=b"{not json"), r"state\.json: not a Hugging Face save_to_disk")
add(
    "hf-missing-arrow",
    "hfd",
    _hf(HF_OK, state__json=json.dumps({"_data_files": [{"filename": "nope.arrow"}]}).encode()),
    r"hfd: Hugging Face dataset folder lacks nope\.arrow",
)
add("hf-garbage-arrow", "hfd", _hf(HF_OK, **{"data-00000-of-00001__arrow": b"garbage"}), r"not a readable Arrow file")
add(
    "hf-dataset-dict",
    "hfd",
    lambda p: (p.mkdir(), (p / "dataset_dict.json").write_text('{"splits": ["train"]}'), (p / "train").mkdir()),
    r"a DatasetDict folder: ingest one split's folder \(train\)",
)
add(
    "hf-null-answer",
    "hfd",
    _hf(pa.table({"instruction": ["q"], "output": pa.array([None], pa.string())})),
    r":1: missing required field",
)
# --- folders, compression, stdin, options -----------------------------------------------------
add("folder-empty", "dir", lambda p: p.mkdir(), r"dir: a folder with no data files")
add(
    "folder-mixed",
    "dir",
    _folder({"a.jsonl": jl(row(1)), "b.csv": b"instruction,output\nq,a\n"}),
    r"a folder of shards must hold one kind of file",
)
add(
    "folder-bad-line-in-shard-2",
    "dir",
    _folder({"part-1.jsonl": jl(row(1)), "part-2.jsonl": jl(row(2)) + b"{oops\n"}),
    r"part-2\.jsonl:2: malformed JSON",
)
add(
    "folder-csv-headers-differ",
    "dir",
    _folder({"a.csv": b"instruction,output\nq,a\n", "b.csv": b"prompt,response\np,r\n"}),
    r"b\.csv:1: header .* differs",
)
add("folder-shards-ok", "dir", _folder({f"part-{i}.jsonl": jl(row(i)) for i in range(1, 12)}), n=11)
add("unsupported-suffix", "d.txt", b"hello", r"unsupported file type '\.txt'")
add("not-gzip", "d.jsonl.gz", b"not gzip at all", r"d\.jsonl\.gz: cannot read the gzip stream")
add(
    "truncated-gzip",
    "d.jsonl.gz",
    gzip.compress(jl(*[row(i) for i in range(200)]))[:300],
    r"d\.jsonl\.gz: cannot read the gzip stream",
)
add("zstd-garbage", "d.jsonl.zst", b"\x28\xb5\x2f\xfd garbage", r"d\.jsonl\.zst: cannot read the zstd stream")
add("gzip-bad-line", "d.jsonl.gz", gzip.compress(jl(row(1)) + b"{oops\n"), r"d\.jsonl\.gz:2: malformed JSON")
add("gzip-ok", "d.jsonl.gz", gzip.compress(jl(row(1), row(2))), n=2)
add("stdin-empty", "-", None, r"<stdin>: empty file", stdin=b"")
add("stdin-csv-ok", "-", None, n=2, stdin=b"instruction,output\nq1,a1\nq2,a2\n")
add("stdin-jsonl-bad", "-", None, r"<stdin>:2: malformed JSON", stdin=jl(row(1)) + b"{bad\n")
add("stdin-binary", "-", None, r"<stdin>:1: bytes that are not UTF-8", stdin=b"\x00\xff\xfe binary \x80\n")
add(
    "map-missing-column",
    "d.jsonl",
    jl({"q": "a", "a": "b"}),
    r"d\.jsonl:1: mapped column 'answer' is missing",
    args=("--format", "alpaca", "--map", "instruction=q", "--map", "output=answer"),
)
add(
    "map-unknown-field",
    "d.jsonl",
    jl({"q": "a"}),
    r"--map names an unknown field 'question'",
    args=("--map", "question=q"),
)
add("format-unknown", "d.jsonl", jl(row(1)), r"unknown format 'alpacca'", args=("--format", "alpacca"))
add("type-unknown", "d.jsonl", jl(row(1)), r"unknown file type 'xml'", args=("--type", "xml"))
add("missing-file", "nope.jsonl", None, r"nope\.jsonl: file not found")


def _counts(ws: Path) -> tuple[int, int, int]:
    with sqlite3.connect(ws / "workspace.db") as conn:
        return tuple(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("datasets", "examples", "source_chunks")
        )


def run_cli(args: list[str], capsys, monkeypatch, stdin: bytes | None = None) -> tuple[int, str, str]:
    """`curate ARGS` in this process, through the same entry point as the console script."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    capsys.readouterr()
    try:
        app(args=[str(a) for a in args], prog_name="curate")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_is_large_and_covers_every_reader():
    assert len(CASES) >= 70
    assert len({c.id for c in CASES}) == len(CASES)
    kinds = {c.id.split("-")[0] for c in CASES}
    assert {"jsonl", "json", "csv", "parquet", "hf", "folder", "stdin", "gzip"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(tmp_path, capsys, monkeypatch, case):
    ws = tmp_path / "ws"
    seed = tmp_path / "seed.jsonl"
    seed.write_bytes(jl(row(0), row(100)))
    assert run_cli(["ingest", seed, "-w", ws], capsys, monkeypatch)[0] == 0
    before = _counts(ws)
    target = tmp_path / case.name if case.name != "-" else "-"
    if callable(case.content):
        case.content(target)
    elif case.content is not None:
        target.write_bytes(case.content)
    monkeypatch.chdir(tmp_path)
    name = case.name if case.name != "-" else "-"
    code, out, err = run_cli(["ingest", name, "-w", ws, *case.args], capsys, monkeypatch, case.stdin)
    assert "Traceback" not in out + err
    if case.error is None:
        assert code == 0, err
        datasets, examples, _ = _counts(ws)
        assert (datasets, examples) == (before[0] + 1, before[1] + case.n)
        return
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(case.error, lines[0]), lines[0]
    assert _counts(ws) == before  # nothing stored


SKIP_CASES = [
    (
        "jsonl",
        "d.jsonl",
        jl(row(0), row(1, instruction=""), b"{oops", row(3), row(4, output=42), row(5)),
        [0, 3, 5],
        [(1, 2), (2, 3), (4, 5)],
    ),
    ("jsonl-nan", "d.jsonl", f'{G1}\n{{"instruction": "q", "output": NaN}}\n{G2}\n'.encode(), [0, 2], [(1, 2)]),
    ("csv", "d.csv", b"instruction,output\nq0,a0\nq1\n,a2\n\nq3,a3\n", [0, 3], [(1, 3), (2, 4)]),
    (
        "json",
        "d.json",
        b'[\n{"instruction": "q", "output": "a"},\n{"instruction": "q", "output": "a", "output": "b"},\n'
        b'{"instruction": "q2", "output": "a2"}\n]',
        [0, 2],
        [(1, 3)],
    ),
    (
        "parquet",
        "d.parquet",
        _parquet(pa.table({"instruction": ["q0", "q1", "q2"], "output": ["a0", None, "a2"]})),
        [0, 2],
        [(1, 2)],
    ),
]


@pytest.mark.parametrize("kind,name,content,kept,skipped", SKIP_CASES, ids=[c[0] for c in SKIP_CASES])
def test_skip_bad_reports_every_row_with_its_input_position(
    tmp_path, capsys, monkeypatch, kind, name, content, kept, skipped
):
    target = tmp_path / name
    content(target) if callable(content) else target.write_bytes(content)
    ws = tmp_path / "ws"
    code, out, err = run_cli(["ingest", target, "-w", ws, "--skip-bad"], capsys, monkeypatch)
    assert code == 0, err
    reports = [line for line in err.splitlines() if line.startswith("skipped: ")]
    assert [
        (int(m.group(1)), int(m.group(2)))
        for m in (re.match(rf"skipped: row (\d+): .*{re.escape(name)}:(\d+): ", r) for r in reports)
    ] == skipped
    assert f"{len(skipped)} bad rows skipped" in out
    from curation.store import Workspace

    w = Workspace(ws)
    assert [e.row for e in w.examples(w.datasets()[-1].id)] == kept  # rows are positions in the input


def test_real_console_script_gives_one_line(tmp_path):
    """The installed entry point, in a fresh process: one line on stderr, exit status 2."""
    import subprocess

    bad = tmp_path / "d.jsonl"
    bad.write_text(f"{G1}\n{deep(100_000)}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(bad), "-w", str(tmp_path / "ws")], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "JSON nested too deeply" in proc.stderr
