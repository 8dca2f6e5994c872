"""Per-scan derived data shared by detectors, memoised in ``ScanContext.cache``.

Requests, answers, their normalised forms and request embeddings are computed once per scan
no matter how many detectors read them. Answer embeddings are computed only for the rows a
detector asks for: most answers never need one (lexical checks settle them), and answers are
the long, expensive texts to embed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from curation.detectors.base import ScanContext
from curation.detectors.boilerplate import strip_answer, strip_request
from curation.detectors.matching import PairJudgement, judge_pair
from curation.detectors.memo import chunk_journal, pair_key, pair_memo, text_key
from curation.detectors.text import normalize
from curation.engine import Lazy, cut_lazily, run_chunks


@dataclass(frozen=True)
class Fields:
    """Column views of the scanned examples (index i = ctx.examples[i])."""

    rows: tuple[int, ...]
    request: tuple[str, ...]
    answer: tuple[str, ...]
    request_norm: tuple[str, ...]
    answer_norm: tuple[str, ...]
    request_core: tuple[str, ...]  # boilerplate wrappers stripped (see ``boilerplate``)
    answer_core: tuple[str, ...]
    request_core_norm: tuple[str, ...]
    answer_core_norm: tuple[str, ...]
    user_turns: tuple[int, ...] = ()  # user turns before the last answer (follow-ups count)
    embedded_request: tuple[str, ...] = ()  # the text whose embedding gives the request cosine

    def same_shape(self, i: int, j: int) -> bool:
        """True when both requests have as many user turns: a follow-up question in a
        conversation is never the same request as a first question, however close the text."""
        return not self.user_turns or self.user_turns[i] == self.user_turns[j]

    def pair(self, i: int, j: int) -> tuple:
        """The arguments ``matching.judge_pair`` takes for positions i and j (cores)."""
        return (
            (self.request_core[i], self.request_core[j]),
            (self.request_core_norm[i], self.request_core_norm[j]),
            (self.answer_core[i], self.answer_core[j]),
            (self.answer_core_norm[i], self.answer_core_norm[j]),
        )

    @cached_property
    def content_keys(self) -> tuple[int, ...]:
        """Per row, a hash of every text a pair judgement reads: the cores it compares, the
        request text its cosine comes from and the whole answer that is embedded. Two rows
        with one core but another wrapper have other cosines, so other keys."""
        emb = self.embedded_request or self.request
        return tuple(
            text_key(*parts)
            for parts in zip(
                self.request_core, self.request_core_norm, self.answer_core, self.answer_core_norm, emb, self.answer
            )
        )

    def pair_id(self, i: int, j: int) -> tuple[int, int]:
        """What a memoised judgement of positions i and j is keyed on (see ``content_keys``)."""
        return self.content_keys[i], self.content_keys[j]

    @cached_property
    def prompt_only(self) -> bool:
        """True when no example has an answer: dedupe on the prompt alone (computed once: a
        prompt-only file has to be read to the end to know, and groups ask per member)."""
        return not any(self.answer)


def _normalized(texts: tuple[str, ...], whole: tuple[str, ...], whole_norm: tuple[str, ...]) -> tuple[str, ...]:
    """``normalize`` of each text, reusing ``whole_norm[k]`` where ``texts[k]`` is ``whole[k]``."""
    return tuple(n if t is w else normalize(t) for t, w, n in zip(texts, whole, whole_norm))


def fields(ctx: ScanContext) -> Fields:
    """The memoised ``Fields`` of the scan's examples."""
    if "fields" not in ctx.cache:
        ex = ctx.examples
        req = tuple(e.request for e in ex)
        ans = tuple(e.answer for e in ex)
        # the system prompt is context, not the question: two rows asking the same thing
        # under different personas ask the same thing (it still counts in exact duplicates)
        rcore = tuple(strip_request(e.user_request or e.request) for e in ex)
        acore = tuple(strip_answer(t) for t in ans)
        req_norm, ans_norm = tuple(normalize(t) for t in req), tuple(normalize(t) for t in ans)
        ctx.cache["fields"] = Fields(
            rows=tuple(e.row for e in ex),
            request=req,
            answer=ans,
            request_norm=req_norm,
            answer_norm=ans_norm,
            request_core=rcore,
            answer_core=acore,
            # most rows have no wrapper and no system prompt: their core is the very text
            # (stripping returns it unchanged), so its normal form is shared, not recomputed
            request_core_norm=_normalized(rcore, req, req_norm),
            answer_core_norm=_normalized(acore, ans, ans_norm),
            user_turns=tuple(sum(t.role == "user" for t in e.request_turns) for e in ex),
            embedded_request=tuple(e.user_request or e.request for e in ex),
        )
    return ctx.cache["fields"]


