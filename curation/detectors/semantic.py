"""Semantic duplicates: embedding neighbours of the request, then a field-aware check.

Candidates are request pairs above ``candidate_threshold`` cosine (exact matrix search for
small sets, a deterministic inverted-file search for large ones: see ``neighbors``). Each
candidate is judged on both fields: the answers are compared lexically first, and only
answers the lexical check cannot settle are embedded (answers are long and expensive).

Prompt-only data (no answers) is deduplicated on the prompt: a pair is a paraphrase when the
two are each other's nearest neighbour with a high cosine (a shared topic gives many similar
questions, a duplicate is the closest one) and nothing hard differs (see ``_judge_prompts``);
an optional duplicate-question cross-encoder (``paraphrase_judge_model``) can decide instead.
Every judged pair is left in ``ctx.cache`` for the contradiction detector.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
from pydantic import Field, field_validator

from curation.detectors import text as tx
from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.features import (
    answer_embeddings,
    fields,
    judge_pairs,
    judged_pairs,
    lexical_judgements,
    pair_code,
    request_embeddings,
)
from curation.detectors.graph import Edge, duplicate_edge, group_findings
from curation.detectors.judges import check_model_ref, scan_device
from curation.detectors.matching import (
    NAME_MISMATCH,
    NAME_SWAP,
    NEGATION,
    NUMBER_MISMATCH,
    NUMBER_ORDER,
    ROLE_SWAP,
    WORD_CHANGE,
    WORD_REPLACED,
    PairJudgement,
    Relation,
    with_role_swaps,
    wording_only,
)
from curation.detectors.memo import embedder_key, pair_key, pair_memo
from curation.detectors.neighbors import similar_pairs
from curation.detectors.rules import fired, rule
from curation.engine import Lazy
from curation.schema import Finding

NUMBER_REORDER = rule(
    "dup.number_reorder",
    "prompts give the same numbers in another order (from 1 to 10 / from 10 to 1): other prompts",
    "numbers in another order",
    "clears",
)
PARAPHRASE_JUDGE = rule(
    "dup.paraphrase_judge",
    "the paraphrase judge model finds the prompts different",
    "the paraphrase judge gives {p}",
    "clears",
)


def mutual_or_close(
    i: np.ndarray, j: np.ndarray, s: np.ndarray, n: int, strict: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs that are each other's most similar pair, or at least ``strict`` similar."""
    best = np.full(n, -1.0)
    np.maximum.at(best, i, s)
    np.maximum.at(best, j, s)
    keep = ((s >= best[i] - 1e-6) & (s >= best[j] - 1e-6)) | (s >= strict)
    return i[keep], j[keep], s[keep]


