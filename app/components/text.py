"""Showing untrusted example text: always escaped, differences highlighted.

Every character that HTML or Streamlit's markdown could interpret (``<``, ``&``, ``*``,
``[``, ``:``, ``$`` ...) becomes an HTML entity and newlines become ``<br>``, so neither a
tag nor a markdown image, link, colour directive or formula in the data can render. The
only markup in the output is ours. Word differences come from ``difflib``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import streamlit as st

from curation.schema import Example

_ACTIVE = re.compile(r"[^A-Za-z0-9\s\u00a0-\uffff]|[\u2028\u2029]")
_MD = re.compile(r"[!-/:-@\[-`{-~]")
_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

STYLE = """<style>
.cw-card{border:1px solid rgba(128,128,128,.35);border-radius:8px;padding:.6rem .8rem;margin-bottom:.4rem}
.cw-meta{font-size:.8rem;opacity:.7;margin-bottom:.3rem}
.cw-role{font-size:.72rem;text-transform:uppercase;letter-spacing:.05em;opacity:.6}
.cw-text{white-space:normal;overflow-wrap:anywhere;margin-bottom:.35rem}
.cw-answer{border-left:3px solid #4e79a7;padding-left:.5rem}
mark.cw-diff{background:#ffd54f;color:#000;border-radius:2px;padding:0 1px}
.cw-rep{color:#2e7d32;font-weight:600}
.cw-state{font-size:.78rem;margin-bottom:.3rem;padding:.1rem .4rem;border-radius:4px;background:rgba(255,193,7,.18)}
</style>"""


def safe_html(text: str) -> str:
    """``text`` as inert HTML: every active character an entity, newlines as <br>."""
    escaped = _ACTIVE.sub(lambda m: f"&#{ord(m.group())};", str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def md(text: object) -> str:
    """``text`` for a Streamlit markdown slot (titles, captions, alerts): every ASCII
    punctuation character backslash-escaped, so links, images, colour directives, emoji
    codes and formulas in the data stay plain text."""
    return _MD.sub(r"\\\g<0>", str(text))


def diff_html(text: str, other: str) -> str:
    """``text`` escaped, with the words that are not in ``other`` marked."""
    a, b = _WORDS.findall(str(text)), _WORDS.findall(str(other))
    out = []
    for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        chunk = safe_html("".join(a[i1:i2]))
        out.append(chunk if op == "equal" or not chunk.strip() else f'<mark class="cw-diff">{chunk}</mark>')
    return "".join(out)


def style() -> None:
    st.html(STYLE)


def card(ex: Example, title: str = "", compare_answer: str | None = None, compare_request: str | None = None,
         show_system: bool = False, state: str = "") -> None:
    """One example as a card: request turns, then the answer (differences against the given
    texts highlighted); ``state`` says what the row has become (kept, dropped... by whom)."""
    meta = [f"row {ex.row}"] + ([f"id {ex.source_id}"] if ex.source_id else [])
    category = ex.record.get("category") if hasattr(ex.record, "get") else None
    if category:
        meta.append(str(category))
    head = f'{safe_html(title)}{" · " if title else ""}{safe_html(" · ".join(meta))}'
    parts = [f'<div class="cw-card"><div class="cw-meta">{head}</div>']
    if state:
        parts.append(f'<div class="cw-state">{safe_html(state)}</div>')
    request_turns = [t for t in ex.request_turns if show_system or t.role != "system"]
    for i, t in enumerate(request_turns):
        body = diff_html(t.content, compare_request) if compare_request is not None and i == len(request_turns) - 1 \
            else safe_html(t.content)
        parts.append(f'<div class="cw-role">{safe_html(t.role)}</div><div class="cw-text">{body}</div>')
    if ex.has_answer:
        body = diff_html(ex.answer, compare_answer) if compare_answer is not None else safe_html(ex.answer)
        parts.append(f'<div class="cw-role">assistant</div><div class="cw-text cw-answer">{body}</div>')
    st.html("".join(parts) + "</div>")


def plain(text: str, label: str = "") -> None:
    """A short untrusted text (a reason, a reference prompt) as inert HTML."""
    prefix = f'<span class="cw-role">{safe_html(label)}</span> ' if label else ""
    st.html(f'<div class="cw-text">{prefix}{safe_html(text)}</div>')


def preview(text: str, n: int = 90) -> str:
    """A one-line preview for tables (tables render text, never markup)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def members_grid(examples: Sequence[Example], per_row: int = 3) -> list[list[Example]]:
    return [list(examples[i: i + per_row]) for i in range(0, len(examples), per_row)]
