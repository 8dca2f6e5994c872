"""Coverage gaps: regions of the reference prompts that the training data barely reaches.

Density ratio, not distance: every reference prompt looks at its ``k`` nearest neighbours
among reference + training prompts together, in two views: meaning (sentence embeddings,
which separate topics and languages) and form (frequent word bigrams/trigrams, which separate
prompt templates: two task families about the same science facts differ mostly in form). Where the training data covers a region, about
``n_train / (n_train + n_ref)`` of those neighbours are training prompts; in a gap (a task
family, template, topic or language the training set lacks) nearly all are other reference
prompts. Under-supported reference prompts are linked to their under-supported neighbours,
and each connected region of at least ``min_gap_size`` prompts is one ``coverage_gap``
finding, labelled with its most distinctive terms and listing the nearest training rows.

A nearest-neighbour distance threshold alone misses dense gaps (many similar reference
prompts with a distant-but-not-far training example) and flags every lone outlier; the
ratio avoids both. Not handled: gaps smaller than ``min_gap_size`` prompts.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import ClassVar

import numpy as np
from pydantic import Field

from curation.detectors import text as tx
from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.features import reference_embeddings, request_embeddings
from curation.detectors.graph import UnionFind
from curation.detectors.neighbors import knn
from curation.schema import Finding

_SCRIPT = re.compile(r"[^\W\d_]", re.UNICODE)


def top_terms(texts: list[str], background: Counter, n_background: int, k: int = 4) -> list[str]:
    """Terms frequent in ``texts`` and rare in the background (document-frequency lift)."""
    df = Counter(w for t in texts for w in set(tx.content_words(t)) if not w.isdigit())
    scored = [(c / len(texts) * np.log((n_background + 1) / (background[w] + 1)), w)
              for w, c in df.items() if c >= max(2, len(texts) // 5)]
    terms = [w for _, w in sorted(scored, reverse=True)[:k]]
    scripts = [s for s, c in Counter(script_of(t) for t in texts).most_common(2)
               if s != "latin" and c >= len(texts) / 3]
    return [f"{s} text" for s in scripts] + terms[: k - len(scripts)]


def script_of(text: str) -> str:
    """A coarse script name for the letters of ``text`` (latin, cyrillic, cjk, ...)."""
    letters = _SCRIPT.findall(text)
    if not letters:
        return "symbols"
    counts = Counter()
    for ch in letters[:200]:
        cp = ord(ch)
        counts["latin" if cp < 0x250 else "cyrillic" if 0x400 <= cp < 0x530 else
               "arabic" if 0x600 <= cp < 0x700 else "devanagari" if 0x900 <= cp < 0x980 else
               "thai" if 0xE00 <= cp < 0xE80 else "hangul" if 0xAC00 <= cp < 0xD7B0 else
               "cjk" if 0x3040 <= cp < 0xA000 else "other"] += 1
    return counts.most_common(1)[0][0]


def drop_self(idx: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each query's own row (query i is base row i) from k+1 neighbours, keep k."""
    keep = idx != np.arange(len(idx))[:, None]
    keep[keep.all(axis=1), -1] = False  # self not among them: drop the farthest instead
    return idx[keep].reshape(len(idx), k), sims[keep].reshape(len(idx), k)


def form_neighbours(texts: list[str], n_ref: int, k: int, block: int = 512
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """k nearest rows (excluding itself) of each of the first ``n_ref`` texts by shared
    frequent word bigrams/trigrams (binary, cosine); None when no n-gram is frequent."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize as l2

    min_df = int(np.clip(len(texts) // 200, 2, 5))
    vec = CountVectorizer(ngram_range=(2, 3), min_df=min_df, binary=True,
                          token_pattern=r"(?u)\b\w+\b|[^\w\s]", dtype=np.float32)
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


def classifier_support(ref: np.ndarray, train: np.ndarray, ref_texts: list[str],
                       train_texts: list[str], folds: int = 5, max_train: int = 20_000,
                       seed: int = 0) -> np.ndarray:
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
    vec = TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                          token_pattern=r"(?u)\b\w+\b|[?!]", dtype=np.float32)
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
    max_support: float = Field(0.35, ge=0, le=1, description="flag when the training share of the "
                               "neighbours is below this fraction of the expected share")
    min_gap_size: int = Field(3, ge=1, description="smallest region reported as a gap")
    link_cosine: float = Field(0.3, ge=-1, le=1, description="flagged prompts this similar are one region")
    nearest_rows: int = Field(5, ge=0, description="training rows listed per gap")
    form_view: bool = Field(True, description="also compare prompt form (frequent word n-grams)")
    classifier_view: bool = Field(True, description="also estimate support with a reference-vs-training "
                                  "classifier (density ratio)")
    classifier_max_support: float = Field(0.05, ge=0, le=1, description="flag when the classifier's "
                                          "density ratio is below this (it is noisier than the neighbour views)")

    def _support(self, idx: np.ndarray, n_r: int, expected: float) -> np.ndarray:
        return (idx >= n_r).mean(axis=1) / expected

    def detect(self, ctx: ScanContext) -> list[Finding]:
        if not ctx.reference or not ctx.examples:
            return []
        ref, train = reference_embeddings(ctx), request_embeddings(ctx)
        n_r, n_t = len(ref), len(train)
        k = min(self.k, n_r + n_t - 1)
        ref_texts = [e.user_request or e.request for e in ctx.reference]
        views = [drop_self(*knn(ref, np.vstack([ref, train]), k + 1), k)]
        if self.form_view:
            # a template shows at the start and end of a prompt: skip long middles (articles)
            texts = [t if len(t) <= 600 else t[:400] + " … " + t[-200:]
                     for t in ref_texts + [e.request for e in ctx.examples]]
            form = form_neighbours(texts, n_r, k)
            if form is not None:
                views.append(form)
        expected = n_t / (n_t + n_r - 1)
        supports = [self._support(idx, n_r, expected) for idx, _ in views]
        by_classifier = np.zeros(n_r, bool)
        if self.classifier_view:
            ratio = classifier_support(ref, train, ref_texts,
                                       [e.user_request or e.request for e in ctx.examples])
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
        background = Counter(w for t in ref_texts for w in set(tx.content_words(t)))
        out = []
        for members in uf.groups():
            if len(members) < self.min_gap_size:
                continue
            out.append(self._finding(ctx, members, ref, train, support, ref_texts, background, expected))
        return out

    def _finding(self, ctx, members, ref, train, support, ref_texts, background, expected) -> Finding:
        centroid = ref[members].mean(axis=0)
        centroid /= max(np.linalg.norm(centroid), 1e-12)
        near = np.argsort(-(train @ centroid), kind="stable")[: self.nearest_rows]
        label = ", ".join(top_terms([ref_texts[m] for m in members], background, len(ref_texts)))
        share = float(np.mean(support[members]))
        ref_rows = tuple(ctx.reference[m].row for m in members)
        return Finding(
            kind="coverage_gap", detector=self.name,
            rows=tuple(ctx.examples[int(i)].row for i in near), reference_rows=ref_rows,
            score=float(np.clip(1.0 - share, 0.0, 1.0)),
            reason=f"{len(members)} reference prompts about '{label}' have almost no training "
                   f"examples nearby ({share:.0%} of the expected training share).",
            evidence={"label": label, "n_reference": len(members), "support_ratio": round(share, 4),
                      "expected_train_share": round(expected, 4),
                      "nearest_train_similarity": round(float(train[near[0]] @ centroid), 4) if len(near) else None,
                      "thresholds": self.settings()},
        )