def _embedder(ctx: ScanContext):
    if ctx.embedder is None:
        raise RuntimeError("this detector needs an embedder: pass one in ScanContext (run_scan does)")
    return ctx.embedder


def _missing(idx: list[int] | np.ndarray, memo: dict[int, object]) -> list[int]:
    """Positions of ``idx`` not yet in ``memo``, sorted. (A set minus ``memo.keys()`` walks
    every key of the memo: 2 ms per call at 50,000 rows, called once per judged pair.)"""
    return sorted({int(i) for i in idx if int(i) not in memo})


def request_embeddings(ctx: ScanContext) -> np.ndarray:
    """Embeddings of every example's user request (system prompt left out; n x d, unit rows)."""
    if "request_emb" not in ctx.cache:
        f = fields(ctx)
        ctx.progress("embed requests", 0, len(f.request))
        ctx.cache["request_emb"] = _embedder(ctx).encode(list(f.embedded_request), progress=ctx.progress)
    return ctx.cache["request_emb"]


def reference_embeddings(ctx: ScanContext) -> np.ndarray:
    """Embeddings of the coverage reference's prompts (their user request)."""
    if "reference_emb" not in ctx.cache:
        texts = [e.user_request or e.request for e in (ctx.reference or ())]
        ctx.cache["reference_emb"] = _embedder(ctx).encode(texts, progress=ctx.progress)
    return ctx.cache["reference_emb"]


def eval_embeddings(ctx: ScanContext) -> np.ndarray:
    """Embeddings of the eval set's prompts (their user request)."""
    if "eval_emb" not in ctx.cache:
        texts = [e.user_request or e.request for e in (ctx.eval_set or ())]
        ctx.cache["eval_emb"] = _embedder(ctx).encode(texts, progress=ctx.progress)
    return ctx.cache["eval_emb"]


def answer_embeddings(ctx: ScanContext, idx: list[int] | np.ndarray) -> dict[int, np.ndarray]:
    """Embeddings of the answers at positions ``idx``; computed once per position per scan."""
    memo: dict[int, np.ndarray] = ctx.cache.setdefault("answer_emb", {})
    todo = _missing(idx, memo)
    if todo:
        f = fields(ctx)
        vecs = _embedder(ctx).encode([f.answer[i] for i in todo], progress=ctx.progress)
        memo.update(zip(todo, vecs))
    return memo


def instruction_embeddings(ctx: ScanContext, idx: list[int] | np.ndarray) -> dict[int, np.ndarray]:
    """Embeddings of the *instruction* of the requests at ``idx`` (a context passage left
    out, see ``request_form.instruction``); computed once per position per scan."""
    from curation.detectors.request_form import instructions

    memo: dict[int, np.ndarray] = ctx.cache.setdefault("instruction_emb", {})
    todo = _missing(idx, memo)
    if todo:
        f = fields(ctx)
        vecs = _embedder(ctx).encode(instructions([f.request_core[i] for i in todo]), progress=ctx.progress)
        memo.update(zip(todo, vecs))
    return memo


