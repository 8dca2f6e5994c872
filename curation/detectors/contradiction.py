"""Contradictions: the same (or an equivalent) request answered in ways that cannot both hold.

Candidates are request-equivalent pairs (identical after normalisation and boilerplate
stripping, or reworded: see ``semantic``) whose answers are not duplicates. Each candidate is
judged on what the answers *assert*, not on how similar their wording is:

- a number, a named term (names, e-mail and web addresses) or a negation that differs
  inside otherwise matching answers; names and numbers the request itself contains are
  not assertions ("The capital of Laos is Vientiane." / "The capital is Vientiane.");
- a flipped verdict (yes/no, true/false); a negated sentence whose counterpart in the other
  answer is not negated (an added "Prices don't include VAT." flips nothing);
- numbers each answer gives that the other does not ("3 months" / "1 year"; a number only
  one answer adds is a detail), or the same number in another unit ("72 hours" / "72 minutes");
- for short answers, the claim left after removing the words the request already contains
  ("The capital is Paris." asserts {paris}, as does "Paris"), read from the first sentence
  when either answer says more: if neither claim contains the other, they assert different
  things, unless both give the same figures, the same verdict or the same names (the other
  words are then details) or their embeddings say they are rewordings.

Only a closed request (one right answer, see ``request_form``) yields contradictions from
answers that differ as wholes: a request open by its form ("name one of ...", "write ...")
never does, and the claim comparison (the weakest evidence) needs the request model to find
the request closed and neither answer to be a list of short items (a set's members). A value
changed inside otherwise matching answers, or a flipped yes/no, conflicts whatever the
request (a closed claim inside an answer). Requests that come with a context passage are the
same request only if their instructions are (two questions about one passage are two), and
the same quantity in other units agrees ("100 degrees Celsius" / "212 °F").

Long free-form answers with no such conflict are not flagged: two different poems for one
request are both fine. An optional model judge (NLI cross-encoder or instruction-tuned LLM,
see ``judges``) can replace the claim comparison for the short-answer case.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from curation.detectors import disagreement as dis
from curation.detectors import text as tx
from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.exact import exact_groups
from curation.detectors.features import (
    answer_embeddings,
    fields,
    instruction_embeddings,
    open_requests,
    request_embeddings,
)
from curation.detectors.graph import UnionFind
from curation.detectors.judges import check_model_ref
from curation.detectors.memo import embedder_key, pair_key, pair_memo
from curation.detectors.request_form import instruction, open_form
from curation.detectors.matching import (
    claim,
    compare_requests,
    fuzzy_in,
    judge_pair,
    negation_flip,
    request_echo,
    unmatched,
    verdict,
    with_role_swaps,
    wording_only,
)
from curation.detectors.semantic import SemanticDuplicates
from curation.schema import Finding

_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


def proper_names(answer: str, request: str, other: str = "") -> set[str]:
    """Capitalised words of the answer not in the request, stopwords dropped. A word that
    opens a sentence counts only if one of the two answers capitalises it mid-sentence too
    ("Open Settings > Account" names Settings, not Open)."""
    echo = set(tx.content_words(request))
    inner = tx.named_terms(answer) | tx.named_terms(other)
    names = {tx.stem(w.casefold()) for w in _CAPITALISED.findall(answer)}
    return {w for w in names if w not in tx.STOPWORDS and w in inner and not fuzzy_in(w, echo)}


def number_phrase(text: str, number: str) -> str:
    """The number as written with the word after it ('3 months'), for a readable reason."""
    m = re.search(rf"(?<![\w.]){re.escape(number)}(?:[ -]?[^\W\d_]+)?", text.replace(",", ""))
    return m.group() if m else number


def _values(text: str, numbers: set[str]) -> str:
    return ", ".join(number_phrase(text, n) for n in sorted(numbers)[:3])


@register
class Contradictions(Detector):
    """Rows that answer an equivalent request with conflicting facts, numbers or verdicts."""

    name: ClassVar[str] = "contradiction"
    kinds: ClassVar[tuple[str, ...]] = ("contradiction",)
    _memo: ClassVar[dict] = {}  # loaded judge models, shared across scans

    semantic: SemanticDuplicates = Field(default_factory=SemanticDuplicates,
                                         description="how reworded requests are matched")
    agree_cosine: float = Field(0.9, ge=0, le=1, description="answers this similar with no conflicting term agree")
    short_answer_words: int = Field(60, ge=1, description="answers up to this long get the claim comparison")
    max_group: int = Field(50, ge=2, description="rows compared per identical request")
    judge: Literal["rules", "nli", "llm"] = Field("rules", description="who judges short-answer claims")
    judge_model: str | None = Field(None, description="model id or local path for the nli/llm judge")
    _check_judge_model = field_validator("judge_model")(check_model_ref)
    judge_threshold: float = Field(0.5, ge=0, le=1, description="judge probability that counts as a conflict")
    open_threshold: float = Field(0.5, ge=0, le=1, description="P(open) at which a request has many valid "
                                  "answers (see request_form): its different answers are not contradictions")
    list_answers: bool = Field(True, description="answers that are lists (of 3+ short items) differ by members, "
                               "not claims: their claim words are not compared")
    open_markers: bool = Field(True, description="also count requests open by their form ('one of', "
                               "'name a ...', creative verbs; see request_form.open_form)")
    related: float = Field(0.3, ge=0, le=1, description="request or aligned-answer cosine at which two "
                           "conflicts with the same figures on each side are one disagreement (one review item)")
    aligned: float = Field(0.55, ge=0, le=1, description="aligned-answer cosine at which two conflicts with "
                           "the same verdicts or names on each side are one disagreement")

    def candidates(self, ctx: ScanContext) -> dict[tuple[int, int], float | None]:
        """Request-equivalent pairs (i < j) with their request cosine when known."""
        f = fields(ctx)
        pairs: dict[tuple[int, int], float | None] = {}
        by_request: dict[str, list[int]] = {}
        for i, r in enumerate(f.request_core_norm):
            if r and f.answer[i]:
                by_request.setdefault(r, []).append(i)
        for g in by_request.values():
            g = g[: self.max_group]
            pairs.update(((a, b), None) for k, a in enumerate(g) for b in g[k + 1 :])
        for g in exact_groups(ctx, on="request"):
            g = g[: self.max_group]
            pairs.update(((a, b), None) for k, a in enumerate(g) for b in g[k + 1 :])
        if ctx.embedder is not None:
            for a, b, c, jd in self.semantic.judged(ctx):
                if jd.request.same:
                    pairs[(a, b)] = c
        for (a, b), jd in ctx.cache.get("judged", {}).items():
            if jd.request.same and (a, b) not in pairs:
                pairs[(a, b)] = None
        return pairs

    def assess(self, ctx: ScanContext, i: int, j: int, req_cos: float | None
               ) -> tuple[str, float, list[str], dict]:
        """(status, score, reasons, evidence) for one request-equivalent pair; status is
        "conflict", "agree", "open" (many valid answers, or not decidable without world
        knowledge) or "different" (different questions about one passage); only conflicts
        are flagged."""
        f = fields(ctx)
        if self.different_instructions(ctx, i, j):
            return "different", 0.0, [], {}
        jd = judge_pair(*f.pair(i, j), req_cos=req_cos)
        if jd.answer is None or jd.answer.same:
            return "agree", 0.0, [], {}
        a, b = f.answer_core[i], f.answer_core[j]
        echo_numbers, _ = request_echo(f.request_core[i], f.request_core[j])
        # the same quantity in another unit ("100 degrees Celsius" / "212 °F") is agreement
        conv_a, conv_b = tx.converted(a, b), tx.converted(b, a)
        na, nb = tx.numbers(a) - echo_numbers - conv_a, tx.numbers(b) - echo_numbers - conv_b
        other_figures = bool(na - nb or nb - na)
        # a swap counts in any two answers ("London has more people than Paris." / the reverse)
        hard = with_role_swaps([c for c in jd.answer.conflicts if not c.startswith("different words") and not (
            c.startswith("numbers differ") and (conv_a or conv_b) and not other_figures)], a, b)
        if hard:
            return "conflict", 0.9, self._readable(hard, a, b, na, nb), {"answer_similarity": round(jd.answer.score, 4)}
        if max(len(tx.words(a)), len(tx.words(b))) > self.short_answer_words:
            return "open", 0.0, [], {}
        va, vb = verdict(a), verdict(b)
        if va and vb and va != vb:
            return "conflict", 0.95, [f"one answers {va}, the other {vb}"], {}
        # past this point the answers differ as wholes, not by a changed value inside one
        # answer (a closed claim, checked above): a request open by its form ("one of ...",
        # "write ...") makes none of that a conflict
        if self.open_markers and (open_form(f.request_core[i]) or open_form(f.request_core[j])):
            return "open", 0.0, [], {"open_form": True}
        reasons = []
        if na - nb and nb - na:  # a number only one answer gives is a detail, not a conflict
            reasons.append(f"different numbers: {_values(a, na - nb)} vs {_values(b, nb - na)}")
        ua_, ub_ = tx.number_units(a), tx.number_units(b)
        units = [f"{n} {ua_[n]} vs {n} {ub_[n]}" for n in sorted(set(ua_) & set(ub_))
                 if not tx.same_unit(ua_[n], ub_[n])]
        if units:
            reasons.append(f"different units: {'; '.join(units[:2])}")
        if negation_flip(a, b):
            reasons.append("one answer negates what the other states")
        request = f.request_core[i] + " " + f.request_core[j]
        # what each answer asserts: its first sentence when either says more (the direct
        # answer; "It means you lack permission." followed by different advice agrees)
        sa, sb = tx.sentences(a), tx.sentences(b)
        first = len(sa) > 1 or len(sb) > 1
        ca = claim(sa[0] if first and sa else a, request)
        cb = claim(sb[0] if first and sb else b, request)
        ua, ub = unmatched(ca, cb), unmatched(cb, ca)
        ev = {"claims": [sorted(ca)[:8], sorted(cb)[:8]]}
        if self.judge != "rules":
            p = self._judge_model().contradiction(f.request_core[i], a, b)
            ev["judge_probability"] = round(p, 4)
            status = "conflict" if p >= self.judge_threshold else "agree"
            return status, p, reasons or [f"the {self.judge} judge finds them conflicting"], ev
        if reasons:
            return "conflict", 0.85, reasons, ev
        # what is left is a difference of claim words, the weakest evidence: only when the
        # model finds the request closed (one right answer)
        p_open = open_requests(ctx, [i, j])
        ev["open_probability"] = round(max(p_open[i], p_open[j]), 4)
        if ev["open_probability"] >= self.open_threshold:
            return "open", 0.0, [], ev
        if self.list_answers and (tx.list_items(a) or tx.list_items(b)):
            return "open", 0.0, [], {**ev, "list_answer": True}  # members of a set: other members are not a conflict
        if not ua or not ub:
            return "agree", 0.0, [], ev  # one claim contains the other
        if (conv_a or conv_b) and not other_figures:
            return "agree", 0.0, [], ev  # the same quantities in other units: the rest is wording
        if na and nb:
            return "agree", 0.0, [], ev  # figures that agree (checked above; one may add some): the rest is detail
        if va and va == vb:
            return "agree", 0.0, [], ev  # the same verdict, explained differently
        pa, pb = proper_names(a, request, b), proper_names(b, request, a)
        if pa and pb and (not unmatched(pa, pb) or not unmatched(pb, pa)):
            return "agree", 0.0, [], ev  # same people/places/things, one answer says more
        vecs = answer_embeddings(ctx, [i, j]) if ctx.embedder is not None else None
        cos = float(np.dot(vecs[i], vecs[j])) if vecs else 0.0
        ev["answer_cosine"] = round(cos, 4)
        if cos >= self.agree_cosine and wording_only(jd.answer.conflicts):
            return "agree", 0.0, [], ev
        overlap = len(ca & cb) / max(1, len(ca | cb))
        score = float(np.clip(0.5 + 0.5 * (1 - overlap) - 0.3 * max(cos, 0), 0.05, 1.0))
        why = f"they assert different things ({', '.join(sorted(ua)[:3])} vs {', '.join(sorted(ub)[:3])})"
        return "conflict", score, [why], ev

    def different_instructions(self, ctx: ScanContext, i: int, j: int) -> bool:
        """Two requests that come with a context passage (an input, a pasted text) ask the
        same thing only if their instructions do: two questions about one passage are two
        requests, however close the whole texts' embeddings are."""
        f = fields(ctx)
        (ia, ca), (ib, cb) = instruction(f.request_core[i]), instruction(f.request_core[j])
        if not (ca and cb):
            return False
        na, nb = tx.normalize(ia), tx.normalize(ib)
        if na == nb:
            return False
        cos = None
        if ctx.embedder is not None:
            vecs = instruction_embeddings(ctx, [i, j])
            cos = float(np.dot(vecs[i], vecs[j]))
        return not compare_requests(ia, ib, na, nb, cos, semantic=self.semantic.request_threshold,
                                    related=self.semantic.request_related).same

    @staticmethod
    def _readable(conflicts: list[str], a: str, b: str, na: frozenset[str], nb: frozenset[str]) -> list[str]:
        """The lexical conflicts as a reviewer reads them: the numbers each answer gives
        ("3 months vs 1 year") instead of one line per number and check."""
        out = [c for c in conflicts if not c.startswith(("numbers differ", "a word is replaced"))]
        if len(out) < len(conflicts):
            if na != nb:
                out.insert(0, f"different numbers: {_values(a, na - nb) or _values(a, na)} vs "
                              f"{_values(b, nb - na) or _values(b, nb)}")
            else:
                out += [c for c in conflicts if c.startswith(("numbers differ", "a word is replaced"))][:1]
        return list(dict.fromkeys(out))

    def _judge_model(self):
        key = ("contradiction_judge", self.judge, self.judge_model)
        if key not in self._memo:
            from curation.detectors.judges import load_judge

            self._memo[key] = load_judge(self.judge, self.judge_model)
        return self._memo[key]

    def detect(self, ctx: ScanContext) -> list[Finding]:
        f = fields(ctx)
        if f.prompt_only:
            return []  # no answers, nothing to contradict
        conflicts, agree = [], UnionFind()
        memo, model = pair_memo(ctx), embedder_key(ctx)
        todo = []
        for (i, j), cos in sorted(self.candidates(ctx).items()):
            # the same two rows' texts, model and settings were assessed by an earlier scan (the
            # cosines follow from the embedded texts; only whether the pair came from embeddings counts)
            key = pair_key(f.pair_id(i, j), cos is None, self.key(), model, "contradiction")
            todo.append((i, j, cos, key, memo.get(key)))
        open_requests(ctx, sorted({p for i, j, _, _, v in todo if v is None for p in (i, j)}))  # one batch
        for i, j, cos, key, verdict_ in todo:
            if verdict_ is None:
                verdict_ = self.assess(ctx, i, j, cos)
                memo.put(key, verdict_)
            status, score, reasons, ev = verdict_
            if status == "conflict":
                conflicts.append((i, j, score, reasons, ev, cos))
            elif status == "agree":
                agree.union(i, j)
        ctx.cache.setdefault("conflict_pairs", set()).update((c[0], c[1]) for c in conflicts)
        best: dict[tuple[int, int], tuple] = {}
        for c in conflicts:  # one finding per pair of answer classes (agreeing rows merged)
            key = tuple(sorted((agree.find(c[0]), agree.find(c[1]))))
            if key not in best or c[2] > best[key][2]:
                best[key] = c
        found = {(c[0], c[1]): c for c in best.values()}
        pairs = [dis.Conflict(i, j, *dis.sides(f.answer_core[i], f.answer_core[j], f.request_core[i],
                                                f.request_core[j])) for i, j in sorted(found)]
        emb = ans = None
        if ctx.embedder is not None:
            emb, ans = request_embeddings(ctx), answer_embeddings(ctx, sorted({p for ij in found for p in ij}))
        out = []
        for members in dis.group(pairs, dis.cosine_fn(emb), dis.cosine_fn(ans), self.related, self.aligned):
            shared = dis.describe(members, f.rows, f.answer_core)
            for m in members:
                i, j, score, reasons, ev, cos = found[(m.i, m.j)]
                rows = (f.rows[i], f.rows[j])
                out.append(Finding(
                    kind="contradiction", detector=self.name, rows=rows, score=round(score, 4),
                    reason=f"Rows {rows[0]} and {rows[1]} answer the same request differently: "
                           f"{'; '.join(reasons)}.",
                    evidence={**ev, "request_cosine": None if cos is None else round(cos, 4),
                              "conflicts": reasons, "judge": self.judge, **shared,
                              "thresholds": self.settings()},
                ))
        return out
