"""The Python API: its documented example runs as written (in the module and in the README),
and every documented name is exported by ``curation``."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import curation
import curation.api

README = Path(__file__).resolve().parents[1] / "README.md"


def test_docstring_example_runs():
    result = doctest.testmod(curation.api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def test_readme_example_runs():
    block = re.search(r"### Python API.*?```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    test = doctest.DocTestParser().get_doctest(block, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("name", ["Workspace", "ingest", "scan", "findings_frame", "export", "DataError"])
def test_names_are_exported(name):
    assert name in curation.__all__ and callable(getattr(curation, name))


def test_export_is_callable_after_the_submodule_is_imported(tmp_path):
    import curation.export  # noqa: F401  (binds the submodule on the package)

    ws = curation.Workspace(tmp_path / "ws")
    ds = curation.ingest([{"prompt": "p", "response": "r"}], workspace=ws)
    manifest = curation.export(ds, tmp_path / "o.jsonl", workspace=ws)
    assert manifest["n_out"] == 1 and (tmp_path / "o.jsonl").read_text() == '{"prompt": "p", "response": "r"}\n'


def test_ingest_dataframe_and_dataset_objects(tmp_path):
    import pandas as pd
    from datasets import Dataset

    ws = curation.Workspace(tmp_path / "ws")
    df = pd.DataFrame({"instruction": ["a", "b"], "output": ["x", "y"]})
    assert curation.ingest(df, workspace=ws).source["origin"] == "dataframe"
    ds = curation.ingest(Dataset.from_dict({"prompt": ["p"], "completion": ["c"]}), workspace=ws)
    assert ds.format == "prompt_response" and ds.source["origin"] == "dataset"
    with pytest.raises(curation.DataError, match=r"<records>:2: empty text"):
        curation.ingest([{"prompt": "p", "response": "r"}, {"prompt": "", "response": "r"}], workspace=ws)
