"""Arms and eval sets that do not cheat: random control, grouped held-out split, leakage check.

- ``random_control``: a seeded random subset of the baseline of the curated arm's size, so a
  "curated beats baseline" result can be told apart from "less data beats more data".
- ``split_eval``: hold out whole duplicate groups (ids from the caller's duplicate findings),
  so no near-copy of an eval prompt stays in training.
- ``check_leakage``: drop eval prompts whose normalized text equals, or whose character
  5-gram Jaccard similarity reaches a threshold with, any user turn of any arm's training data.
  Exact over all pairs, with a size filter (Jaccard >= t needs |A|/|B| >= t).
"""

from __future__ import annotations

import bisect
import random
import re
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from training.data import Conversation


def random_control(baseline: Sequence[Conversation], size: int, seed: int) -> list[Conversation]:
    """``size`` conversations drawn from ``baseline`` without replacement, in baseline order."""
    rows = sorted(random.Random(f"control:{seed}").sample(range(len(baseline)), min(size, len(baseline))))
    return [baseline[i] for i in rows]


def split_eval(
    conversations: Sequence[Conversation],
    group_ids: Sequence[Hashable | None],
    frac: float = 0.1,
    seed: int = 0,
) -> tuple[list[Conversation], list[dict[str, Any]]]:
    """Hold out ``frac`` of the duplicate groups (None = a group of its own).

    Returns the training conversations (no member of a held-out group) and one eval item per
    held-out group: its first conversation ending in an answer, split into prompt + reference.
    """
    if len(group_ids) != len(conversations):
        raise ValueError("group_ids must align with conversations")
    groups: dict[Hashable, list[int]] = {}
    for i, g in enumerate(group_ids):
        groups.setdefault(("row", i) if g is None else ("group", g), []).append(i)
    usable = [k for k, rows in groups.items() if any(_last_answer(conversations[i]) is not None for i in rows)]
    usable.sort(key=repr)
    random.Random(f"split:{seed}").shuffle(usable)
    held = set(usable[: round(frac * len(usable))])
    train = [c for k, rows in groups.items() if k not in held for c in (conversations[i] for i in rows)]
    items = []
    for k in sorted(held, key=lambda key: groups[key][0]):
        i = next(i for i in groups[k] if _last_answer(conversations[i]) is not None)
        cut = _last_answer(conversations[i])
        items.append(
            {
                "id": f"heldout-{i}",
                "row": i,
                "messages": list(conversations[i][:cut]),
                "reference": conversations[i][cut]["content"],
                "category": "heldout",
            }
        )
    train_order = {id(c): n for n, c in enumerate(conversations)}
    train.sort(key=lambda c: train_order[id(c)])
    return train, items


def _last_answer(conv: Conversation) -> int | None:
    idx = [i for i, m in enumerate(conv) if m["role"] == "assistant" and i > 0]
    return idx[-1] if idx else None


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return re.sub(r"\s+", " ", text).strip()


def char_grams(text: str, n: int = 5) -> frozenset[str]:
    return frozenset(text[i : i + n] for i in range(max(1, len(text) - n + 1)))


def check_leakage(
    eval_items: Sequence[dict[str, Any]],
    arms: Mapping[str, Sequence[Conversation]],
    threshold: float = 0.8,
    n: int = 5,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Eval items with leaked prompts removed, and a report of what was dropped and why."""
    texts: dict[str, set[str]] = {}  # normalized training user text -> arms it occurs in
    for arm, convs in arms.items():
        for conv in convs:
            users = [m["content"] for m in conv if m["role"] == "user"]
            for t in users + ([" ".join(users)] if len(users) > 1 else []):
                texts.setdefault(normalize(t), set()).add(arm)
    pool = sorted(((len(g), t, g) for t in texts if (g := char_grams(t, n))), key=lambda x: x[0])
    sizes = [p[0] for p in pool]
    kept, dropped = [], []
    for item in eval_items:
        prompt = normalize(" ".join(m["content"] for m in item["messages"] if m["role"] == "user"))
        if prompt in texts:
            dropped.append(
                {
                    "id": item.get("id"),
                    "reason": "exact",
                    "jaccard": 1.0,
                    "arms": sorted(texts[prompt]),
                    "train_prompt": prompt[:200],
                }
            )
            continue
        g = char_grams(prompt, n)
        lo, hi = (
            bisect.bisect_left(sizes, threshold * len(g)),
            bisect.bisect_right(sizes, len(g) / threshold),
        )
        best, match = 0.0, ""
        for _, t, tg in pool[lo:hi]:
            inter = len(g & tg)
            jac = inter / (len(g) + len(tg) - inter)
            if jac > best:
                best, match = jac, t
        if best >= threshold:
            dropped.append(
                {
                    "id": item.get("id"),
                    "reason": f"near-copy (char-{n}-gram Jaccard {best:.2f})",
                    "jaccard": round(best, 4),
                    "arms": sorted(texts[match]),
                    "train_prompt": match[:200],
                }
            )
        else:
            kept.append(item)
    report = {
        "n_checked": len(eval_items),
        "n_leaked": len(dropped),
        "n_exact": sum(d["reason"] == "exact" for d in dropped),
        "n_near": sum(d["reason"] != "exact" for d in dropped),
        "threshold": threshold,
        "ngram": n,
        "dropped": dropped,
    }
    return kept, report