def open_requests(ctx: ScanContext, idx: list[int] | np.ndarray) -> dict[int, float]:
    """P(open) of the requests at ``idx`` (see ``request_form``): the form+MiniLM model when
    the scan embeds with the MiniLM it was trained with, else the form-only model."""
    from curation.detectors import request_form as rf

    memo: dict[int, float] = ctx.cache.setdefault("open_probability", {})
    todo = _missing(idx, memo)
    if todo:
        f = fields(ctx)
        emb = None
        if ctx.embedder is not None and getattr(ctx.embedder, "model_key", None) == rf.embedding_model_key():
            vecs = instruction_embeddings(ctx, todo)
            emb = np.stack([vecs[i] for i in todo])
        memo.update(zip(todo, rf.open_probability([f.request_core[i] for i in todo], emb).tolist()))
    return memo


def pair_code(i: int, j: int) -> int:
    """One int for the position pair (i, j), positions below 2**32."""
    return (i << 32) | j


def pair_of(code: int) -> tuple[int, int]:
    """The position pair ``pair_code`` made ``code`` from."""
    return code >> 32, code & 0xFFFFFFFF


def judged_pairs(ctx: ScanContext) -> dict[int, PairJudgement]:
    """Every pair judgement the scan's detectors made, by ``pair_code(i, j)`` (i < j): the
    duplicate detectors and the contradiction detector share them. One int per key, not an
    (i, j) tuple of two: ~80 bytes less per pair, and a 200,000-row scan holds 1.8M."""
    return ctx.cache.setdefault("judged", {})


PAIR_CHUNK = 2048  # pairs per judgement task: what a worker process or a Ray worker judges at once


class JudgeChunk:
    """An engine task: ``judge_pair`` of every pair in a chunk, with fixed thresholds. A
    chunk item is (the pair's texts as ``Fields.pair`` gives them, request cosine, answer
    cosine); the texts travel with the chunk, so a worker needs nothing of the scan."""

    def __init__(self, thresholds: dict) -> None:
        self.thresholds = dict(thresholds)
        self.journal_key = repr(sorted(self.thresholds.items()))

    def __call__(self, chunk: list[tuple], state: object = None) -> list[PairJudgement]:
        return [judge_pair(*texts, req_cos=rc, ans_cos=ac, **self.thresholds) for texts, rc, ac in chunk]


def judge_pairs(ctx: ScanContext, items: Sequence[tuple], thresholds: dict | None = None) -> list[PairJudgement]:
    """``judge_pair`` of every item (see ``JudgeChunk``), in order: where ``run_chunks`` sends
    the chunks (Ray's workers, the local engine's worker processes, or here). Judging is a pure function
    of the texts, cosines and thresholds (``thresholds``: keyword arguments of ``judge_pair``),
    so where it runs changes nothing in the result."""
    task = JudgeChunk(thresholds or {})
    parts = cut_lazily(items, PAIR_CHUNK)  # a chunk's items are made when it is handed out
    out: list = [None] * len(parts)
    done = 0
    for k, res in run_chunks(ctx.engine, task, parts, chunk_journal(ctx)):
        out[k] = res
        done += len(res)
        ctx.progress("judge pairs", done, len(items))
    return [jd for part in out for jd in part]


def lexical_judgements(ctx: ScanContext, pairs: list[tuple[int, int]]) -> list[PairJudgement]:
    """``judge_pair`` of each pair of positions without any cosine (the lexical checks
    alone), memoised across scans: MinHash candidates and prompt-only candidates share it."""
    f = fields(ctx)
    memo = pair_memo(ctx)
    keys = [pair_key(f.pair_id(i, j), "lexical") for i, j in pairs]
    out = [memo.get(key) for key in keys]
    todo = [k for k, jd in enumerate(out) if jd is None]
    for k, jd in zip(todo, judge_pairs(ctx, Lazy(len(todo), lambda t: (f.pair(*pairs[todo[t]]), None, None)))):
        out[k] = jd
        memo.put(keys[k], jd)
    return out
