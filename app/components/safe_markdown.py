"""A small, safe subset of markdown for untrusted example text.

The text is escaped first (every character HTML or Streamlit could interpret becomes an
entity, as in ``text.safe_html``); only then are a few escaped markers turned into tags this
module emits: bold, italics, inline code, fenced code blocks, bulleted and numbered lists,
headings shown as bold lines, line breaks. Nothing in the data can produce a tag or an
attribute: the escaped text holds no ``<``, ``>`` or quote, and every tag in the output is
one of the fixed strings below.

Not handled, on purpose: links, images, raw HTML, tables, block quotes, real headings,
Streamlit directives (``:red[...]``) and formulas (``$...$``); they stay visible as text.

Word differences: callers may wrap changed text in ``MARK_OPEN``/``MARK_CLOSE`` (characters
from the Private Use Area, removed from the input first). They pass escaping untouched and
are turned into ``<mark>`` around text segments only, so a highlight never crosses a tag.
"""

from __future__ import annotations

import re

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
_CODE = "\ue002"  # stands for an inline code span while emphasis is parsed
_PRIVATE = re.compile("[\ue000-\ue002]")
_ACTIVE = re.compile(r"[^A-Za-z0-9\s\u00a0-\uffff]|[\u2028\u2029]")
_SENT = f"[{MARK_OPEN}{MARK_CLOSE}]"

STAR, UNDER, TICK = "&#42;", "&#95;", "&#96;"
_FENCE = re.compile(rf"^(?:[ \t]|{_SENT})*(?:{TICK}){{3,}}")
_BULLET = re.compile(rf"^((?:[ \t]|{_SENT})*)(?:&#45;|{STAR}|&#43;)((?:[ \t]|{_SENT})+)(.*)$")
_NUMBER = re.compile(rf"^((?:[ \t]|{_SENT})*)(\d{{1,9}})(?:&#46;|&#41;)((?:[ \t]|{_SENT})+)(.*)$")
_HEADING = re.compile(
    rf"^((?:[ \t]|{_SENT}){{0,3}})(?:&#35;){{1,6}}((?:[ \t]|{_SENT})+)(.*?)(?:[ \t]+(?:&#35;)+)?[ \t]*$"
)
_TICKS = re.compile(rf"(?:{TICK})+")
_DELIM = re.compile(rf"(?:{STAR})+|(?:{UNDER})+")
_TAG = re.compile(rf"(<[^>]*>|{_SENT})")
_SPACE = re.compile(r"\s")
_ALNUM = re.compile(r"\w")


def unmark(text: str) -> str:
    """``text`` without the characters this module reserves for highlights."""
    return _PRIVATE.sub("\ufffd", str(text))


def escape(text: str) -> str:
    """``text`` with every active character an entity (newlines and highlight marks kept)."""
    return _ACTIVE.sub(lambda m: f"&#{ord(m.group())};", text.replace("\r\n", "\n").replace("\r", "\n"))


def render(text: str, marked: bool = False) -> str:
    """``text`` (untrusted) as HTML in the safe subset. With ``marked``, ``MARK_OPEN`` and
    ``MARK_CLOSE`` in ``text`` are the caller's highlights (see ``text.diff_html``)."""
    return highlight(_blocks(escape(str(text) if marked else unmark(text)).split("\n")))


def _blocks(lines: list[str]) -> str:
    """Code fences, lists and headings line by line; other lines joined by ``<br>``."""
    out: list[str] = []
    lists: list[tuple[str, int]] = []  # open lists: (tag, indent)
    prev = "start"  # what the last emitted line was: start | text | block
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            end = next((j for j in range(i + 1, len(lines)) if _FENCE.match(lines[j])), len(lines))
            out.extend(_close_lists(lists))
            # the fence lines go, but highlight marks on them must not be lost
            opening = "".join(re.findall(_SENT, line))
            closing = "".join(re.findall(_SENT, lines[end])) if end < len(lines) else ""
            body = "\n".join(lines[i + 1 : end])
            out.append(f'{opening}<pre class="cw-code"><code>{body}</code></pre>{closing}')
            prev, i = "block", end + 1
            continue
        item = _BULLET.match(line) or _NUMBER.match(line)
        if item:
            tag = "ul" if item.re is _BULLET else "ol"
            lead, content = item.group(1), item.groups()[-1]
            indent = len(re.sub(_SENT, "", lead).expandtabs(4))
            while lists and (indent < lists[-1][1] or (indent == lists[-1][1] and tag != lists[-1][0])):
                out.append(f"</li></{lists.pop()[0]}>")
            if lists and indent == lists[-1][1]:
                out.append("</li>")
            else:
                start = int(item.group(2)) if tag == "ol" else 1
                out.append(f'<{tag} start="{start}">' if start != 1 else f"<{tag}>")
                lists.append((tag, indent))
            sentinels = "".join(re.findall(_SENT, "".join(item.groups()[:-1])))
            out.append(f"<li>{sentinels}{_inline(content)}")
            prev, i = "block", i + 1
            continue
        out.extend(_close_lists(lists))
        heading = _HEADING.match(line)
        if prev == "text":
            out.append("<br>")
        if heading:
            sentinels = "".join(re.findall(_SENT, heading.group(1) + heading.group(2)))
            out.append(f"{sentinels}<strong>{_inline(heading.group(3))}</strong>")
        elif line.strip() or prev != "block":
            out.append(_inline(line))
        prev, i = "text", i + 1
    out.extend(_close_lists(lists))
    return "".join(out)


