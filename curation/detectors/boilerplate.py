"""Boilerplate that wraps a request or an answer without changing what it says.

Polite openers ("Sure!", "Question:"), format riders ("Answer concisely.", "(one
paragraph)") and sign-offs ("Let me know if you need more detail.") are stripped before
near-duplicate and contradiction checks, so a wrapped copy compares equal to its original.
The lists are data: extend ``REQUEST_PHRASES`` / ``ANSWER_PHRASES`` (or pass your own to
``Stripper``) for the wrappers of your own data. Only whole phrases at the very start or end
of a text are removed, never words inside it.
"""

from __future__ import annotations

import re

_EDGE = 160  # characters at each end that may hold a wrapper phrase

REQUEST_PHRASES = (
    "question",
    "quick question",
    "task",
    "can you tell me this",
    "tell me",
    "here is my question",
    "i need help with something",
    "i have a question",
    "please answer the following question",
    "answer the following question",
    "can you help me",
    "could you help me",
    "help me out",
    "hi",
    "hello",
    "hey there",
    "hey",
    "please",
    "thanks in advance",
    "thanks",
    "thank you",
    "answer concisely",
    "be concise",
    "please be brief",
    "be brief",
    "briefly",
    "keep it short",
    "respond in plain english",
    "in plain english",
    "one paragraph",
    "in one paragraph",
    "in one sentence",
    "explain briefly",
    "no need for details",
    "if you can",
    "if possible",
)
ANSWER_PHRASES = (
    "sure",
    "of course",
    "certainly",
    "absolutely",
    "here you go",
    "here it is",
    "here is the answer",
    "here's the answer",
    "great question",
    "good question",
    "happy to help",
    "i'd be happy to help",
    "let me know if you need more detail",
    "let me know if you need more details",
    "let me know if you have any other questions",
    "hope this helps",
    "i hope this helps",
    "hope that helps",
    "okay",
    "ok",
)


# Field labels that open a text only as "Label:" ("**Answer:** ...", "Response: ..."); without
# the colon they are ordinary words ("Answer the call ...") and stay.
REQUEST_LABELS = ("question", "q", "instruction", "input", "prompt", "user")
ANSWER_LABELS = ("answer", "a", "response", "reply", "output", "assistant")


class Stripper:
    """Removes any of ``phrases`` (case-insensitive, punctuation-tolerant) from both ends,
    and any of ``labels`` followed by a colon from the start."""

    def __init__(self, phrases: tuple[str, ...], labels: tuple[str, ...] = ()) -> None:
        alts = "|".join(r"\W+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True))
        label = "|".join(map(re.escape, sorted(labels, key=len, reverse=True)))
        opener = rf"(?:{alts})\b" + (rf"|(?:{label})\s*\**\s*[:：]" if labels else "")
        self._head = re.compile(rf"^[\W_]*(?:{opener})[\W_]*", re.IGNORECASE)
        self._tail = re.compile(rf"[\W_]*\b(?:{alts})[\W_]*$", re.IGNORECASE)

    def __call__(self, text: str) -> str:
        for _ in range(4):  # a few layers: "Quick question - ... Thanks in advance!"
            head = self._head.sub("", text[:_EDGE]) + text[_EDGE:]
            # only the last characters can hold a tail phrase: never scan a long text
            cut = max(0, len(head) - _EDGE)
            new = head[:cut] + self._tail.sub("", head[cut:])
            if new == text or not new.strip():
                break
            text = new
        return text.strip()


strip_request = Stripper(REQUEST_PHRASES, REQUEST_LABELS)
strip_answer = Stripper(ANSWER_PHRASES, ANSWER_LABELS)
