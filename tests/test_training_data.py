"""Chat template rendering, label masking, batching (tiny character tokenizer, no model)."""

from __future__ import annotations

import pytest

from training.data import (
    IGNORE,
    collate,
    conversations_hash,
    encode,
    encode_all,
    encode_prompt,
    length_grouped_batches,
    segments,
)
from training.tiny import tiny_tokenizer

SYS = {"role": "system", "content": "Be brief."}
MULTI = [
    SYS,
    {"role": "user", "content": "Hi ¿qué?"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "More"},
    {"role": "assistant", "content": "Sure."},
]


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


def labelled_text(tok, enc) -> str:
    return tok.decode([t for t, lab in zip(enc.input_ids, enc.labels) if lab != IGNORE])


@pytest.mark.parametrize(
    "conv, last_only, expected",
    [
        (MULTI, False, "Hello!<|im_end|>Sure.<|im_end|>"),
        (MULTI, True, "Sure.<|im_end|>"),
        (MULTI[1:3], False, "Hello!<|im_end|>"),
        (MULTI[:2], False, ""),  # prompt only: nothing to learn
    ],
    ids=["multi-turn", "last-only", "single-turn", "prompt-only"],
)
def test_only_assistant_answers_and_end_of_turn_have_labels(tok, conv, last_only, expected):
    enc = encode(tok, conv, 4096, last_only=last_only)
    assert labelled_text(tok, enc) == expected
    assert tok.decode(enc.input_ids) == tok.apply_chat_template(conv, tokenize=False)
    assert len(enc.input_ids) == len(enc.labels)


def test_labels_equal_input_ids_where_set(tok):
    enc = encode(tok, MULTI, 4096)
    assert all(lab in (IGNORE, tid) for tid, lab in zip(enc.input_ids, enc.labels))
    # system and user text never carries a label
    prompt_len = len(encode_prompt(tok, MULTI[:2]))
    assert all(lab == IGNORE for lab in enc.labels[:prompt_len])


def test_segments_concatenate_to_the_rendered_chat(tok):
    pieces = segments(tok, MULTI)
    assert "".join(t for t, _ in pieces) == tok.apply_chat_template(MULTI, tokenize=False)
    assert [t for t, lab in pieces if lab] == ["Hello!<|im_end|>", "Sure.<|im_end|>"]


def test_prompt_encoding_is_a_prefix_of_training_encoding(tok):
    """Training sees the same token boundaries as generation does after the prompt."""
    enc = encode(tok, MULTI[:3], 4096)
    prompt = encode_prompt(tok, MULTI[:2])
    assert enc.input_ids[: len(prompt)] == prompt
    assert enc.labels[len(prompt)] != IGNORE


def test_truncation_cuts_the_end_and_drops_label_free_rows(tok):
    long_prompt = [{"role": "user", "content": "x" * 200}, {"role": "assistant", "content": "ok"}]
    short = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    kept, stats = encode_all(tok, [long_prompt, short], max_len=64)
    assert stats == {"n_examples": 1, "n_dropped": 1, "n_truncated": 1}
    assert labelled_text(tok, kept[0]) == "hello<|im_end|>"


def test_length_grouped_batches_are_a_seeded_permutation():
    lengths = [(i * 37) % 101 + 5 for i in range(203)]
    a = length_grouped_batches(lengths, 8, seed=3, epoch=0)
    assert a == length_grouped_batches(lengths, 8, seed=3, epoch=0)
    assert a != length_grouped_batches(lengths, 8, seed=3, epoch=1)
    assert a != length_grouped_batches(lengths, 8, seed=4, epoch=0)
    flat = sorted(i for b in a for i in b)
    assert flat == list(range(len(lengths)))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in a)
    assert padded / sum(lengths) < 1.1  # grouping keeps padding small


@pytest.mark.parametrize("left", [False, True], ids=["right-pad", "left-pad"])
def test_collate_pads_with_ignored_labels(tok, left):
    items = [encode(tok, MULTI[1:3], 4096), encode(tok, MULTI, 4096)]
    batch = collate(items, tok.pad_token_id, left_pad=left)
    short = len(items[0].input_ids)
    width = batch["input_ids"].shape[1]
    assert width == len(items[1].input_ids)
    assert int(batch["attention_mask"][0].sum()) == short
    row = batch["labels"][0].tolist()
    pad_part = row[: width - short] if left else row[short:]
    assert set(pad_part) == {IGNORE}


def test_conversations_hash_is_content_and_order_sensitive():
    a, b = MULTI[1:3], MULTI[3:5]
    assert conversations_hash([a, b]) == conversations_hash([list(a), list(b)])
    assert conversations_hash([a, b]) != conversations_hash([b, a])