def _close_lists(lists: list[tuple[str, int]]) -> list[str]:
    closed = [f"</li></{tag}>" for tag, _ in reversed(lists)]
    lists.clear()
    return closed


def _inline(line: str) -> str:
    """Inline code spans first (their content is shown as is), then bold and italics."""
    spans: list[str] = []
    out, pos = [], 0
    runs = list(_TICKS.finditer(line))
    following, seen = [None] * len(runs), {}  # the next run as long as each run closes it
    for k in range(len(runs) - 1, -1, -1):
        following[k] = seen.get(len(runs[k].group()))
        seen[len(runs[k].group())] = k
    k = 0
    while k < len(runs):
        run, close = runs[k], following[k]
        if close is None:
            k += 1
            continue
        out.append(line[pos : run.start()])
        spans.append(f"<code>{line[run.end() : runs[close].start()]}</code>")
        out.append(_CODE)
        pos, k = runs[close].end(), close + 1
    out.append(line[pos:])
    html = _emphasis("".join(out))
    parts = html.split(_CODE)
    return parts[0] + "".join(span + rest for span, rest in zip(spans, parts[1:]))


def _emphasis(line: str) -> str:
    """Pair ``*``/``_`` runs with a stack: a closer matches the nearest opener of its kind and
    openers left between them stay literal, so tags always nest and stray markers show."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # (delimiter, index in out of its placeholder)
    pos = 0
    for m in _DELIM.finditer(line):
        out.append(line[pos : m.start()])
        pos = m.end()
        unit = STAR if m.group().startswith(STAR) else UNDER
        n = len(m.group()) // len(unit)
        before, after = _neighbour(line, m.start(), -1), _neighbour(line, m.end(), 1)
        can_open = bool(after) and not _SPACE.match(after)
        can_close = bool(before) and not _SPACE.match(before)
        if unit == UNDER:  # snake_case stays as it is
            can_open = can_open and not _ALNUM.match(before or " ")
            can_close = can_close and not _ALNUM.match(after or " ")
        if n > 3 or not (can_open or can_close):
            out.append(m.group())
            continue
        # *** opens as ** then *, and closes as * then **
        sizes = [n] if n < 3 else [1, 2] if can_close and _open(stack, unit) is not None else [2, 1]
        for size in sizes:
            delim = unit * size
            opener = _open(stack, delim) if can_close else None
            if opener is not None:
                at = next(k for k in range(len(stack) - 1, -1, -1) if stack[k][1] == opener)
                del stack[at:]
                tag = "strong" if size == 2 else "em"
                out[opener] = f"<{tag}>"
                out.append(f"</{tag}>")
            elif can_open:
                stack.append((delim, len(out)))
                out.append(delim)
            else:
                out.append(delim)
    out.append(line[pos:])
    return "".join(out)


def _open(stack: list[tuple[str, int]], delim: str) -> int | None:
    """Index in the output of the nearest open ``delim``, if any."""
    return next((at for d, at in reversed(stack) if d == delim), None)


def _neighbour(line: str, at: int, step: int) -> str:
    """The character next to a delimiter, looking through highlight marks and entities (an
    entity stands for punctuation, never for a space)."""
    k = at if step > 0 else at - 1
    while 0 <= k < len(line) and line[k] in (MARK_OPEN, MARK_CLOSE):
        k += step
    return line[k] if 0 <= k < len(line) else ""


def highlight(html: str) -> str:
    """Highlight marks to ``<mark>`` around text segments only (never across a tag)."""
    out, on = [], False
    for part in _TAG.split(html):
        if part == MARK_OPEN:
            on = True
        elif part == MARK_CLOSE:
            on = False
        elif on and part and not part.startswith("<") and part.strip():
            out.append(f'<mark class="cw-diff">{part}</mark>')
        else:
            out.append(part)
    return "".join(out)
