"""Coverage gaps: regions of the reference prompts that the training data barely reaches.

Density ratio, not distance: every reference prompt looks at its ``k`` nearest neighbours
among reference + training prompts together, in two views: meaning (sentence embeddings,
which separate topics and languages) and form (frequent word bigrams/trigrams, which separate
prompt templates: two task families about the same science facts differ mostly in form). Where the training data covers a region, about
``n_train / (n_train + n_ref)`` of those neighbours are training prompts; in a gap (a task
family, template, topic or language the training set lacks) nearly all are other reference
prompts. Under-supported reference prompts are linked to their under-supported neighbours,
and each connected region of at least ``min_gap_size`` prompts is one ``coverage_gap``
finding, listing the nearest training rows. Its label is the edge-case category most of its
prompts fall in (``edge_cases.json``), else 2-4 keywords of its prompts' user turns by
class-based TF-IDF against all reference prompts (``labels``).

A gap closes prompt by prompt: a reference prompt counts as covered once a training request
(an added example included) is at least ``cover_cosine`` similar to it in the same
embeddings and of every edge-case kind it is (``covering``). ``evidence.covered_by`` lists,
per prompt, the training rows already that close at scan time; ``curation.gaps`` counts the
rest as the curated data changes.

A nearest-neighbour distance threshold alone misses dense gaps (many similar reference
prompts with a distant-but-not-far training example) and flags every lone outlier; the
ratio avoids both. Not handled: gaps smaller than ``min_gap_size`` prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import ClassVar

import numpy as np
from pydantic import Field

from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.edge_cases import FOREIGN_WORDS, category_matrix, dominant_categories, edge_kinds, load_taxonomy
from curation.detectors.features import reference_embeddings, request_embeddings
from curation.detectors.graph import UnionFind
from curation.detectors.labels import LABEL_STOPWORDS, group_label, label_terms, user_text
from curation.detectors.labels import script_of  # noqa: F401  (re-exported: it lived here)
from curation.detectors.neighbors import knn
from curation.detectors.rules import rule
from curation.schema import Finding

REFERENCE_REGION = rule(
    "coverage.reference_region",
    "a cluster of reference prompts with far less training "
    "data nearby than its share of the reference (support ratio below the threshold)",
)


def form_text(text: str) -> str:
    """What the form view reads of a prompt: a template shows at its start and end, so the
    middle of a long one (an article) is skipped."""
    return text if len(text) <= 600 else text[:400] + " … " + text[-200:]


def covering(
    ref_vecs: np.ndarray,
    ref_kinds: Sequence[frozenset[str]],
    cand_vecs: np.ndarray,
    cand_kinds: Callable[[int], frozenset[str]],
    cover_cosine: float,
    most: int = 1,
) -> list[list[int]]:
    """Per reference prompt, up to ``most`` candidates (positions) that cover it, closest first:
    close in meaning (embedding cosine at least ``cover_cosine``) and of every edge-case kind
    the prompt is (``ref_kinds``; ``cand_kinds(j)`` gives candidate j's, computed only for
    close ones). Meaning alone is not enough: a training question on the same topic is within
    0.85-0.93 cosine of that question asked with conflicting instructions ("answer in one
    word but explain in detail: ..."), which it does not cover; nor does an English question
    cover its German twin, or a plain question an injection wrapped around it."""
    out: list[list[int]] = [[] for _ in ref_kinds]
    if not len(ref_kinds) or not len(cand_vecs):
        return out
    sims = ref_vecs @ cand_vecs.T
    for i, row in enumerate(sims):
        close = np.flatnonzero(row >= cover_cosine)
        for j in close[np.argsort(-row[close], kind="stable")]:
            if ref_kinds[i] <= cand_kinds(int(j)):
                out[i].append(int(j))
                if len(out[i]) == most:
                    break
    return out


def drop_self(idx: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each query's own row (query i is base row i) from k+1 neighbours, keep k."""
    keep = idx != np.arange(len(idx))[:, None]
    keep[keep.all(axis=1), -1] = False  # self not among them: drop the farthest instead
    return idx[keep].reshape(len(idx), k), sims[keep].reshape(len(idx), k)


def form_neighbours(texts: list[str], n_ref: int, k: int, block: int = 512) -> tuple[np.ndarray, np.ndarray] | None:
    """k nearest rows (excluding itself) of each of the first ``n_ref`` texts by shared
    frequent word bigrams/trigrams (binary, cosine); None when no n-gram is frequent."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize as l2

    min_df = int(np.clip(len(texts) // 200, 2, 5))
    vec = CountVectorizer(
        ngram_range=(2, 3), min_df=min_df, binary=True, token_pattern=r"(?u)\b\w+\b|[^\w\s]", dtype=np.float32
    )
    try:
        x = l2(vec.fit_transform(texts))
    except ValueError:  # empty vocabulary: texts too few or too different
        return None
    xt = x.T.tocsr()
    idx = np.zeros((n_ref, k), np.int64)
    sims = np.zeros((n_ref, k), np.float32)
    for s in range(0, n_ref, block):
        m = (x[s : min(s + block, n_ref)] @ xt).toarray()
        m[np.arange(len(m)), np.arange(s, s + len(m))] = -1.0
        part = np.argpartition(-m, k - 1, axis=1)[:, :k]
        val = np.take_along_axis(m, part, axis=1)
        order = np.lexsort((part, -val), axis=1)
        idx[s : s + block] = np.take_along_axis(part, order, axis=1)
        sims[s : s + block] = np.take_along_axis(val, order, axis=1)
    return idx, sims


def classifier_support(
    ref: np.ndarray,
    train: np.ndarray,
    ref_texts: list[str],
    train_texts: list[str],
    folds: int = 5,
    max_train: int = 20_000,
    seed: int = 0,
) -> np.ndarray:
    """Training support of each reference prompt as a density ratio, estimated by a classifier.

    A logistic regression learns to tell reference prompts from training prompts (sentence
    embedding + word 1-3-gram TF-IDF features); its out-of-fold probability ``p`` that a
    reference prompt is a reference prompt gives the ratio of training to reference density
    there, ``(1 - p) / p * n_ref / n_train``: about 1 where the training data covers the
    prompt, near 0 in a region only the reference set reaches (a task family, a phrasing, an
    edge case such as "answer in one word but explain in detail" that no neighbour count sees
    because the topic words match). Out-of-fold, so a prompt never scores itself.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    n_r = len(ref)
    pick = np.arange(len(train))
    if len(pick) > max_train:  # the ratio needs a fair sample of the training data, not all of it
        pick = np.sort(np.random.default_rng(seed).choice(len(pick), max_train, replace=False))
    n_t = len(pick)
    folds = int(min(folds, n_r, n_t))
    if folds < 2:
        return np.ones(n_r)
    vec = TfidfVectorizer(
        ngram_range=(1, 3), min_df=2, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b|[?!]", dtype=np.float32
    )
    try:
        words = vec.fit_transform(ref_texts + [train_texts[i] for i in pick])
    except ValueError:  # empty vocabulary
        words = sparse.csr_matrix((n_r + n_t, 0), dtype=np.float32)
    # unit embeddings are scaled up so that meaning weighs about as much as wording
    x = sparse.hstack([sparse.csr_matrix(np.vstack([ref, train[pick]]) * 4.0), words]).tocsr()
    y = np.r_[np.ones(n_r), np.zeros(n_t)]
    p = np.full(n_r, n_r / (n_r + n_t))
    for fit, held in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = LogisticRegression(C=1.0, max_iter=2000).fit(x[fit], y[fit])
        held = held[held < n_r]
        p[held] = model.predict_proba(x[held])[:, 1]
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return (1 - p) / p * (n_r / n_t)


@register
class CoverageGaps(Detector):
    """Reference regions (task families, topics, languages) with too little training support."""

    name: ClassVar[str] = "coverage"
    kinds: ClassVar[tuple[str, ...]] = ("coverage_gap",)

    k: int = Field(10, ge=2, description="neighbours looked at per reference prompt")
    max_support: float = Field(
        0.35,
        ge=0,
        le=1,
        description="flag when the training share of the neighbours is below this fraction of the expected share",
    )
    min_gap_size: int = Field(3, ge=1, description="smallest region reported as a gap")
    link_cosine: float = Field(0.3, ge=-1, le=1, description="flagged prompts this similar are one region")
    nearest_rows: int = Field(5, ge=0, description="training rows listed per gap")
    form_view: bool = Field(True, description="also compare prompt form (frequent word n-grams)")
    classifier_view: bool = Field(
        True, description="also estimate support with a reference-vs-training classifier (density ratio)"
    )
    classifier_max_support: float = Field(
        0.05,
        ge=0,
        le=1,
        description="flag when the classifier's density ratio is below this (it is noisier than the neighbour views)",
    )
    cover_cosine: float = Field(
        0.8,
        ge=-1,
        le=1,
        description="a gap's reference prompt counts as covered once a "
        "training request (an added example included) is this similar to it and of every "
        "edge-case kind it is (another language, conflicting instructions, ...)",
    )
    taxonomy: str | None = Field(
        None, description="edge-case taxonomy whose category names label gaps (default: bundled)"
    )

    def _support(self, idx: np.ndarray, n_r: int, expected: float) -> np.ndarray:
        return (idx >= n_r).mean(axis=1) / expected

    def detect(self, ctx: ScanContext) -> list[Finding]:
        if not ctx.reference or not ctx.examples:
            return []
        ref, train = reference_embeddings(ctx), request_embeddings(ctx)
        n_r, n_t = len(ref), len(train)
        k = min(self.k, n_r + n_t - 1)
        ref_texts = [e.user_request or e.request for e in ctx.reference]
        train_texts = [e.user_request or e.request for e in ctx.examples]
        views = [drop_self(*knn(ref, np.vstack([ref, train]), k + 1), k)]
        if self.form_view:
            # a template shows at the start and end of a prompt: skip long middles (articles)
            texts = [form_text(t) for t in ref_texts + [e.request for e in ctx.examples]]
            form = form_neighbours(texts, n_r, k)
            if form is not None:
                views.append(form)
        expected = n_t / (n_t + n_r - 1)
        supports = [self._support(idx, n_r, expected) for idx, _ in views]
        by_classifier = np.zeros(n_r, bool)
        if self.classifier_view:
            ratio = classifier_support(ref, train, ref_texts, train_texts)
            by_classifier = ratio < self.classifier_max_support
            # on the neighbour views' scale: flagged exactly when below its own threshold
            supports.append(ratio * self.max_support / max(self.classifier_max_support, 1e-9))
        support = np.min(supports, axis=0)
        flagged = support < self.max_support
        uf = UnionFind()
        for r in np.flatnonzero(flagged):
            uf.find(int(r))
            for (idx, sims), sup in zip(views, supports):
                if sup[r] >= self.max_support and not by_classifier[r]:
                    continue  # link through a view in which this prompt is unsupported
                for nb, s in zip(idx[r], sims[r]):
                    if nb < n_r and flagged[nb] and s >= self.link_cosine:
                        uf.union(int(r), int(nb))
        groups = [m for m in uf.groups() if len(m) >= self.min_gap_size]
        labels = self.labels(ctx, groups)
        return [
            self._finding(ctx, members, ref, train, support, expected, label) for members, label in zip(groups, labels)
        ]

    def labels(self, ctx: ScanContext, groups: list[list[int]]) -> list[tuple[str, list[str], str | None]]:
        """(label, keywords, edge-case category ids or None) per group of reference positions.

        The taxonomy's category names when categories match at least half of the group;
        else 2-4 keywords of the group's user turns by class-based TF-IDF (``labels``), after
        the name of a category that matches a good part of it ("Other languages + system
        prompt, new task")."""
        if not groups:
            return []
        texts = [user_text(e) or e.user_request for e in ctx.reference]
        cats = load_taxonomy(self.taxonomy)
        matrix = category_matrix(ctx.reference, cats)
        found = [dominant_categories(g, matrix) for g in groups]
        named = [bool(c) and matrix[np.ix_(g, c)].any(axis=1).mean() >= 0.5 for g, c in zip(groups, found)]
        # keywords describe what the category names leave out
        rest_of = [[m for m in g if not matrix[m, c].any()] or g for g, c in zip(groups, found)]
        in_group = {m for g in groups for m in g}
        terms = label_terms(
            [[texts[m] for m in g] for g in rest_of],
            [t for i, t in enumerate(texts) if i not in in_group],
            stop=LABEL_STOPWORDS | FOREIGN_WORDS,
        )
        out = []
        for c, full, rest, words in zip(found, named, rest_of, terms):
            names = " + ".join(cats[i].label for i in c)
            if full:
                label = names
            else:
                keywords = group_label([texts[m] for m in rest], words, k=2 if names else 4)
                label = " + ".join(x for x in (names, keywords) if x) or "gap"
            out.append((label, words, "+".join(cats[i].id for i in c) or None))
        return out

    def _finding(self, ctx, members, ref, train, support, expected, label) -> Finding:
        label, words, category = label
        centroid = ref[members].mean(axis=0)
        centroid /= max(np.linalg.norm(centroid), 1e-12)
        near = np.argsort(-(train @ centroid), kind="stable")[: self.nearest_rows]
        share = float(np.mean(support[members]))
        ref_rows = tuple(ctx.reference[m].row for m in members)
        # the closeness a gap is closed by, prompt by prompt: rows already that close
        cats = load_taxonomy(self.taxonomy)
        kinds = lru_cache(maxsize=None)(lambda j: edge_kinds(ctx.examples[j], cats))
        found = covering(
            ref[members], [edge_kinds(ctx.reference[m], cats) for m in members], train, kinds, self.cover_cosine, most=3
        )
        covered_by = {
            str(ctx.reference[m].row): [ctx.examples[i].row for i in rows] for m, rows in zip(members, found) if rows
        }
        return Finding(
            kind="coverage_gap",
            detector=self.name,
            rows=tuple(ctx.examples[int(i)].row for i in near),
            reference_rows=ref_rows,
            score=float(np.clip(1.0 - share, 0.0, 1.0)),
            reason=f"{len(members)} reference prompts about '{label}' have almost no training "
            f"examples nearby ({share:.0%} of the expected training share).",
            evidence={
                "rules": [{"id": REFERENCE_REGION.id}],
                "label": label,
                "keywords": words,
                "category": category,
                "n_reference": len(members),
                "support_ratio": round(share, 4),
                "expected_train_share": round(expected, 4),
                "nearest_train_similarity": round(float(train[near[0]] @ centroid), 4) if len(near) else None,
                "covered_by": covered_by,
                "thresholds": self.settings(),
            },
        )
