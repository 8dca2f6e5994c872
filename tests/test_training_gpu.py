"""GPU training: micro-batches learn what whole batches learn (CPU, always run), the
micro-batch size taken from free memory, and, marked ``cuda`` and skipped without a CUDA GPU,
a tiny model that trains and evaluates on ``cuda`` with the metrics it gets on CPU, in fp32,
bf16 and fp16 autocast."""

from __future__ import annotations

import pytest
import torch

from training.compare import run_comparison
from training.config import RunConfig
from training.model import pick_device, pick_dtype
from training.tiny import tiny_loader
from training.trainer import micro_batch_for, train

CONVS = [
    [
        {"role": "user", "content": f"How many seats in plan {i}?" + " please" * (i % 5)},
        {"role": "assistant", "content": f"Plan {i} has {i + 2} seats."},
    ]
    for i in range(24)
]
EVAL = [
    {
        "id": f"e{i}",
        "messages": [{"role": "user", "content": f"Seats in plan {i}, please?"}],
        "reference": f"Plan {i} has {i + 2} seats.",
    }
    for i in range(30, 38)
]
CFG = RunConfig(
    device="cpu",
    precision="fp32",
    max_steps=6,
    batch_size=8,
    learning_rate=1e-2,
    lora_r=4,
    lora_alpha=8,
    checkpoint_every=50,
    max_new_tokens=6,
    gen_batch_size=4,
    n_bootstrap=200,
)
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def device_loader(config: RunConfig):
    """The tiny model on the config's device, in the config's precision (as load_base does)."""
    model, tok = tiny_loader(config)
    device = pick_device(config.device)
    return model.to(device=device, dtype=pick_dtype(config.precision, device)), tok


@pytest.mark.parametrize(
    "free,per_row,batch,expected",
    [(10_000, 1_000, 8, 7), (10_000, 1_000, 4, 4), (500, 1_000, 8, 1), (10_000, 0, 8, 8)],
    ids=["fits-seven", "whole-batch", "at-least-one", "no-measure"],
)
def test_micro_batch_from_free_memory(free, per_row, batch, expected):
    assert micro_batch_for(free, per_row, batch) == expected


def test_micro_batches_learn_what_whole_batches_learn(tmp_path):
    cfg = CFG.with_(max_steps=3)
    whole = train(CONVS, cfg, tmp_path / "whole", model_loader=tiny_loader)
    split = train(CONVS, cfg.with_(micro_batch_size=3), tmp_path / "split", model_loader=tiny_loader)
    assert split.metrics["micro_batch_size"] == 3 and whole.metrics["micro_batch_size"] == 8
    assert split.metrics["training_key"] == whole.metrics["training_key"]
    assert split.metrics["losses"] == pytest.approx(whole.metrics["losses"], rel=1e-5)


def test_fp16_is_refused_on_cpu():
    with pytest.raises(ValueError, match="CUDA"):
        pick_dtype("fp16", "cpu")


def compare_on(device: str, precision: str, out):
    cfg = CFG.with_(device=device, precision=precision)
    arms = {"curated": CONVS[:16], "baseline": CONVS}
    return run_comparison(arms, EVAL, cfg, out, encoder=None, model_loader=device_loader)


@pytest.mark.cuda
@cuda
def test_tiny_model_trains_and_evaluates_on_cuda_as_on_cpu(tmp_path):
    cpu = compare_on("cpu", "fp32", tmp_path / "cpu")
    gpu = compare_on("cuda", "fp32", tmp_path / "gpu")
    for arm in ("curated", "baseline", "random"):
        assert gpu["training"][arm]["device"].startswith("cuda")
        assert gpu["loss_curves"][arm] == pytest.approx(cpu["loss_curves"][arm], rel=1e-3)
    for arm in ("base", "curated", "baseline", "random"):
        assert gpu["arms"][arm]["ref_nll"] == pytest.approx(cpu["arms"][arm]["ref_nll"], rel=1e-3)
    assert gpu["difference"] == pytest.approx(cpu["difference"], abs=1e-3)


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_on_cuda_stays_close_to_fp32(tmp_path, precision):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    ref = train(CONVS, CFG.with_(device="cuda"), tmp_path / "fp32", model_loader=device_loader)
    amp = train(CONVS, CFG.with_(device="cuda", precision=precision), tmp_path / precision, model_loader=device_loader)
    assert amp.metrics["dtype"] == {"bf16": "bfloat16", "fp16": "float16"}[precision]
    assert amp.metrics["losses"] == pytest.approx(ref.metrics["losses"], rel=3e-2)


@pytest.mark.cuda
@cuda
def test_micro_batch_is_measured_on_cuda(tmp_path):
    res = train(CONVS, CFG.with_(device="cuda"), tmp_path / "run", model_loader=device_loader)
    assert res.metrics["micro_batch_size"] == CFG.batch_size  # a tiny model fits whole


def test_cuda_forward_passes_leave_out_cudnn_attention_and_cpu_ones_are_untouched():
    from training.model import attention_kernels

    before = (torch.backends.cuda.cudnn_sdp_enabled(), torch.backends.cuda.flash_sdp_enabled())
    with attention_kernels(torch.device("cuda", 0)):
        assert not torch.backends.cuda.cudnn_sdp_enabled()
        assert torch.backends.cuda.flash_sdp_enabled() and torch.backends.cuda.mem_efficient_sdp_enabled()
        assert torch.backends.cuda.math_sdp_enabled()
    assert (torch.backends.cuda.cudnn_sdp_enabled(), torch.backends.cuda.flash_sdp_enabled()) == before
    with attention_kernels(torch.device("cpu")):
        assert (torch.backends.cuda.cudnn_sdp_enabled(), torch.backends.cuda.flash_sdp_enabled()) == before
