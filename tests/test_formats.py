"""Reading every supported format, writing records back, and located errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import SUPPORT_QA, write_jsonl
from curation.formats import DataError, read_examples, to_record
from curation.schema import Turn

Q, A = SUPPORT_QA[0]

FORMAT_CASES = [
    ("alpaca", {"instruction": Q, "input": "", "output": A}, (Turn("user", Q), Turn("assistant", A))),
    (
        "alpaca",
        {"instruction": "Translate.", "input": "Hola", "output": "Hello"},
        (Turn("user", "Translate.\n\nHola"), Turn("assistant", "Hello")),
    ),
    (
        "dolly",
        {"instruction": Q, "context": "", "response": A, "category": "open_qa"},
        (Turn("user", Q), Turn("assistant", A)),
    ),
    ("prompt_response", {"prompt": Q, "completion": A}, (Turn("user", Q), Turn("assistant", A))),
    ("prompt_response", {"prompt": Q, "chosen": A}, (Turn("user", Q), Turn("assistant", A))),
    ("prompt_only", {"prompt": Q}, (Turn("user", Q),)),
    ("prompt_only", {"instruction": Q}, (Turn("user", Q),)),
    (
        "messages",
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": Q},
                {"role": "assistant", "content": A},
            ]
        },
        (Turn("system", "Be brief."), Turn("user", Q), Turn("assistant", A)),
    ),
    (
        "sharegpt",
        {"conversations": [{"from": "human", "value": Q}, {"from": "gpt", "value": A}]},
        (Turn("user", Q), Turn("assistant", A)),
    ),
]


@pytest.mark.parametrize("fmt,record,turns", FORMAT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(FORMAT_CASES)])
@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_reads_every_format_from_every_file_type(tmp_path, fmt, record, turns, suffix):
    path = tmp_path / f"data{suffix}"
    records = [record, record]
    if suffix == ".jsonl":
        write_jsonl(path, records)
    elif suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        flat = [{k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()} for r in records]
        df = pd.DataFrame(flat)
        df.to_csv(path, index=False) if suffix == ".csv" else df.to_parquet(path, index=False)
    result = read_examples(path)
    assert result.format == fmt
    assert [ex.row for ex in result.examples] == [0, 1]
    assert result.examples[0].turns == turns


@pytest.mark.parametrize("fmt,record,turns", FORMAT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(FORMAT_CASES)])
def test_unchanged_turns_write_back_the_original_record(fmt, record, turns):
    assert to_record(turns, fmt, record) == record


def test_edited_answer_is_written_in_the_source_format():
    rec = {"instruction": Q, "input": "", "output": A, "id": 7}
    out = to_record((Turn("user", Q), Turn("assistant", "New answer.")), "alpaca", rec)
    assert out == {"instruction": Q, "input": "", "output": "New answer.", "id": 7}


def test_keeps_source_id_and_original_fields(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "abc", "instruction": Q, "output": A, "lang": "en"}])
    ex = read_examples(path).examples[0]
    assert ex.source_id == "abc" and ex.record["lang"] == "en"


def test_column_mapping_for_unknown_schema(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"question": Q, "answer": A}])
    with pytest.raises(DataError, match="cannot tell the format"):
        read_examples(path)
    ex = read_examples(path, fmt="alpaca", mapping={"instruction": "question", "output": "answer"}).examples[0]
    assert ex.turns == (Turn("user", Q), Turn("assistant", A))


def _bad_files(tmp: Path) -> list[tuple[str, Path, str]]:
    good = json.dumps({"instruction": Q, "input": "", "output": A})
    cases = []

    def add(name, content: bytes, suffix=".jsonl", pattern=""):
        p = tmp / f"{name}{suffix}"
        p.write_bytes(content)
        cases.append((name, p, pattern))

    add("malformed_json", f'{good}\n{{"instruction": "x", \n{good}\n'.encode(), pattern=r":2: malformed JSON")
    add(
        "missing_field",
        f"{good}\n{json.dumps({'instruction': Q, 'input': ''})}\n".encode(),
        pattern=r":2: .*field 'output'",
    )
    add(
        "wrong_type",
        f"{good}\n{json.dumps({'instruction': Q, 'input': '', 'output': 42})}\n".encode(),
        pattern=r":2: expected text, got int .*field 'output'",
    )
    add(
        "bad_role",
        (
            json.dumps({"messages": [{"role": "user", "content": "hi"}]})
            + "\n"
            + json.dumps({"messages": [{"role": "wizard", "content": "hi"}]})
            + "\n"
        ).encode(),
        pattern=r":2: unknown role 'wizard'.*messages\[0\]\.role",
    )
    add("empty", b"", pattern="empty file")
    add("only_blank_lines", b"\n\n  \n", pattern="empty file")
    add(
        "undecodable",
        f"{good}\n".encode() + b'{"instruction": "caf\xe9", "output": "x"}\n',
        pattern=r":2: bytes that are not UTF-8",
    )
    add(
        "ragged_csv",
        b"instruction,input,output\nq1,,a1\nq2,,a2,extra\n",
        suffix=".csv",
        pattern=r":3: ragged row: 4 cells but the header has 3",
    )
    add("not_an_object", f"{good}\n[1, 2]\n".encode(), pattern=r":2: expected a JSON object")
    add(
        "bad_json_array",
        b'[{"instruction": "q", "output": "a"},\n {"instruction": 1}',
        suffix=".json",
        pattern=r":2: malformed JSON",
    )
    add("unsupported_suffix", b"hello", suffix=".txt", pattern="unsupported file type")
    return cases


def test_every_bad_input_gives_one_located_error(tmp_path):
    for name, path, pattern in _bad_files(tmp_path):
        with pytest.raises(DataError) as info:
            read_examples(path)
        message = str(info.value)
        assert "\n" not in message, name
        assert message.startswith(str(path)), name
        assert __import__("re").search(pattern, message), f"{name}: {message}"


def test_skip_bad_rows_reports_each_skipped_row(tmp_path):
    good = {"instruction": Q, "input": "", "output": A}
    lines = [json.dumps(good), "{broken", json.dumps({"instruction": Q}), json.dumps(good)]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_examples(path, skip_bad=True)
    assert len(result.examples) == 2
    assert [e.line for e in result.skipped] == [2, 3]
    assert [e.position for e in result.skipped] == [1, 2]
    assert [ex.row for ex in result.examples] == [0, 3]  # positions in the input, as findings use


def test_file_of_only_bad_rows_fails_even_when_skipping(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("{bad\n{worse\n", encoding="utf-8")
    with pytest.raises(DataError, match="no valid examples"):
        read_examples(path, skip_bad=True)
