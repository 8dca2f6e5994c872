"""Conversations to token ids with labels, and batches that waste little on padding.

Labels: only assistant answers carry labels, each including the end-of-turn token, so the
model learns both the answer and when to stop. The text is rendered with the tokenizer's
chat template and cut into segments at the places where the template's generation prompt
ends and each assistant turn ends; each segment is tokenized on its own. That is exactly how
a prompt is tokenized at inference (up to the generation prompt), so training and generation
see the same token boundaries.

Batching: length-grouped. Conversations are shuffled by the seed, cut into mega-batches of
``batch_size * GROUP`` items, sorted by length inside each, split into batches, and the batch
order is shuffled again. Every conversation keeps its own row (no packing), so nothing attends
across examples, and padding is limited to the small length spread inside a batch.

Not handled: chat templates whose rendering of a prefix of the conversation is not a prefix
of the full rendering (e.g. templates that drop earlier reasoning); they raise ValueError.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Conversation = list[dict[str, str]]
IGNORE = -100
GROUP = 16  # batches per length-sorted mega-batch


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False

    @property
    def n_labels(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_conversations(path: str | Path) -> list[Conversation]:
    """Conversations from a JSONL of ``{"messages": [...]}`` rows (or bare message lists)."""
    rows = read_jsonl(path)
    return [row["messages"] if isinstance(row, dict) else row for row in rows]


def conversations_hash(conversations: Iterable[Conversation]) -> str:
    """Order-sensitive content hash of a training set."""
    h = hashlib.sha256()
    for conv in conversations:
        h.update(json.dumps([[m["role"], m["content"]] for m in conv], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def _render(tokenizer: Any, messages: Conversation, generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)


def segments(tokenizer: Any, conv: Conversation, last_only: bool = False) -> list[tuple[str, bool]]:
    """The rendered conversation as (text, is_label) pieces, concatenating to the full text."""
    full = _render(tokenizer, conv, False)
    eos = tokenizer.eos_token or ""
    pieces: list[tuple[str, bool]] = []
    pos = 0
    turns = [i for i, m in enumerate(conv) if m["role"] == "assistant"]
    if last_only:
        turns = turns[-1:]
    for i in turns:
        prompt, upto = _render(tokenizer, conv[:i], True), _render(tokenizer, conv[: i + 1], False)
        start, end = len(prompt), len(upto)
        if not (upto.startswith(prompt) and full.startswith(upto)) or start < pos:
            raise ValueError("chat template is not prefix-stable; cannot locate assistant turns")
        turn = full[start:end]
        cut = turn.rfind(eos) + len(eos) if eos and eos in turn else len(turn.rstrip())
        pieces += [(full[pos:start], False), (turn[:cut], True)]
        pos = start + cut
    pieces.append((full[pos:], False))
    return [(text, lab) for text, lab in pieces if text]


def encode(tokenizer: Any, conv: Conversation, max_len: int, last_only: bool = False) -> Encoded:
    """Token ids and labels (IGNORE outside assistant answers), cut at ``max_len`` tokens."""
    ids: list[int] = []
    labels: list[int] = []
    for text, is_label in segments(tokenizer, conv, last_only):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        labels += piece if is_label else [IGNORE] * len(piece)
    truncated = len(ids) > max_len
    return Encoded(ids[:max_len], labels[:max_len], truncated)


def encode_prompt(tokenizer: Any, messages: Conversation) -> list[int]:
    """Token ids of a prompt up to and including the assistant generation prompt."""
    return tokenizer(_render(tokenizer, messages, True), add_special_tokens=False)["input_ids"]


def encode_all(tokenizer: Any, convs: Sequence[Conversation], max_len: int) -> tuple[list[Encoded], dict[str, int]]:
    """Encode a training set; drops conversations left without any label after the cut."""
    kept, dropped, truncated = [], 0, 0
    for conv in convs:
        enc = encode(tokenizer, conv, max_len)
        truncated += enc.truncated
        if enc.n_labels == 0:
            dropped += 1
            continue
        kept.append(enc)
    return kept, {"n_examples": len(kept), "n_dropped": dropped, "n_truncated": truncated}


def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Batches of indices for one epoch; a pure function of (lengths, batch_size, seed, epoch)."""
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mega = batch_size * GROUP
    batches: list[list[int]] = []
    for m in range(0, len(order), mega):
        chunk = sorted(order[m : m + mega], key=lambda i: -lengths[i])
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(items: Sequence[Encoded], pad_id: int, left_pad: bool = False) -> dict[str, Any]:
    """Pad to the longest item: input_ids, attention_mask, labels (IGNORE on padding)."""
    import torch

    width = max(len(e.input_ids) for e in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    for r, e in enumerate(items):
        n = len(e.input_ids)
        sl = slice(width - n, width) if left_pad else slice(0, n)
        ids[r, sl] = torch.tensor(e.input_ids)
        labels[r, sl] = torch.tensor(e.labels)
        mask[r, sl] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
