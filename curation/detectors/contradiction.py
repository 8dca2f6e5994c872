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
    judge_pairs,
    judged_pairs,
    open_requests,
    pair_of,
    request_embeddings,
)
from curation.detectors.graph import UnionFind
from curation.detectors.judges import check_model_ref, scan_device
from curation.detectors.memo import embedder_key, pair_key, pair_memo
from curation.detectors.request_form import instruction, open_form
from curation.detectors.matching import (
    NUMBER_MISMATCH,
    NUMBER_ORDER,
    WORD_CHANGE,
    WORD_REPLACED,
    PairJudgement,
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
from curation.detectors.rules import Rule, evidence, qualified, rule, rule_of
from curation.detectors.semantic import SemanticDuplicates
from curation.engine import Lazy
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

    semantic: SemanticDuplicates = Field(
        default_factory=SemanticDuplicates, description="how reworded requests are matched"
    )
    agree_cosine: float = Field(0.9, ge=0, le=1, description="answers this similar with no conflicting term agree")
    short_answer_words: int = Field(60, ge=1, description="answers up to this long get the claim comparison")
    max_group: int = Field(50, ge=2, description="rows compared per identical request")
    judge: Literal["rules", "nli", "llm"] = Field("rules", description="who judges short-answer claims")
    judge_model: str | None = Field(None, description="model id or local path for the nli/llm judge")
    _check_judge_model = field_validator("judge_model")(check_model_ref)
    judge_threshold: float = Field(0.5, ge=0, le=1, description="judge probability that counts as a conflict")
    open_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="P(open) at which a request has many valid "
        "answers (see request_form): its different answers are not contradictions",
    )
    list_answers: bool = Field(
        True,
        description="answers that are lists (of 3+ short items) differ by members, "
        "not claims: their claim words are not compared",
    )
    open_markers: bool = Field(
        True,
        description="also count requests open by their form ('one of', "
        "'name a ...', creative verbs; see request_form.open_form)",
    )
    related: float = Field(
        0.3,
        ge=0,
        le=1,
        description="request or aligned-answer cosine at which two "
        "conflicts with the same figures on each side are one disagreement (one review item)",
    )
    aligned: float = Field(
        0.55,
        ge=0,
        le=1,
        description="aligned-answer cosine at which two conflicts with "
        "the same verdicts or names on each side are one disagreement",
    )
    off: list[str] = Field(
        default_factory=list,
        description="rule ids switched off (an ablation: see bench/bench_rules.py and `curate explain --rules`)",
    )

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
        for code, jd in judged_pairs(ctx).items():
            if jd.request.same and (ab := pair_of(code)) not in pairs:
                pairs[ab] = None
        return pairs

    def assess(
        self,
        ctx: ScanContext,
        i: int,
        j: int,
        req_cos: float | None,
        trace: list | None = None,
        judgement: PairJudgement | None = None,
    ) -> tuple[str, float, list[str], dict]:
        """(status, score, reasons, evidence) for one request-equivalent pair; status is
        "conflict", "agree", "open" (many valid answers, or not decidable without world
        knowledge) or "different" (different questions about one passage); only conflicts
        are flagged. The rules of ``STEPS`` are tried in order; the first that decides gives
        the verdict, and ``evidence["rules"]`` names it (and the checks behind a conflict).
        ``trace``: a list that gets one (step name, decided?) per step tried (``curate explain``).
        ``judgement``: the pair's ``judge_pair`` at default thresholds when already made (the
        scan judges them in one batch, on the engine's workers when it has some)."""
        pair = _Pair(self, ctx, i, j, req_cos, judgement)
        for step in STEPS:
            out = step(pair)
            if trace is not None:
                trace.append((step.__name__.lstrip("_"), out is not None))
            if out is not None:
                status, score, hits, reasons = out
                ev = {**pair.ev, "rules": evidence("contra", hits)}
                return status, score, [str(r) for r in reasons], ev
        raise AssertionError("the last step always decides")

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
        return not compare_requests(
            ia, ib, na, nb, cos, semantic=self.semantic.request_threshold, related=self.semantic.request_related
        ).same

    def _judge_model(self, ctx: ScanContext):
        """The judge model, loaded once, on the scan's embedding device (a GPU when present)."""
        device = scan_device(ctx)
        key = ("contradiction_judge", self.judge, self.judge_model, device)
        if key not in self._memo:
            from curation.detectors.judges import load_judge

            self._memo[key] = load_judge(self.judge, self.judge_model, device)
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
        fresh = [(i, j, cos) for i, j, cos, _, v in todo if v is None]
        # every field: a candidate is assessed on its answers even where this judgement (at the
        # default thresholds) does not find its requests the same
        items = Lazy(len(fresh), lambda t: (f.pair(fresh[t][0], fresh[t][1]), fresh[t][2], None))
        judgements = judge_pairs(ctx, items, {"every_field": True})
        judgement = {(i, j): jd for (i, j, _), jd in zip(fresh, judgements)}
        for i, j, cos, key, verdict_ in todo:
            if verdict_ is None:
                verdict_ = self.assess(ctx, i, j, cos, judgement=judgement[(i, j)])
                memo.put(key, verdict_)
            status, score, reasons, ev = verdict_
            if status == "conflict":
                conflicts.append((i, j, score, reasons, ev, cos))
            elif status == "agree":
                agree.union(i, j)
        ctx.cache.setdefault("conflict_pairs", set()).update((c[0], c[1]) for c in conflicts)
        best: dict[tuple[int, int], tuple] = {}
        # one finding per pair of answer classes (agreeing rows merged): the highest score at the
        # precision a finding shows, ties to the first pair in row order. Compared unrounded,
        # two pairs that tie on the page were decided by the last bits of their cosines, so the
        # same data scanned on a GPU (or another encoder backend) could flag another pair
        for c in conflicts:
            key = tuple(sorted((agree.find(c[0]), agree.find(c[1]))))
            if key not in best or round(c[2], 4) > round(best[key][2], 4):
                best[key] = c
        found = {(c[0], c[1]): c for c in best.values()}
        pairs = [
            dis.Conflict(i, j, *dis.sides(f.answer_core[i], f.answer_core[j], f.request_core[i], f.request_core[j]))
            for i, j in sorted(found)
        ]
        emb = ans = None
        if ctx.embedder is not None:
            emb, ans = request_embeddings(ctx), answer_embeddings(ctx, sorted({p for ij in found for p in ij}))
        out, thresholds = [], self.settings()
        for members in dis.group(pairs, dis.cosine_fn(emb), dis.cosine_fn(ans), self.related, self.aligned):
            shared = dis.describe(members, f.rows, f.answer_core)
            for m in members:
                i, j, score, reasons, ev, cos = found[(m.i, m.j)]
                rows = (f.rows[i], f.rows[j])
                out.append(
                    Finding(
                        kind="contradiction",
                        detector=self.name,
                        rows=rows,
                        score=round(score, 4),
                        reason=f"Rows {rows[0]} and {rows[1]} answer the same request differently: "
                        f"{'; '.join(reasons)}.",
                        evidence={
                            **ev,
                            "request_cosine": None if cos is None else round(cos, 4),
                            "conflicts": reasons,
                            "judge": self.judge,
                            **dis.pair_sides(shared, rows),
                            "thresholds": thresholds,
                        },
                    )
                )
        return out