def cap_neighbours(i: np.ndarray, j: np.ndarray, s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep a pair only if it is among the ``k`` most similar pairs of one of its rows."""
    if not len(i):
        return i, j, s
    order = np.lexsort((j, i, -s))
    i, j, s = i[order], j[order], s[order]
    keep = np.zeros(len(i), bool)
    for side in (i, j):
        o = np.lexsort((np.arange(len(side)), side))  # stable within a row: by similarity
        ranks = np.empty(len(side), np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(side[o])) + 1]
        counts = np.diff(np.r_[starts, len(side)])
        ranks[o] = np.arange(len(side)) - np.repeat(starts, counts)
        keep |= ranks < k
    back = np.lexsort((j[keep], i[keep]))
    return i[keep][back], j[keep][back], s[keep][back]


def prompt_differences(a: str, b: str, lexical: list[str]) -> tuple[list[str], list[str]]:
    """(hard, soft) differences between two prompts (see ``_judge_prompts``); ``lexical``
    holds the conflicts the lexical comparison found in near-identical texts.

    Numbers count only when both prompts have some and they differ: a number one prompt
    adds is a detail ("best coding bootcamp 2016" / "best coding bootcamps"). Names are
    compared only in near-identical texts, and softly: question capitalisation is erratic
    and a reworded question often names more ("Gorbachev" / "Mikhail Gorbachev"), but
    "companies similar to IDEO" / "... to IDEO in Paris" is another question."""
    hard, soft = [], []
    na, nb = tx.numbers(a), tx.numbers(b)
    if na - nb and nb - na:
        hard.append(NUMBER_MISMATCH.hit(numbers=", ".join(sorted(na ^ nb)[:4])))
    elif fired(lexical, NUMBER_ORDER.id):
        sa, sb = tx.number_sequence(a), tx.number_sequence(b)
        if len(sa) > 1 and sorted(sa) == sorted(sb):  # near-identical: "from 1 to 10" / "from 10 to 1"
            hard.append(NUMBER_REORDER.hit())
    for c in lexical:
        if fired([c], WORD_CHANGE.id, WORD_REPLACED.id, NAME_MISMATCH.id):
            soft.append(c)
        elif fired([c], NEGATION.id, NAME_SWAP.id, ROLE_SWAP.id):
            hard.append(c)
    return with_role_swaps(hard, a, b), soft  # in any two prompts, not only near-identical ones


def needs_answer_cosine(jd: PairJudgement) -> bool:
    """The same request with answers the lexical checks left open (different words, no
    conflicting term): only the answer cosine can settle them."""
    return jd.request.same and jd.answer is not None and not jd.answer.same and wording_only(jd.answer.conflicts)


class JudgedPairs:
    """The semantic candidate pairs of a scan, each with its request cosine and judgement:
    iterating gives ``(i, j, cosine, judgement)``. The positions and cosines are kept in
    arrays, not as a tuple of Python numbers per pair (1.5M pairs at 200,000 rows: ~240 MB
    less)."""

    __slots__ = ("i", "j", "cos", "judgements")

    def __init__(self, i: np.ndarray, j: np.ndarray, cos: np.ndarray, judgements: list[PairJudgement]) -> None:
        if not len(i) == len(j) == len(cos) == len(judgements):
            raise ValueError("one position pair, cosine and judgement per candidate")
        self.i, self.j = np.asarray(i, np.int64), np.asarray(j, np.int64)
        self.cos, self.judgements = np.asarray(cos, np.float64), judgements

    def __iter__(self) -> Iterator[tuple[int, int, float, PairJudgement]]:
        return zip(self.i.tolist(), self.j.tolist(), self.cos.tolist(), self.judgements)


@register
class SemanticDuplicates(Detector):
    """Rows whose request and answer say the same thing, possibly in other words."""

    name: ClassVar[str] = "semantic"
    kinds: ClassVar[tuple[str, ...]] = ("duplicate",)

    candidate_threshold: float = Field(0.8, ge=0, le=1, description="request cosine to compare a pair at all")
    request_threshold: float = Field(0.9, ge=0, le=1, description="request cosine: reworded but the same request")
    request_related: float = Field(
        0.8, ge=0, le=1, description="request cosine: the same request if one's content words are all in the other"
    )
    answer_threshold: float = Field(0.92, ge=0, le=1, description="answer cosine: reworded but the same answer")
    paraphrase_threshold: float = Field(
        0.7, ge=0, le=1, description="prompt-only: cosine for mutual nearest neighbours"
    )
    paraphrase_strict: float = Field(
        0.92, ge=0, le=1, description="prompt-only: cosine that needs no mutual-neighbour check"
    )
    max_neighbours: int = Field(10, ge=1, description="pairs kept per row (large identical clusters)")
    same_answer_request: float = Field(
        0.5, ge=0, le=1, description="request cosine: a reworded request if the answers are identical and specific"
    )
    same_answer_words: int = Field(6, ge=1, description="words an identical answer needs to count as specific")
    paraphrase_judge_model: str | None = Field(
        None,
        description="prompt-only: a duplicate-question "
        "cross-encoder (model id or local path) that decides "
        "candidate paraphrases instead of the cosine rules",
    )
    paraphrase_judge_threshold: float = Field(0.5, ge=0, le=1, description="judge probability for a paraphrase")
    _check_judge_model = field_validator("paraphrase_judge_model")(check_model_ref)

    _judges: ClassVar[dict] = {}  # loaded paraphrase judges, shared across scans

    def judged(self, ctx: ScanContext) -> JudgedPairs:
        """Every candidate pair with its request cosine and ``PairJudgement`` (memoised)."""
        key = ("semantic_judged", self.key())
        if key in ctx.cache:
            return ctx.cache[key]
        f = fields(ctx)
        emb = request_embeddings(ctx)
        # with answers, only requests this close can be the same (see matching.compare_requests)
        thr = (
            min(self.candidate_threshold, self.paraphrase_threshold)
            if f.prompt_only
            else min(self.candidate_threshold, self.request_related)
        )
        i, j, s = similar_pairs(emb, thr)
        shape = np.array([f.same_shape(a, b) for a, b in zip(i.tolist(), j.tolist())], bool)
        i, j, s = cap_neighbours(i[shape], j[shape], s[shape], self.max_neighbours)
        if not f.prompt_only:
            i, j, s = self._with_same_answer_pairs(f, emb, i, j, s)
        if f.prompt_only:  # only mutual nearest neighbours or very close pairs can qualify
            i, j, s = mutual_or_close(i, j, s, len(f.rows), self.paraphrase_strict)
        ctx.progress("semantic pairs", len(i), len(i))
        cache = judged_pairs(ctx)
        judge = self._judge_prompts if f.prompt_only else self._judge_pairs
        ii, jj = i.tolist(), j.tolist()
        out = JudgedPairs(i, j, s, judge(ctx, ii, jj, s.tolist()))
        cache.update(zip(map(pair_code, ii, jj), out.judgements))
        ctx.cache[key] = out
        return out

    def _with_same_answer_pairs(self, f, emb, i, j, s):
        """Add pairs whose answers are identical (after normalisation) and specific, with a
        related request below the candidate threshold: "How long is the free trial?" and
        "When does my trial end?" both answered "The trial is 10 days." word for word."""
        groups: dict[str, list[int]] = {}
        for k, a in enumerate(f.answer_core_norm):
            if a.count(" ") + 1 >= self.same_answer_words:
                groups.setdefault(a, []).append(k)
        have = set(zip(i.tolist(), j.tolist()))
        extra = []
        for g in groups.values():
            if len(g) < 2 or len(g) > 100:
                continue  # a stock answer shared by very many requests says nothing
            sims = emb[g] @ emb[g].T
            for x in range(len(g)):
                for y in range(x + 1, len(g)):
                    a, b = g[x], g[y]
                    if sims[x, y] >= self.same_answer_request and (a, b) not in have and f.same_shape(a, b):
                        extra.append((a, b, float(sims[x, y])))
        if not extra:
            return i, j, s
        ea, eb, es = map(np.array, zip(*extra))
        ea, eb, es = cap_neighbours(ea, eb, es.astype(s.dtype), self.max_neighbours)
        order = np.lexsort((np.r_[j, eb], np.r_[i, ea]))
        return np.r_[i, ea][order], np.r_[j, eb][order], np.r_[s, es][order]

    def pair_thresholds(self) -> dict[str, float | int]:
        """The ``judge_pair`` thresholds these settings give (the scan and `curate explain`)."""
        return {
            "request_semantic": self.request_threshold,
            "request_related": self.request_related,
            "answer_semantic": self.answer_threshold,
            "same_answer_request": self.same_answer_request,
            "same_answer_words": self.same_answer_words,
        }

    def _judge_pairs(self, ctx, ii, jj, ss) -> list[PairJudgement]:
        f = fields(ctx)
        thr = self.pair_thresholds()
        # judgements of the same two rows' texts, model and thresholds are reused (the cosines
        # follow from the embedded texts, which the key holds, and the model)
        memo, model = pair_memo(ctx), embedder_key(ctx)
        keys = [pair_key(f.pair_id(a, b), sorted(thr.items()), model) for a, b in zip(ii, jj)]
        first = [memo.get(key) for key in keys]
        todo = [k for k, jd in enumerate(first) if jd is None]
        items = Lazy(len(todo), lambda t: (f.pair(ii[todo[t]], jj[todo[t]]), ss[todo[t]], None))
        for k, jd in zip(todo, judge_pairs(ctx, items, thr)):
            first[k] = jd
        # answers the lexical checks left open (same request, different words, no conflict)
        open_ = [k for k in todo if needs_answer_cosine(first[k])]
        if open_:
            vecs = answer_embeddings(ctx, [x for k in open_ for x in (ii[k], jj[k])])
            items = [(f.pair(ii[k], jj[k]), ss[k], float(np.dot(vecs[ii[k]], vecs[jj[k]]))) for k in open_]
            for k, jd in zip(open_, judge_pairs(ctx, items, thr)):
                first[k] = jd
        for k in todo:
            memo.put(keys[k], first[k])
        return first

    def _judge_prompts(self, ctx, ii, jj, ss) -> list[PairJudgement]:
        """Prompt-only pairs: a lexical match, or a mutual nearest neighbour above
        ``paraphrase_threshold`` (any pair above ``paraphrase_strict``) with no hard conflict.

        Hard (never a paraphrase): numbers on both sides that differ ("lose 4 kg" / "lose 10
        kg"), a flipped negation, swapped names or reordered numbers in near-identical texts.
        Soft (a paraphrase only at ``paraphrase_strict``): a content word replaced in
        otherwise identical texts: "calls for" / "urges" (cosine 0.97), but "store carrots" /
        "store potatoes" is another question."""
        f = fields(ctx)
        best = np.full(len(f.rows), -1.0)
        for a, b, c in zip(ii, jj, ss):
            best[a], best[b] = max(best[a], c), max(best[b], c)
        out, ask = [], []
        for a, b, c, jd in zip(ii, jj, ss, lexical_judgements(ctx, list(zip(ii, jj)))):
            if not jd.request.same:
                hard, soft = prompt_differences(f.request_core[a], f.request_core[b], jd.request.conflicts)
                mutual = c >= best[a] - 1e-6 and c >= best[b] - 1e-6
                thr = self.paraphrase_threshold if mutual and not soft else self.paraphrase_strict
                if self.paraphrase_judge_model and not hard:
                    ask.append(len(out))  # the judge decides, whatever the cosine
                elif not hard and c >= thr:
                    jd = PairJudgement(Relation(True, "semantic", float(c)), None)
                elif c >= thr:
                    jd = PairJudgement(Relation(False, "semantic", float(c), hard), None)
            out.append((a, b, c, jd))
        if ask:
            probs = self._judge_probabilities(ctx, [f.pair(out[k][0], out[k][1])[0] for k in ask])
            for k, p in zip(ask, probs):
                a, b, c, _ = out[k]
                same = p >= self.paraphrase_judge_threshold
                why = [] if same else [PARAPHRASE_JUDGE.hit(p=f"{p:.2f}")]
                out[k] = (a, b, c, PairJudgement(Relation(same, "judge", round(p, 4), why), None))
        return [jd for _, _, _, jd in out]

    def _judge_probabilities(self, ctx: ScanContext, pairs: list[tuple[str, str]]) -> list[float]:
        """The paraphrase judge's probability per request pair, memoised across scans."""
        memo = pair_memo(ctx)
        keys = [pair_key(p, "paraphrase-judge", self.paraphrase_judge_model) for p in pairs]
        probs = [memo.get(k) for k in keys]
        todo = [k for k, p in enumerate(probs) if p is None]
        if todo:
            name = self.paraphrase_judge_model
            device = scan_device(ctx)  # a GPU when the scan embeds on one
            if (name, device) not in self._judges:
                from curation.detectors.judges import ParaphraseJudge

                self._judges[name, device] = ParaphraseJudge(name, device)
            fresh = self._judges[name, device].probabilities([pairs[k] for k in todo])
            for k, p in zip(todo, fresh):
                probs[k] = p
                memo.put(keys[k], p)
        return probs

    def edges(self, ctx: ScanContext) -> list[Edge]:
        out = []
        for a, b, _cos, jd in self.judged(ctx):
            if jd.duplicate:
                out.append(duplicate_edge(a, b, jd))
        return out

    def detect(self, ctx: ScanContext) -> list[Finding]:
        return group_findings(self.edges(ctx), fields(ctx), self.settings())
