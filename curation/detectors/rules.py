"""Named rules: every check that can decide or clear a pair has a stable id.

A rule is an object with an id (``contra.number_mismatch``, ``dup.role_swap``), a one-line
description and a template for the sentence a reviewer reads. When it fires it returns a
``Hit``: the rendered sentence (a ``str``, so reasons read as before) that also carries the
rule's id and the details it found. Code decides on ``hit.rule`` (``fired``), never on how
a sentence starts, so rewording a template changes no finding.

The text checks of ``matching`` (numbers, names, negation, swaps ...) serve two detectors:
in a contradiction they fire it, between two near-identical rows they keep a duplicate
apart. They are registered under both prefixes (``contra.`` and ``dup.``); a ``Hit`` from
them holds the bare check name and the finding's detector adds its prefix (``qualified``).

Findings carry ``evidence.rules``: the ids that decided them, with their details. ``RULES``
lists every id with its description (``curate explain`` and the per-rule benchmark read it).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable

PREFIXES = {"contradiction": "contra", "duplicate": "dup"}


@dataclass(frozen=True)
class Rule:
    """One named check. ``id`` is ``prefix.name`` or, for a shared text check, the bare name."""

    id: str
    description: str
    template: str = ""
    effect: str = "fires"  # fires | clears (for a contradiction: says "not a conflict")

    def hit(self, **detail: Any) -> Hit:
        return Hit(self.template.format(**detail) if self.template else self.description, self.id, detail)


class Hit(str):
    """A rule that fired: reads as its reason sentence, and knows its rule and details."""

    rule: str
    detail: dict

    def __new__(cls, text: str = "", rule: str = "", detail: dict | None = None) -> Hit:
        s = super().__new__(cls, text)
        s.rule, s.detail = rule, dict(detail or {})
        return s

    def __reduce__(self):  # pickled in the pair memo, the journal and the workers' results
        return (_shared_hit, (str(self), self.rule, self.detail))


# One object per distinct hit among those alive. The judgements a scan reads back from its
# memo and from its workers repeat the same few hits ("numbers differ (in order or value)"):
# at 200,000 rows, 1.35M hits held 161k distinct values. Weak values: a hit no judgement
# holds any more leaves the table, so a long-lived process keeps none for nothing.
_HITS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _shared_hit(text: str, rule: str, detail: dict) -> Hit:
    """``Hit(text, rule, detail)``, or the equal one already alive (hits are never changed
    after they are made: ``evidence`` copies their details)."""
    key = (text, rule, repr(detail))
    hit = _HITS.get(key)
    if hit is None:
        _HITS[key] = hit = Hit(text, rule, detail)
    return hit


RULES: dict[str, Rule] = {}
TEXT_CHECKS: dict[str, Rule] = {}


def rule(id: str, description: str, template: str = "", effect: str = "fires") -> Rule:
    """Register a detector's own rule (``id`` with its prefix)."""
    if id in RULES:
        raise ValueError(f"rule {id} is registered twice")
    RULES[id] = r = Rule(id, description, template, effect)
    return r


def text_check(name: str, description: str, template: str = "") -> Rule:
    """Register a text check shared by the contradiction and duplicate detectors."""
    TEXT_CHECKS[name] = r = Rule(name, description, template)
    for prefix in PREFIXES.values():
        rule(f"{prefix}.{name}", description, template, "fires" if prefix == "contra" else "clears")
    return r


def rule_of(hit: Any) -> str:
    """The rule id a reason carries ('' for a plain string, e.g. one read back from JSON)."""
    return getattr(hit, "rule", "")


def fired(hits: Iterable[Any], *names: str) -> bool:
    """True if any hit comes from one of the named rules (bare check names or full ids)."""
    return any(rule_of(h) in names for h in hits)


def qualified(prefix: str, name: str) -> str:
    """A bare text-check name with the detector's prefix; a full id as it is."""
    return name if "." in name else f"{prefix}.{name}"


def evidence(prefix: str, hits: Iterable[Any]) -> list[dict]:
    """``evidence.rules`` entries: one per hit, ``{"id": ..., **details}`` (details JSON-safe)."""
    out, seen = [], set()
    for h in hits:
        if not rule_of(h) or rule_of(h) in seen:
            continue  # one entry per rule (the first hit's details)
        seen.add(rule_of(h))
        detail = {k: (sorted(v) if isinstance(v, (set, frozenset)) else v) for k, v in h.detail.items()}
        out.append({"id": qualified(prefix, h.rule), **detail})
    return out


def ids(entries: Iterable[dict]) -> list[str]:
    return [e["id"] for e in entries]