# -- the rules of a verdict (``STEPS``, tried in order) ------------------------------------

DIFFERENT_INSTRUCTION = rule(
    "contra.different_instruction",
    "two requests with a context passage whose instructions differ: two questions about one passage",
    "different questions about one passage",
    "clears",
)
SAME_ANSWER = rule(
    "contra.same_answer",
    "the answers match as texts (a copy, a near copy, one contained in the other, or the same short claim reworded)",
    "the answers are the same",
    "clears",
)
LONG_ANSWER = rule(
    "contra.long_answer",
    "answers longer than short_answer_words with no value changed inside them: free-form, never flagged as wholes",
    "long free-form answers",
    "clears",
)
VERDICT_FLIP = rule(
    "contra.verdict_flip",
    "one answer opens with yes (true, correct), the other with no",
    "one answers {a}, the other {b}",
)
OPEN_FORM = rule(
    "contra.open_form",
    "the request is open by its form ('one of', 'name a', write, brainstorm ...): many answers are right",
    "the request is open by its form",
    "clears",
)
DIFFERENT_NUMBERS = rule(
    "contra.different_numbers",
    "each answer gives numbers the other does not (a number only one answer adds is a detail)",
    "different numbers: {a} vs {b}",
)
UNIT_MISMATCH = rule("contra.unit_mismatch", "the same number with different units", "different units: {units}")
NEGATED_STATEMENT = rule(
    "contra.negated_statement",
    "a negated sentence whose counterpart in the other answer is not negated",
    "one answer negates what the other states",
)
JUDGE = rule(
    "contra.judge",
    "the nli or llm judge's probability of a conflict, against judge_threshold",
    "the {judge} judge finds them conflicting",
)
OPEN_REQUEST = rule(
    "contra.open_request",
    "the closed/open request model (request_form) finds the request open: different answers are not contradictions",
    "an open request (P(open) {p})",
    "clears",
)
LIST_ANSWER = rule(
    "contra.list_answer",
    "an answer is a list of short items: other members of a set are not a conflict",
    "list answers",
    "clears",
)
CLAIM_CONTAINED = rule(
    "contra.claim_contained", "one answer's claim contains the other's", "one claim contains the other", "clears"
)
SAME_QUANTITIES = rule(
    "contra.same_quantities",
    "both answers state the same quantities (in the same or "
    "other units: 100 °C / 212 °F) and no other figures; the rest is wording",
    "the same quantities",
    "clears",
)
SAME_FIGURES = rule(
    "contra.same_figures", "both answers give figures and they agree; the rest is detail", "the same figures", "clears"
)
SAME_VERDICT = rule("contra.same_verdict", "the same verdict, explained differently", "the same verdict", "clears")
SAME_NAMES = rule(
    "contra.same_names", "the same people, places or things, one answer says more", "the same names", "clears"
)
ANSWER_COSINE = rule(
    "contra.answer_cosine",
    "answer embeddings at least agree_cosine apart and only wording differs: rewordings",
    "the answers are rewordings (cosine {cos})",
    "clears",
)
CLAIM_WORDS = rule(
    "contra.claim_words",
    "short answers to a closed request whose claims (content words the "
    "request lacks) differ, neither containing the other: the weakest evidence",
    "they assert different things ({a} vs {b})",
)


