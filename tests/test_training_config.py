"""RunConfig round-trips, presets, validation and identity."""

from __future__ import annotations

import pytest

from training.config import PRESETS, RunConfig, preset


@pytest.mark.parametrize("suffix", [".json", ".toml"])
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_config_round_trips_through_files(tmp_path, suffix, name):
    cfg = preset(name, seed=7, data_path="data/x.jsonl", gguf_file="m.gguf", target_modules="attention")
    path = cfg.save(tmp_path / f"run{suffix}")
    assert RunConfig.load(path) == cfg


def test_none_fields_are_omitted_in_toml_and_come_back_as_default(tmp_path):
    cfg = RunConfig(gguf_file=None)
    text = cfg.save(tmp_path / "c.toml").read_text()
    assert "gguf_file" not in text
    assert RunConfig.load(tmp_path / "c.toml") == cfg


def test_partial_file_fills_in_from_its_preset(tmp_path):
    (tmp_path / "c.toml").write_text('preset = "quick"\nlearning_rate = 0.001\n')
    cfg = RunConfig.load(tmp_path / "c.toml")
    assert cfg.learning_rate == 0.001
    assert cfg.lora_r == PRESETS["quick"].lora_r


@pytest.mark.parametrize(
    "changes",
    [
        {"lr_schedule": "step"},
        {"precision": "fp8"},
        {"lora_r": 0},
        {"epochs": 0, "max_steps": 0},
        {"backend": "axolotl"},
        {"packing": True},
        {"report_to": "tensorboard"},
        {"micro_batch_size": -1},
    ],
    ids=["schedule", "precision", "rank", "length", "backend", "packing-ours", "tracker", "micro"],
)
def test_invalid_values_are_rejected(changes):
    with pytest.raises(ValueError):
        RunConfig().with_(**changes)


def test_unknown_fields_are_rejected():
    with pytest.raises(ValueError, match="unknown RunConfig field"):
        RunConfig.from_dict({"learning_rat": 1e-3})


def test_training_key_covers_training_fields_only():
    cfg = RunConfig()
    assert cfg.training_key() == RunConfig().training_key()
    assert cfg.with_(learning_rate=1e-3).training_key() != cfg.training_key()
    assert cfg.with_(data_hash="abc").training_key() != cfg.training_key()
    assert cfg.with_(max_new_tokens=5, device="cpu").training_key() == cfg.training_key()
    # where a batch is split, and where runs are reported, change nothing that is learned
    assert cfg.with_(micro_batch_size=2, report_to="mlflow").training_key() == cfg.training_key()
    assert cfg.with_(backend="trl").training_key() != cfg.training_key()


def test_fields_added_later_keep_the_keys_of_older_configs():
    import hashlib
    import json

    from training.config import TRAINING_FIELDS

    cfg = RunConfig()
    old = json.dumps({k: getattr(cfg, k) for k in TRAINING_FIELDS}, sort_keys=True)
    assert cfg.training_key() == hashlib.sha256(old.encode()).hexdigest()[:16]


def test_every_field_has_help_text():
    assert all(RunConfig.help_text().values())


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset"):
        preset("medium")
