"""Showing untrusted example text: always escaped, differences highlighted.

Every character that HTML or Streamlit's markdown could interpret (``<``, ``&``, ``*``,
``[``, ``:``, ``$`` ...) becomes an HTML entity and newlines become ``<br>``, so neither a
tag nor a markdown image, link, colour directive or formula in the data can render. The
only markup in the output is ours: by default a safe subset of markdown (bold, italics,
code, lists) is drawn from the escaped text (``safe_markdown``); the "Show raw text"
checkbox in the sidebar shows the characters as they are. Word differences come from
``difflib``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import streamlit as st

from app.components import safe_markdown
from curation.schema import Example

_ACTIVE = re.compile(r"[^A-Za-z0-9\s\u00a0-\uffff]|[\u2028\u2029]")
_MD = re.compile(r"[!-/:-@\[-`{-~]")
_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_EXACT_DIFF_TOKENS = 2000
RAW_KEY = "show_raw_text"
_RAW_WIDGET = "show_raw_text_box"

STYLE = """<style>
.cw-card{border:1px solid rgba(128,128,128,.35);border-radius:8px;padding:.6rem .8rem;margin-bottom:.4rem}
.cw-meta{font-size:.8rem;opacity:.7;margin-bottom:.3rem}
.cw-role{font-size:.72rem;text-transform:uppercase;letter-spacing:.05em;opacity:.6}
.cw-text{white-space:normal;overflow-wrap:anywhere;margin-bottom:.35rem}
.cw-answer{border-left:3px solid #4e79a7;padding-left:.5rem}
.cw-text ul,.cw-text ol{margin:.1rem 0 .1rem 1.2rem;padding:0}
.cw-text li{margin:0}
.cw-text code{font-size:.85em;padding:0 .2em;border-radius:3px;background:rgba(128,128,128,.15)}
.cw-text pre.cw-code{white-space:pre-wrap;margin:.25rem 0;padding:.4rem .5rem;border-radius:4px;background:rgba(128,128,128,.12)}
.cw-text pre.cw-code code{padding:0;background:none}
mark.cw-diff{background:#ffd54f;color:#000;border-radius:2px;padding:0 1px}
.cw-rep{color:#2e7d32;font-weight:600}
.cw-state{font-size:.78rem;margin-bottom:.3rem;padding:.1rem .4rem;border-radius:4px;background:rgba(255,193,7,.18)}
</style>"""


def safe_html(text: str) -> str:
    """``text`` as inert HTML: every active character an entity, newlines as <br>."""
    escaped = _ACTIVE.sub(lambda m: f"&#{ord(m.group())};", str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def raw_mode() -> bool:
    """True when the reviewer asked to see example text as raw characters."""
    return bool(st.session_state.get(RAW_KEY, False))


def raw_toggle() -> None:
    """The sidebar checkbox that switches example text between rendered and raw. Its value
    is copied to a plain session key, so it survives pages that do not draw the checkbox."""

    def keep() -> None:
        st.session_state[RAW_KEY] = st.session_state[_RAW_WIDGET]

    st.checkbox(
        "Show raw text",
        value=raw_mode(),
        key=_RAW_WIDGET,
        on_change=keep,
        help="Show example text exactly as written (markdown markers as characters) "
        "instead of rendering bold, italics, code and lists.",
    )


def rich(text: str) -> str:
    """Untrusted ``text`` as HTML: the safe markdown subset, or escaped raw text."""
    return safe_html(safe_markdown.unmark(text)) if raw_mode() else safe_markdown.render(text)


def md(text: object) -> str:
    """``text`` for a Streamlit markdown slot (titles, captions, alerts): every ASCII
    punctuation character backslash-escaped, so links, images, colour directives, emoji
    codes and formulas in the data stay plain text."""
    return _MD.sub(r"\\\g<0>", str(text))


def diff_html(text: str, other: str, rendered: bool | None = None) -> str:
    """``text`` escaped (rendered in the safe markdown subset unless raw text is asked for),
    with the words that are not in ``other`` marked."""
    rendered = not raw_mode() if rendered is None else rendered
    a = _WORDS.findall(safe_markdown.unmark(text))
    b = _WORDS.findall(safe_markdown.unmark(other))
    out = []
    # difflib's junk heuristic blurs word differences in ordinary texts, but without it a
    # long repetitive text takes seconds to compare: keep it off only for texts of normal size
    short = max(len(a), len(b)) <= _EXACT_DIFF_TOKENS
    for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=not short).get_opcodes():
        chunk = "".join(a[i1:i2])
        out.append(
            chunk
            if op == "equal" or not chunk.strip()
            else f"{safe_markdown.MARK_OPEN}{chunk}{safe_markdown.MARK_CLOSE}"
        )
    marked = "".join(out)
    if rendered:
        return safe_markdown.render(marked, marked=True)
    return safe_markdown.highlight(safe_html(marked))


def style() -> None:
    st.html(STYLE)


def card(
    ex: Example,
    title: str = "",
    compare_answer: str | None = None,
    compare_request: str | None = None,
    show_system: bool = False,
    state: str = "",
) -> None:
    """One example as a card: request turns, then the answer (differences against the given
    texts highlighted); ``state`` says what the row has become (kept, dropped... by whom)."""
    meta = [f"row {ex.row}"] + ([f"id {ex.source_id}"] if ex.source_id else [])
    category = ex.record.get("category") if hasattr(ex.record, "get") else None
    if category:
        meta.append(str(category))
    head = f"{safe_html(title)}{' · ' if title else ''}{safe_html(' · '.join(meta))}"
    parts = [f'<div class="cw-card"><div class="cw-meta">{head}</div>']
    if state:
        parts.append(f'<div class="cw-state">{safe_html(state)}</div>')
    request_turns = [t for t in ex.request_turns if show_system or t.role != "system"]
    for i, t in enumerate(request_turns):
        body = (
            diff_html(t.content, compare_request)
            if compare_request is not None and i == len(request_turns) - 1
            else rich(t.content)
        )
        parts.append(f'<div class="cw-role">{safe_html(t.role)}</div><div class="cw-text">{body}</div>')
    if ex.has_answer:
        body = diff_html(ex.answer, compare_answer) if compare_answer is not None else rich(ex.answer)
        parts.append(f'<div class="cw-role">assistant</div><div class="cw-text cw-answer">{body}</div>')
    st.html("".join(parts) + "</div>")


def plain(text: str, label: str = "") -> None:
    """A short untrusted text (a reason, a reference prompt) as inert HTML, never rendered:
    a reason quotes markers ("**Answer:**") that must show as written."""
    prefix = f'<span class="cw-role">{safe_html(label)}</span> ' if label else ""
    st.html(f'<div class="cw-text">{prefix}{safe_html(text)}</div>')


def preview(text: str, n: int = 90) -> str:
    """A one-line preview for tables (tables render text, never markup)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def members_grid(examples: Sequence[Example], per_row: int = 3) -> list[list[Example]]:
    return [list(examples[i : i + per_row]) for i in range(0, len(examples), per_row)]