class _Pair:
    """One candidate pair as the steps see it: its texts and what the steps have found."""

    def __init__(
        self, det: Contradictions, ctx: ScanContext, i: int, j: int, req_cos: float | None, jd: PairJudgement | None
    ) -> None:
        self.det, self.ctx, self.i, self.j, self.req_cos, self.given = det, ctx, i, j, req_cos, jd
        self.f = fields(ctx)
        self.a, self.b = self.f.answer_core[i], self.f.answer_core[j]
        self.request = self.f.request_core[i] + " " + self.f.request_core[j]
        self.ev: dict = {}
        self.reasons: list = []  # value conflicts found by the middle steps
        self.off = frozenset(det.off)

    def on(self, rule_: Rule | str) -> bool:
        """Whether a rule (or a text check's hit) may decide: not switched off."""
        rid = rule_.id if isinstance(rule_, Rule) else qualified("contra", rule_of(rule_) or str(rule_))
        return rid not in self.off

    def judged(self) -> None:
        """The field-by-field judgement and the figures each answer gives."""
        f, a, b = self.f, self.a, self.b
        self.jd = self.given
        if self.jd is None:
            self.jd = judge_pair(*f.pair(self.i, self.j), req_cos=self.req_cos, every_field=True)
        echo_numbers, _ = request_echo(f.request_core[self.i], f.request_core[self.j])
        # the same quantity in another unit ("100 degrees Celsius" / "212 °F") is agreement
        self.conv_a, self.conv_b = tx.converted(a, b), tx.converted(b, a)
        self.na = tx.numbers(a) - echo_numbers - self.conv_a
        self.nb = tx.numbers(b) - echo_numbers - self.conv_b
        self.other_figures = bool(self.na - self.nb or self.nb - self.na)
        self.va, self.vb = verdict(a), verdict(b)


def _different_instruction(p: _Pair):
    if p.on(DIFFERENT_INSTRUCTION) and p.det.different_instructions(p.ctx, p.i, p.j):
        return "different", 0.0, [DIFFERENT_INSTRUCTION.hit()], []
    return None


