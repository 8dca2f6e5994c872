"""What a person's name and password must be: one policy for the command line and the app.

A name is 1-64 letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit (so
it can never carry markup, a path or a quote). A password is 12-1024 characters, not on the
list of common passwords shipped as ``common_passwords.txt`` (also after case, look-alike
characters such as ``p@ssw0rd`` and the digits and punctuation around a word are taken
away), not one character or a short pattern repeated, and not the person's name.
``CURATE_PASSWORD_DENYLIST`` names an extra file (one password a line), e.g. a list of
breached passwords a deployment has. Not handled: checking an online breach service (the
workbench makes no network calls).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing cost does not grow with length, but a form should not take megabytes
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "!": "i",
        "|": "i",
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
    }
)
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a person's name (None when it can)."""
    if not name:
        return "a name is needed"
    if not NAME_RE.fullmatch(name):
        return "a name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def password_problems(password: str, name: str = "") -> list[str]:
    """Why ``password`` is too weak for ``name`` (empty when it is fine)."""
    if len(password) < MIN_LENGTH:
        return [f"use at least {MIN_LENGTH} characters (a few words make a good password)"]
    if len(password) > MAX_LENGTH:
        return [f"use at most {MAX_LENGTH} characters"]
    low = password.casefold()
    out = []
    if _common(low):
        out.append("this password is on the list of common passwords; choose another")
    if len(set(low)) < 4 or _repeats(low):
        out.append("this password is one character or a short pattern repeated")
    if name and len(name) >= 3 and name.casefold() in low:
        out.append("a password must not contain the person's name")
    return out


def _common(low: str) -> bool:
    words = denylist()
    compact = re.sub(r"[\s._-]+", "", low)
    core = _EDGES.sub("", compact)
    return any(
        v in words
        for v in {
            low,
            compact,
            core,
            compact.translate(_LEET),
            core.translate(_LEET),
            _EDGES.sub("", compact.translate(_LEET)),
        }
        if v
    )


def _repeats(low: str) -> bool:
    """A unit of at most 4 characters repeated ("abcabcabcabc", "12121212...")."""
    return any(len(low) % n == 0 and low == low[:n] * (len(low) // n) for n in range(1, 5))


@functools.cache
def denylist() -> frozenset[str]:
    """The shipped common passwords, plus the file ``CURATE_PASSWORD_DENYLIST`` names."""
    paths = [Path(__file__).with_name("common_passwords.txt")]
    extra = os.environ.get("CURATE_PASSWORD_DENYLIST")
    if extra:
        paths.append(Path(extra))
    words: set[str] = set()
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as fh:
            words.update(line.strip().casefold() for line in fh if line.strip() and not line.startswith("#"))
    return frozenset(words)
