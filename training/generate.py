"""Greedy, batched answers to chat prompts, cached on disk.

All arms are answered by ONE loaded base model: a ``PeftModel`` holding every adapter,
switched with ``active_adapter(model, name)`` (``"base"`` disables adapters). Prompts are
sorted by length and left-padded so a batch wastes little, and decoding is greedy so answers
are a function of (weights, prompt, settings). The cache key is exactly that:
(adapter hash or base model id, prompt messages, settings incl. dtype), one JSON line each.

Not handled: sampling (temperature, top-p); stop strings other than the end-of-turn token.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.data import Conversation, encode_prompt
from training.model import attention_kernels

BASE = "base"


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 64
    batch_size: int = 16
    max_prompt_tokens: int = 1024

    def key(self) -> dict[str, Any]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "max_prompt_tokens": self.max_prompt_tokens,
            "greedy": True,
        }


class GenerationCache:
    """An append-only JSONL of {key, answer}; safe to share between runs of a comparison."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._memo: dict[str, str] = {}
        if self.path and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a kill; the answer is simply regenerated
                self._memo[row["key"]] = row["answer"]

    @staticmethod
    def key(model_key: str, messages: Conversation, settings: dict[str, Any]) -> str:
        payload = json.dumps([model_key, messages, settings], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        return self._memo.get(key)

    def put(self, items: dict[str, str]) -> None:
        self._memo.update(items)
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.writelines(json.dumps({"key": k, "answer": a}, ensure_ascii=False) + "\n" for k, a in items.items())


@contextlib.contextmanager
def active_adapter(model: Any, name: str) -> Iterator[Any]:
    """Make ``name`` the active adapter of a PeftModel; ``"base"`` runs with adapters off."""
    if name == BASE:
        if hasattr(model, "disable_adapter"):
            with model.disable_adapter():
                yield model
        else:
            yield model
        return
    model.set_adapter(name)
    yield model


def generate_answers(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Conversation],
    settings: GenerationSettings,
    model_key: str,
    cache: GenerationCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    desc: str = "generate",
) -> list[str]:
    """Greedy answers (special tokens stripped) to each prompt, from cache where possible."""
    import torch
    from tqdm import tqdm

    cache = cache or GenerationCache(None)
    skey = {**settings.key(), "dtype": str(next(model.parameters()).dtype)}
    keys = [cache.key(model_key, list(p), skey) for p in prompts]
    answers: list[str | None] = [cache.get(k) for k in keys]
    todo = [i for i, a in enumerate(answers) if a is None]
    encoded = {i: encode_prompt(tokenizer, prompts[i])[-settings.max_prompt_tokens :] for i in todo}
    todo.sort(key=lambda i: -len(encoded[i]))
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    bar = tqdm(total=len(prompts), initial=len(prompts) - len(todo), desc=desc, unit="ans", mininterval=1.0)
    for b in range(0, len(todo), settings.batch_size):
        idx = todo[b : b + settings.batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, width - len(encoded[i]) :] = torch.tensor(encoded[i])
            mask[r, width - len(encoded[i]) :] = 1
        with torch.inference_mode(), attention_kernels(device):
            out = model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=settings.max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
                eos_token_id=tokenizer.eos_token_id,
            )
        new = {keys[i]: tokenizer.decode(out[r, width:], skip_special_tokens=True).strip() for r, i in enumerate(idx)}
        for i in idx:
            answers[i] = new[keys[i]]
        cache.put(new)
        bar.update(len(idx))
        if progress is not None:
            progress(len(prompts) - len(todo) + b + len(idx), len(prompts))
    bar.close()
    return [a or "" for a in answers]