def _same_answer(p: _Pair):
    p.judged()
    if p.jd.answer is None or (p.jd.answer.same and p.on(SAME_ANSWER)):
        return "agree", 0.0, [SAME_ANSWER.hit()], []
    return None


def _changed_value(p: _Pair):
    """A number, name or polarity changed inside matching answers (or a swap in any two)."""
    conflicts = [
        c
        for c in p.jd.answer.conflicts
        if rule_of(c) != WORD_CHANGE.id
        and not (rule_of(c) in (NUMBER_MISMATCH.id, NUMBER_ORDER.id) and (p.conv_a or p.conv_b) and not p.other_figures)
    ]
    # a swap counts in any two answers ("London has more people than Paris." / the reverse)
    hard = [c for c in with_role_swaps(conflicts, p.a, p.b) if p.on(c)]
    if hard:
        p.ev["answer_similarity"] = round(p.jd.answer.score, 4)
        return "conflict", 0.9, hard, _readable(hard, p.a, p.b, p.na, p.nb)
    return None


def _long_answer(p: _Pair):
    if p.on(LONG_ANSWER) and max(len(tx.words(p.a)), len(tx.words(p.b))) > p.det.short_answer_words:
        return "open", 0.0, [LONG_ANSWER.hit()], []
    return None


def _verdict_flip(p: _Pair):
    if p.on(VERDICT_FLIP) and p.va and p.vb and p.va != p.vb:
        hit = VERDICT_FLIP.hit(a=p.va, b=p.vb)
        return "conflict", 0.95, [hit], [hit]
    return None


def _open_form(p: _Pair):
    # past this point the answers differ as wholes, not by a changed value inside one
    # answer (a closed claim, checked above): a request open by its form ("one of ...",
    # "write ...") makes none of that a conflict
    f = p.f
    if p.on(OPEN_FORM) and p.det.open_markers and (open_form(f.request_core[p.i]) or open_form(f.request_core[p.j])):
        p.ev["open_form"] = True
        return "open", 0.0, [OPEN_FORM.hit()], []
    return None


def _value_conflicts(p: _Pair):
    """Figures, units and negations the answers give differently (decided after the judge)."""
    a, b, na, nb = p.a, p.b, p.na, p.nb
    if p.on(DIFFERENT_NUMBERS) and na - nb and nb - na:  # a number only one answer adds is a detail
        p.reasons.append(DIFFERENT_NUMBERS.hit(a=_values(a, na - nb), b=_values(b, nb - na)))
    ua_, ub_ = tx.number_units(a), tx.number_units(b)
    units = [f"{n} {ua_[n]} vs {n} {ub_[n]}" for n in sorted(set(ua_) & set(ub_)) if not tx.same_unit(ua_[n], ub_[n])]
    if units and p.on(UNIT_MISMATCH):
        p.reasons.append(UNIT_MISMATCH.hit(units="; ".join(units[:2])))
    if p.on(NEGATED_STATEMENT) and negation_flip(a, b):
        p.reasons.append(NEGATED_STATEMENT.hit())
    # what each answer asserts: its first sentence when either says more (the direct
    # answer; "It means you lack permission." followed by different advice agrees)
    sa, sb = tx.sentences(a), tx.sentences(b)
    first = len(sa) > 1 or len(sb) > 1
    p.ca = claim(sa[0] if first and sa else a, p.request)
    p.cb = claim(sb[0] if first and sb else b, p.request)
    p.ev["claims"] = [sorted(p.ca)[:8], sorted(p.cb)[:8]]
    return None


def _judge(p: _Pair):
    det = p.det
    if det.judge == "rules":
        return None
    prob = det._judge_model(p.ctx).contradiction(p.f.request_core[p.i], p.a, p.b)
    p.ev["judge_probability"] = round(prob, 4)
    status = "conflict" if prob >= det.judge_threshold else "agree"
    hit = JUDGE.hit(judge=det.judge)
    return status, prob, [*p.reasons, hit], p.reasons or [hit]


def _value_conflict(p: _Pair):
    if p.reasons:
        return "conflict", 0.85, p.reasons, p.reasons
    return None


