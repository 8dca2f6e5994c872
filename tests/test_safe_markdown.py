"""Example text rendered in a safe markdown subset: what renders, and what never becomes active.

Every hostile input is checked the same way: the output, parsed as HTML, holds only the
tags and attributes the renderer emits, properly nested, and every other character that
HTML or Streamlit could interpret is an entity.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.components import safe_markdown, text
from app.components.safe_markdown import MARK_CLOSE, MARK_OPEN, render

TAGS = {"strong", "em", "code", "pre", "ul", "ol", "li", "br", "mark"}
ATTRIBUTES = {("class", "cw-code"), ("class", "cw-diff")}


class Checker(HTMLParser):
    """Collects every tag, attribute and text run; fails on mis-nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack, self.tags, self.attrs, self.texts = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.texts.append(data)

    def handle_comment(self, data):
        raise AssertionError(f"comment in output: {data}")

    def handle_decl(self, decl):
        raise AssertionError(f"declaration in output: {decl}")


def check_inert(html: str) -> Checker:
    c = Checker()
    c.feed(html)
    c.close()
    assert not c.stack, f"unclosed {c.stack}"
    assert set(c.tags) <= TAGS, c.tags
    assert all(a in ATTRIBUTES or (a[0] == "start" and a[1].isdigit()) for a in c.attrs), c.attrs
    plain = re.sub(r"&#\d+;", "", "".join(c.texts))
    assert not re.search(r"[^A-Za-z0-9\s\u00a0-\uffff]", plain), plain[:200]
    return c


HOSTILE = {
    "script": "<script>alert('x')</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "link-javascript": "[click me](javascript:alert(1))",
    "image": "![img](http://evil.example/t.png)",
    "autolink": "<http://evil.example> and https://evil.example/a?b=c",
    "reference-link": "[x][1]\n\n[1]: http://evil.example",
    "colour-directive": ":red[alert] :material/home: :smile:",
    "formula": "$$x^2$$ and $y$ and \\(z\\)",
    "raw-html-in-bold": "**<b>bold</b>** _<i onclick=x>it</i>_",
    "html-in-code": "`<script>alert(1)</script>` and ``<img src=x>``",
    "html-in-fence": "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```",
    "entities": "&lt;script&gt; &#60;b&#62; &amp;amp; &quot; &#x3C;",
    "heading-with-html": "# <h1>big</h1>\n## :red[x]",
    "list-with-link": "- [x](javascript:alert(1))\n1. ![a](http://e.x)",
    "nested-unbalanced": "***a** b* **a *b** c* _a __b_ c__ **x `y** z` * * * ****",
    "stray-markers": "** not bold ** a*b*c snake_case_name __init__ ` ``` ",
    "unclosed-fence": "```\n<script>\nno end",
    "private-use": f"a{MARK_OPEN}b{MARK_CLOSE}c\ue002d **e**",
    "line-separators": "a\u2028b\u2029c\r\nd\re",
    "style-tag": "<style>*{display:none}</style><iframe src=x></iframe><!-- c -->",
    "long-stars": "*a " * 20000,
    "long-ticks": "`" * 5000 + "x" + "`" * 4999,
    "long-brackets": "[" * 10000 + "](" * 5000,
    "long-list": "- " * 5000 + "\n" + "1. x\n" * 2000,
    "deep-nesting": "\n".join(" " * (2 * i) + "- item" for i in range(300)),
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_renders_inert(source):
    check_inert(render(source))
    check_inert(text.diff_html(source, "something else entirely", rendered=True))
    check_inert(text.diff_html(source, source[: len(source) // 2], rendered=False))


@pytest.mark.parametrize(
    "source, expected",
    [
        ("**No**, you can't.", "<strong>No</strong>&#44; you can&#39;t&#46;"),
        ("__No__ and *maybe* and _perhaps_", "<strong>No</strong> and <em>maybe</em> and <em>perhaps</em>"),
        ("***both***", "<strong><em>both</em></strong>"),
        ("Run `pip install x` now", "Run <code>pip install x</code> now"),
        ("`**not bold**`", "<code>&#42;&#42;not bold&#42;&#42;</code>"),
        ("```\nprint(1)\n  x\n```\nafter", '<pre class="cw-code"><code>print&#40;1&#41;\n  x</code></pre>after'),
        (
            "- one\n- two\n  - nested\n- three",
            "<ul><li>one</li><li>two<ul><li>nested</li></ul></li><li>three</li></ul>",
        ),
        ("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>"),
        ("3) c\n4) d", '<ol start="3"><li>c</li><li>d</li></ol>'),
        ("Steps:\n1. a\n\nDone.", "Steps&#58;<ol><li>a</li></ol><br>Done&#46;"),
        ("# Title\ntext", "<strong>Title</strong><br>text"),
        ("a\nb\n\nc", "a<br>b<br><br>c"),
        ("snake_case and 2*3*4", "snake&#95;case and 2<em>3</em>4"),
        ("** spaced ** and **unclosed", "&#42;&#42; spaced &#42;&#42; and &#42;&#42;unclosed"),
        ("**a *b** c*", "<strong>a &#42;b</strong> c&#42;"),
        ("---", "&#45;&#45;&#45;"),
        ("> quoted", "&#62; quoted"),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else None,
)
def test_the_safe_subset_renders(source, expected):
    assert render(source) == expected


def test_raw_mode_is_the_old_escaping():
    source = "**No** <b>x</b>\n- item"
    assert text.safe_html(source) == "&#42;&#42;No&#42;&#42; &#60;b&#62;x&#60;&#47;b&#62;<br>&#45; item"
    assert text.diff_html(source, source, rendered=False) == text.safe_html(source)


@pytest.mark.parametrize(
    "source, other, expected",
    [
        (
            "**No**, it is not.",
            "**Yes**, it is not.",
            '<strong><mark class="cw-diff">No</mark></strong>&#44; it is not&#46;',
        ),
        (
            "**Answer:** Pro costs $12.",
            "Pro costs $12.",
            '<strong><mark class="cw-diff">Answer&#58;</mark></strong> Pro costs &#36;12&#46;',
        ),
        ("> Pro costs $12.", "Pro costs $12.", '<mark class="cw-diff">&#62; </mark>Pro costs &#36;12&#46;'),
        ("- a\n- b c", "- a\n- b", '<ul><li>a</li><li>b<mark class="cw-diff"> c</mark></li></ul>'),
        ("a **b c** d", "a b c d", "a <strong>b c</strong> d"),
    ],
    ids=["inside-bold", "label-prefix", "quote-marker", "in-a-list", "markers-only"],
)
def test_differences_are_marked_with_rendering_on(source, other, expected):
    html = text.diff_html(source, other, rendered=True)
    check_inert(html)
    assert html == expected


def test_differences_are_marked_as_before_with_rendering_off():
    assert (
        text.diff_html("**No** way", "**Yes** way", rendered=False)
        == '&#42;&#42;<mark class="cw-diff">No</mark>&#42;&#42; way'
    )


def test_a_highlight_never_crosses_a_tag():
    source = "a **b c** d\n- e f\n- g"
    html = text.diff_html(source, "x", rendered=True)
    check_inert(html)
    assert all("<" not in m for m in re.findall(r'<mark class="cw-diff">(.*?)</mark>', html))


def test_private_use_characters_in_the_data_are_not_highlights():
    html = render(f"x{MARK_OPEN}y{MARK_CLOSE}z")
    assert "<mark" not in html and safe_markdown.unmark(MARK_OPEN) == "\ufffd"
