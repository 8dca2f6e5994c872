"""Request form: does a request have one right answer (closed) or many (open)?

Only closed requests (a fact, a number, yes/no, a choice, extraction from a given passage)
can be answered in ways that contradict each other. Open ones (brainstorming, creative
writing, "name one of", opinions, rewrites, summaries) have many valid answers, so two
different answers to them are never a contradiction.

The decision is a logistic regression over two feature blocks (below), or a form marker
(``open_form``): Dolly files "give me a title of one of the Harry Potter novels" as a
question with one answer, so no model trained on its categories learns that "one of" or
"name a ..." asks for any member of a set. The markers' held-out effect is measured in
``bench/real_pairs`` (with and without them).

- the request's *form*: hashed words of its instruction (the opening words by position,
  every word, opening bigrams) and a few flags (a context passage, a question mark, digits);
- optionally the MiniLM embedding of the instruction (when the scan embeds with the bundled
  MiniLM the model was trained with; any other encoder gets the form-only model).

Both models are trained by ``bench/train_request_form.py`` on public labelled requests
(Dolly's categories) and measured there on sources they were not trained on. Only the
coefficients ship (``request_form.json``), never rows of the training data.

Not handled: a closed claim inside an open request ("write a poem about Paris, the capital
of France"); multi-turn conversations are judged on their last user turn.
"""

from __future__ import annotations

import json
import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("request_form.json")
BUCKETS = 1024
_WORD = re.compile(r"[a-z0-9']+")


def instruction(request: str) -> tuple[str, bool]:
    """(the instruction of a request, whether it comes with a context passage).

    A request with several paragraphs is an instruction plus a passage (Alpaca's input,
    Dolly's context, a pasted text): the instruction is the first paragraph, or the last when
    the first is the long one (a passage followed by the question)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", request.strip()) if p.strip()]
    if len(parts) < 2:
        return request.strip(), False
    first, last = parts[0], parts[-1]
    return (last if len(first) > 3 * len(last) and len(first) > 200 else first), True


OPEN_FORM = re.compile(
    r"^\W*(please\s+)?(can you\s+|could you\s+)?(write|compose|generate|create|design|draft|brainstorm|suggest|"
    r"propose|come up with|invent|imagine|make up|rewrite|paraphrase|rephrase|summari[sz]e|describe|outline|plan|"
    r"tell me (a|an|some) (story|joke|poem)|give (me )?(some |a few |\d+ )?(ideas|examples|suggestions|tips)|list|"
    r"(name|give( me)?|tell me|mention|provide|pick|recommend) (an? |any |some |a few |several |\d+ |one |two |three |"
    r"four |five )(?!of the (first|last|largest|smallest|only)\b))\b"
    r"|(?<!which )\bone of (the|his|her|their|its|my|your)\b|\b(your|you) (favou?rite|opinion|think|recommend|suggest)\b",
    re.IGNORECASE,
)


def open_form(request: str) -> bool:
    """The instruction asks for one of many valid answers by its form: a creative or
    rewriting verb, "one of", "name a ...", "some ideas", an opinion."""
    return bool(OPEN_FORM.search(instruction(request)[0]))


def form_features(request: str) -> np.ndarray:
    """The hashed form features of one request (a dense vector of ``BUCKETS`` + 4 values)."""
    text, has_context = instruction(request)
    words = _WORD.findall(text.casefold())
    v = np.zeros(BUCKETS + 4, dtype=np.float32)
    tokens = [f"p{k}:{w}" for k, w in enumerate(words[:3])] + [f"w:{w}" for w in set(words)]
    tokens += [f"b:{a}_{b}" for a, b in zip(words[:8], words[1:8])]
    for t in tokens:
        v[zlib.crc32(t.encode()) % BUCKETS] = 1.0
    v[BUCKETS:] = (has_context, text.rstrip().endswith("?"), bool(re.search(r"\d", text)), min(len(words), 60) / 60)
    return v


@lru_cache(maxsize=1)
def _models() -> dict:
    return json.loads(MODEL_FILE.read_text())


def embedding_model_key() -> str:
    """The embedder model key the embedding model was trained with."""
    return _models()["embedding_model_key"]


def instructions(requests: list[str]) -> list[str]:
    """The texts whose embeddings the embedding model reads (see ``instruction``)."""
    return [instruction(r)[0] for r in requests]


def open_probability(requests: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
    """P(open) per request, shifted so that 0.5 is the model's trained threshold (the one that
    keeps 95% of held-out closed requests closed); ``embeddings`` are the MiniLM vectors of
    ``instructions(requests)`` (None: the form-only model)."""
    if not requests:
        return np.zeros(0)
    models = _models()
    x = np.stack([form_features(r) for r in requests])
    name = "form"
    if embeddings is not None:
        x, name = np.hstack([x, np.asarray(embeddings, dtype=np.float32)]), "form+minilm"
    m = models[name]
    t = m["threshold"]
    z = x @ np.asarray(m["coef"], dtype=np.float32) + m["intercept"] - np.log(t / (1 - t))
    return 1 / (1 + np.exp(-z))