def _open_request(p: _Pair):
    # what is left is a difference of claim words, the weakest evidence: only when the
    # model finds the request closed (one right answer)
    p_open = open_requests(p.ctx, [p.i, p.j])
    p.ev["open_probability"] = prob = round(max(p_open[p.i], p_open[p.j]), 4)
    if prob >= p.det.open_threshold and p.on(OPEN_REQUEST):
        return "open", 0.0, [OPEN_REQUEST.hit(p=prob)], []
    return None


def _list_answer(p: _Pair):
    if p.on(LIST_ANSWER) and p.det.list_answers and (tx.list_items(p.a) or tx.list_items(p.b)):
        p.ev["list_answer"] = True  # members of a set: other members are not a conflict
        return "open", 0.0, [LIST_ANSWER.hit()], []
    return None


def _agreement(rule_: Rule, test):
    """A step that clears the pair ("agree") when ``test(pair)`` holds."""

    def step(p: _Pair):
        if p.on(rule_) and test(p):
            return "agree", 0.0, [rule_.hit()], []
        return None

    step.__name__ = f"_{rule_.id.split('.')[1]}"
    return step


def _claims_unmatched(p: _Pair):
    p.ua, p.ub = unmatched(p.ca, p.cb), unmatched(p.cb, p.ca)


def _same_names(p: _Pair) -> bool:
    pa, pb = proper_names(p.a, p.request, p.b), proper_names(p.b, p.request, p.a)
    return bool(pa and pb and (not unmatched(pa, pb) or not unmatched(pb, pa)))


def _answer_cosine(p: _Pair):
    ctx = p.ctx
    vecs = answer_embeddings(ctx, [p.i, p.j]) if ctx.embedder is not None else None
    p.cos = cos = float(np.dot(vecs[p.i], vecs[p.j])) if vecs else 0.0
    p.ev["answer_cosine"] = round(cos, 4)
    if p.on(ANSWER_COSINE) and cos >= p.det.agree_cosine and wording_only(p.jd.answer.conflicts):
        return "agree", 0.0, [ANSWER_COSINE.hit(cos=round(cos, 4))], []
    return None


def _claim_words(p: _Pair):
    if not p.on(CLAIM_WORDS):
        return "open", 0.0, [], []  # nothing left that could decide
    overlap = len(p.ca & p.cb) / max(1, len(p.ca | p.cb))
    score = float(np.clip(0.5 + 0.5 * (1 - overlap) - 0.3 * max(p.cos, 0), 0.05, 1.0))
    hit = CLAIM_WORDS.hit(a=", ".join(sorted(p.ua)[:3]), b=", ".join(sorted(p.ub)[:3]))
    return "conflict", score, [hit], [hit]


# each step returns None (undecided) or (status, score, rules that decided, reasons to show)
STEPS = (
    _different_instruction,
    _same_answer,
    _changed_value,
    _long_answer,
    _verdict_flip,
    _open_form,
    _value_conflicts,
    _judge,
    _value_conflict,
    _open_request,
    _list_answer,
    _claims_unmatched,
    _agreement(CLAIM_CONTAINED, lambda p: not p.ua or not p.ub),
    _agreement(SAME_QUANTITIES, lambda p: (p.conv_a or p.conv_b) and not p.other_figures),
    # figures that agree (checked above; one may add some): the rest is detail
    _agreement(SAME_FIGURES, lambda p: p.na and p.nb),
    _agreement(SAME_VERDICT, lambda p: p.va and p.va == p.vb),
    _agreement(SAME_NAMES, _same_names),
    _answer_cosine,
    _claim_words,
)


def _readable(conflicts: list, a: str, b: str, na: frozenset[str], nb: frozenset[str]) -> list:
    """The text conflicts as a reviewer reads them: the numbers each answer gives ("3 months
    vs 1 year") instead of one line per number and check."""
    numeric = (NUMBER_MISMATCH.id, NUMBER_ORDER.id, WORD_REPLACED.id)
    out = [c for c in conflicts if rule_of(c) not in numeric]
    if len(out) < len(conflicts):
        if na != nb:
            out.insert(
                0,
                DIFFERENT_NUMBERS.hit(a=_values(a, na - nb) or _values(a, na), b=_values(b, nb - na) or _values(b, nb)),
            )
        else:
            out += [c for c in conflicts if rule_of(c) in numeric][:1]
    return list(dict.fromkeys(out))
