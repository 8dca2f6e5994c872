"""Exact, MinHash and semantic duplicates, and the field-aware duplicate graph."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_detectors_support import MIXED, SynonymEncoder, build

from curation.detectors import ScanContext
from curation.detectors.duplicates import Duplicates
from curation.detectors.exact import ExactDuplicates
from curation.detectors.features import request_embeddings
from curation.detectors.graph import Edge, UnionFind
from curation.detectors.matching import compare_requests, role_swaps
from curation.detectors.minhash import MinHashDuplicates, shingle_hashes, signatures
from curation.detectors.neighbors import cell_members, knn, similar_pairs, spherical_kmeans
from curation.detectors.semantic import SemanticDuplicates
from curation.detectors.text import normalize
from curation.embeddings import Embedder


def ctx(examples):
    return ScanContext(examples=examples, embedder=Embedder(encoder=SynonymEncoder()))


def pairs(findings):
    return {p for f in findings for p in itertools.combinations(sorted(f.rows), 2)}


LONG = (
    "Photosynthesis is the process by which green plants use sunlight, water and carbon "
    "dioxide to make glucose and release oxygen. It happens mainly in the leaves, inside "
    "chloroplasts, and it is the basis of almost every food chain on Earth."
)

NEAR = build(
    [
        ("Explain photosynthesis in simple terms.", LONG),
        ("Explain photosyntesis in simple terms.", LONG.replace("glucose", "glucos")),  # typos
        ("EXPLAIN PHOTOSYNTHESIS IN SIMPLE TERMS", LONG.upper()),  # re-cased
        ("Question: Explain photosynthesis in simple terms. Thanks in advance!", "Sure! " + LONG),  # wrapped
        ("Explain photosynthesis in simple terms.", LONG[:90]),  # truncated answer
        ("Explain photosynthesis in simple terms.", "Plants eat soil to grow; sunlight plays no part."),
        ("Describe the water cycle.", "Water evaporates, condenses into clouds and falls as rain."),
    ]
)


@pytest.mark.parametrize(
    "detector, expected",
    [
        (ExactDuplicates(), {(0, 1), (0, 2), (1, 2)}),
    ],
)
def test_exact_normalises_case_whitespace_punctuation(detector, expected):
    assert pairs(detector.detect(ctx(MIXED))) == expected


def test_minhash_finds_typos_recasing_wrappers_truncation_not_other_answers():
    found = pairs(MinHashDuplicates().detect(ctx(NEAR)))
    assert {(0, 1), (0, 2)} <= found
    assert not any(5 in p or 6 in p for p in found)


def test_duplicate_graph_one_finding_per_group_with_representative():
    findings = Duplicates().detect(ctx(NEAR))
    assert len(findings) == 1
    f = findings[0]
    assert f.rows == (0, 1, 2, 3, 4)
    # the clean original, not the longest answer (row 3 wraps the request and adds "Sure!")
    assert f.evidence["representative"] == 0
    why = f.evidence["representative_reason"]
    assert why.startswith("kept row 0: the others ") and all(f"row {r}" in why for r in (1, 2, 3, 4))
    assert {m["edge"] for m in f.evidence["members"]} <= {"exact", "near", "semantic"}
    assert 5 not in f.rows


@pytest.mark.parametrize(
    "a, b, dup",
    [
        (
            ("What is the capital of France?", "Paris"),
            ("What is the capital of France?", "The capital is Paris."),
            True,
        ),
        (("What is the capital of Australia?", "Sydney"), ("What is the capital of Australia?", "Canberra"), False),
        (
            ("How many legs does a spider have?", "A spider has 8 legs."),
            ("How many legs does a spider have?", "A spider has 6 legs."),
            False,
        ),
        (
            ("What is the best way to store carrots?", "In the fridge."),
            ("What is the best way to store potatoes?", "In the fridge."),
            False,
        ),
        (
            ("How old is the universe?", "About 13.8 billion years."),
            ("How old is the Earth?", "About 13.8 billion years."),
            False,
        ),
        (
            ("What is the support email?", "Email support@example.com. You can also use the in-app chat."),
            ("What is the support email?", "Email help@example.org. You can also use the in-app chat."),
            False,
        ),
        (
            ("What does error E-22 mean?", "It means the page is locked by another editor."),
            ("What does error E-22 mean?", "E-22 means the page is locked by another editor."),
            True,
        ),
    ],
    ids=[
        "same-claim-reworded",
        "different-entity",
        "different-number",
        "different-request",
        "different-subject",
        "different-address",
        "request-code-repeated",
    ],
)
def test_field_aware_rule(a, b, dup):
    assert bool(Duplicates().detect(ctx(build([a, b])))) is dup


REVIEW = 'Given this review: "{}"\nWould you recommend this app to a friend? Not at all, No, Maybe, Yes, or Definitely?'
NLI = "Premise: A chef slices onions in a busy kitchen.\nHypothesis: {}\nDoes the premise entail the hypothesis?"


@pytest.mark.parametrize(
    "a, b, same",
    [
        (
            REVIEW.format("crashes every time i open the camera screen"),
            REVIEW.format("battery drain got terrible after the update"),
            False,
        ),
        (NLI.format("someone is preparing food."), NLI.format("the chef is asleep at home."), False),
        (
            'I run a forum. One post asks "is green tea good for weight loss?" and another asks "what is a credit score?". '
            "Can I merge them?",
            'I run a forum. One post asks "how do i learn rust?" and another asks "best books on rust?". '
            "Can I merge them?",
            False,
        ),
        (
            "How can I improve the water pressure in my shower?",
            "What can I do to boost the water pressure of my shower?",
            True,
        ),
        ("What is the best way to learn Python quickly?", "What is the fastest way to learn Python?", True),
        (
            "Add a humorous punchline to the following joke: why don't scientists trust atoms?",
            "Generate a humorous punchline for a joke that starts with: why don't scientists trust atoms?",
            True,
        ),
    ],
    ids=["review-template", "premise-hypothesis", "two-question-template", "reworded", "reworded-2", "reworded-long"],
)
def test_template_with_other_content_is_another_request(a, b, same):
    """Templated requests embed close (cosine 0.95 here) but ask about other content; a
    rewording shares fewer verbatim runs or changes fewer words."""
    rel = compare_requests(a, b, normalize(a), normalize(b), 0.95)
    assert rel.same is same, rel


@pytest.mark.parametrize(
    "a, b, swapped",
    [
        ("How do I convert miles to km?", "How do I convert km to miles?", "km / miles"),
        ("Why do Americans hate Muslims?", "Why do Muslims hate Americans?", "Americans / Muslims"),
        (
            "He asked for a passport to return to England through Scotland.",
            "He asked for a passport to return to Scotland through England.",
            "England / Scotland",
        ),
        (
            "He was trained by his grandfather, Nick Dakin, and is now trained by Geoff Barraclough.",
            "He was trained by his grandfather, Geoff Barraclough, and is now coached by Nick Dakin.",
            "Geoff Barraclough / Nick Dakin",
        ),
        (
            "What are the pros and cons of GitHub and Bitbucket?",
            "What are the pros and cons of Bitbucket and GitHub?",
            None,
        ),
        (
            "How do I draw bending moment and shear force diagrams?",
            "How do I draw shear force and bending moment diagrams?",
            None,
        ),
        ("The man is eating cereal.", "Cereal is being eaten by the man.", None),
        ("The bones were found in Austria in 1907.", "The bones were found in 1907 in Austria.", None),
        ("Makers include Citroen, Lancia, Opel and Saab.", "Makers include Opel, Lancia, Citroen and Saab.", None),
        (
            "In Paris, in October 1560, he secretly met the ambassador.",
            "In October 1560, he secretly met the ambassador in Paris.",
            None,
        ),
    ],
    ids=[
        "units",
        "subject-object",
        "route",
        "two-names",
        "coordinated",
        "coordinated-phrases",
        "passive",
        "number-and-place",
        "list",
        "moved-clause",
    ],
)
def test_role_swaps(a, b, swapped):
    """Words that trade places change what is asked; reordered clauses, lists, coordinated
    words and active/passive do not."""
    found = role_swaps(a, b)
    assert (found == []) if swapped is None else (found and swapped in found[0]), found


def test_swapped_roles_are_another_request_and_not_a_conflict():
    """The fake encoder, like a sentence model, cannot see word order: the swapped requests
    embed identically. Their answers differ, but they answer other questions."""
    rows = build(
        [
            ("Convert 5 miles to kilometres.", "5 miles is about 8.05 kilometres."),
            ("Convert 5 kilometres to miles.", "5 kilometres is about 3.11 miles."),
            ("How do I convert miles to km?", None),
            ("How do I convert km to miles?", None),
        ]
    )
    assert (
        compare_requests(
            rows[0].request, rows[1].request, normalize(rows[0].request), normalize(rows[1].request), 1.0
        ).same
        is False
    )
    assert Duplicates().detect(ctx(rows[:2])) == [] and Duplicates().detect(ctx(rows[2:])) == []
    from curation.detectors.contradiction import Contradictions

    assert Contradictions().detect(ctx(rows[:2])) == []


def test_contradicting_rows_never_join_through_a_chain():
    rows = build(
        [
            ("How many legs does a spider have?", "A spider has 8 legs."),
            ("How many legs does a spider have?", "A spider has 8 legs!"),
            ("How many legs does a spider have?", "A spider has 6 legs."),
        ]
    )
    assert pairs(Duplicates().detect(ctx(rows))) == {(0, 1)}


def test_prompt_only_dedupes_on_the_prompt():
    # a one-word swap in an otherwise identical question is a different question (sea/land);
    # rows 0 and 1 are a rewording (the fake encoder treats boost = improve)
    rows = build(
        [
            ("How can I improve the water pressure in my shower?", None),
            ("What can I do to boost the water pressure of my shower?", None),
            ("How do I fix a leaking kitchen tap?", None),
            ("What is the fastest land animal?", None),
            ("What is the fastest sea animal?", None),
        ]
    )
    assert pairs(Duplicates().detect(ctx(rows))) == {(0, 1)}


def test_prompt_only_numbers_must_agree():
    rows = build(
        [
            ("What rank can I expect with 151 marks in the 2016 exam?", None),
            ("What rank can I expect with 134 marks in the 2016 exam?", None),
            ("Is 3 kg of feathers heavier than 5 kg of steel?", None),
            ("Is 5 kg of feathers heavier than 3 kg of steel?", None),
        ]
    )
    assert Duplicates().detect(ctx(rows)) == []


def test_prompt_only_a_number_one_prompt_adds_is_a_detail():
    rows = build(
        [
            ("What is the best online coding bootcamp 2016?", None),
            ("What are the best online coding bootcamps?", None),
            ("How do I fix a leaking kitchen tap?", None),
        ]
    )
    assert pairs(Duplicates().detect(ctx(rows))) == {(0, 1)}


def test_prompt_only_replaced_word_needs_the_strict_cosine():
    # near-identical texts with one word replaced: a synonym keeps the meaning (the fake
    # encoder maps approves = confirms: cosine 1.0); another noun does not (land/sea: 0.8)
    rows = build(
        [
            ("Senate confirms Obama nominee to key appeals court", None),
            ("Senate approves Obama nominee to key appeals court", None),
            ("What is the fastest land animal?", None),
            ("What is the fastest sea animal?", None),
        ]
    )
    found = Duplicates().detect(ctx(rows))
    assert pairs(found) == {(0, 1)}


def _tiny_pair_classifier(path, positive_logit: float, num_labels: int = 2):
    """A tiny BERT pair classifier whose duplicate label gets a fixed large bias, so the
    judge's verdict is known: positive_logit > 0 says 'duplicate' for every pair."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "what", "is", "the", "fastest", "land", "sea", "animal", "?"]
    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(vocab))
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    labels = {0: "not_duplicate", 1: "duplicate"} if num_labels == 2 else {0: "LABEL_0"}
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=num_labels,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(0.0)
        model.classifier.bias[-1] = positive_logit
    model.save_pretrained(path)
    return str(path)


@pytest.mark.slow  # importing transformers alone takes ~8 s on 2 cores
@pytest.mark.parametrize("num_labels", [2, 1])
def test_paraphrase_judge_decides_prompt_only_candidates(tmp_path, num_labels):
    from curation.detectors.judges import JudgeError, ParaphraseJudge

    rows = build([("What is the fastest land animal?", None), ("What is the fastest sea animal?", None)])
    assert pairs(Duplicates().detect(ctx(rows))) == set()  # the cosine rules: another question
    yes = _tiny_pair_classifier(tmp_path / "yes", 8.0, num_labels)
    no = _tiny_pair_classifier(tmp_path / "no", -8.0, num_labels)
    assert ParaphraseJudge(yes).probabilities([("a", "b")])[0] > 0.99
    found = Duplicates(semantic=SemanticDuplicates(paraphrase_judge_model=yes)).detect(ctx(rows))
    assert pairs(found) == {(0, 1)} and "judge" in str(found[0].evidence)
    # and a judge saying no overrules a cosine that alone would make a paraphrase
    water = build(
        [
            ("How can I improve the water pressure in my shower?", None),
            ("What can I do to boost the water pressure of my shower?", None),
        ]
    )
    assert pairs(Duplicates().detect(ctx(water))) == {(0, 1)}
    assert Duplicates(semantic=SemanticDuplicates(paraphrase_judge_model=no)).detect(ctx(water)) == []
    (tmp_path / "empty").mkdir()  # a folder that holds no model: a clear error naming it
    with pytest.raises(JudgeError, match="paraphrase judge could not load .*empty"):
        ParaphraseJudge(str(tmp_path / "empty"))


def test_semantic_detector_alone_reports_groups():
    found = SemanticDuplicates().detect(ctx(NEAR))
    assert found and all(f.kind == "duplicate" for f in found)


def test_union_find_respects_cannot_links():
    uf = UnionFind(cannot_link=[(0, 2)])
    assert uf.union(0, 1) and not uf.union(1, 2)
    assert uf.groups() == [[0, 1]]


def test_group_score_is_weakest_member_link():
    from curation.detectors.features import fields
    from curation.detectors.graph import group_findings

    c = ctx(NEAR)
    f = group_findings([Edge(0, 1, "exact", 1.0), Edge(1, 2, "semantic", 0.93)], fields(c), {})
    assert f[0].score == pytest.approx(0.93) and f[0].detector == "semantic"


def test_minhash_signatures_estimate_jaccard():
    texts = [
        "the quick brown fox jumps over the lazy dog" * 3,
        "the quick brown fox jumps over the lazy cat" * 3,
        "completely unrelated text about tax forms",
    ]
    h, d = shingle_hashes(texts, 5)
    sig = signatures(h, d, 3, 128)
    same = (sig[0] == sig[1]).mean()
    other = (sig[0] == sig[2]).mean()
    assert same > 0.6 and other < 0.1


def test_similar_pairs_inverted_file_matches_exact_search():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((300, 32)).astype(np.float32)
    x = np.vstack([base, base + 0.05 * rng.standard_normal((300, 32)).astype(np.float32)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = set(zip(*similar_pairs(x, 0.9)[:2]))
    approx = set(zip(*similar_pairs(x, 0.9, exact_limit=10)[:2]))
    assert exact and len(approx & exact) / len(exact) > 0.95 and approx <= exact
    idx, sims = knn(x[:3], x, 2, exclude_self=True)
    assert (idx[:, 0] == np.arange(3) + 300).all() and (np.diff(sims, axis=1) <= 0).all()


def test_inverted_file_assigns_rows_in_blocks_as_the_whole_matrix_would():
    # 5,000 rows are more than two assignment blocks: each row must land in its n_probe
    # nearest cells exactly as the whole rows x centroids argsort puts it, rows ascending
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5000, 24)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    cent = spherical_kmeans(x, k=40)
    top = np.argsort(-(x @ cent.T), axis=1)[:, :2]
    cells = cell_members(x, cent, 2)
    assert len(cells) == 40 and sum(map(len, cells)) == 2 * len(x)
    for c, members in enumerate(cells):
        assert (members == np.flatnonzero((top == c).any(axis=1))).all()
    # and the pairs: every pair above the threshold that shares a cell, once, sorted
    close = np.vstack([x[:2500], x[:2500] + 0.05 * rng.standard_normal((2500, 24)).astype(np.float32)])
    close /= np.linalg.norm(close, axis=1, keepdims=True)
    i, j, s = similar_pairs(close, 0.9, exact_limit=10)
    exact = set(zip(*similar_pairs(close, 0.9)[:2]))
    assert (i < j).all() and (np.lexsort((j, i)) == np.arange(len(i))).all()
    assert len(set(zip(i.tolist(), j.tolist()))) == len(i) and len(i) / len(exact) > 0.97
    assert set(zip(i.tolist(), j.tolist())) <= exact and (s >= 0.9).all()


TRIAL = "The free trial lasts 10 days and your notes stay if you do not upgrade."
SAME_ANSWER = build(
    [
        ("How long is the free trial?", TRIAL),
        ("When does my free trial end, how long is it?", TRIAL),  # reworded, answer copied
        ("How long does the Pro trial last?", TRIAL),  # names a plan the others lack
        ("What colour is the logo?", TRIAL),  # unrelated request, same (wrong) answer
        ("Is there a free trial?", "Yes."),  # short stock answer
        ("Can I get a free trial?", "Yes."),
    ]
)


def test_identical_specific_answer_makes_a_reworded_request_a_duplicate():
    found = pairs(SemanticDuplicates().detect(ctx(SAME_ANSWER)))
    assert (0, 1) in found
    assert not any(3 in p for p in found)  # unrelated request: not the same request
    assert not any(2 in p for p in found)  # "Pro" is named in one request only
    assert (4, 5) not in found  # "Yes." is too short to identify a request


def test_negation_in_a_context_sentence_does_not_keep_same_answer_requests_apart():
    answer = "PayPal is not accepted at the moment; please pay with a debit or credit card instead."
    asked = ("Is paying for a subscription with PayPal supported?", answer)
    context = ("I don't have a credit card. Can I use PayPal to pay for a subscription?", answer)
    negated = ("Why can't I pay for my subscription with PayPal?", answer)
    assert pairs(SemanticDuplicates().detect(ctx(build([asked, context])))) == {(0, 1)}
    assert not pairs(SemanticDuplicates().detect(ctx(build([asked, negated]))))  # asks something else


def test_follow_up_in_a_conversation_is_not_the_first_question_again():
    from test_detectors_support import qa

    from curation.detectors.contradiction import Contradictions
    from curation.schema import Example, Turn

    question = "How can I delete all my data and my account?"
    single = qa(0, question, "Open Settings > Account > Delete account and confirm with your password.")
    convo = Example(
        row=1,
        turns=(
            Turn("user", question),
            Turn("assistant", "Settings > Account > Delete account."),
            Turn("user", "ok and export?"),
            Turn("assistant", "Notes can be exported to Markdown, PDF and HTML."),
        ),
        record={},
    )
    c = ctx([single, convo])
    emb = request_embeddings(c)
    assert float(emb[0] @ emb[1]) >= 0.8  # close enough to be compared at all
    assert not Duplicates().detect(c)
    assert not Contradictions().detect(c)


def test_answer_label_is_a_wrapper_not_a_name():
    rows = build(
        [
            ("What Windows version do I need?", "Tidebook for Windows supports Windows 10 (64-bit) and later."),
            (
                "  What Windows version do I need? ",
                "**Answer:** Tidebook for Windows supports Windows 10 (64-bit) and later.",
            ),
        ]
    )
    from curation.detectors.contradiction import Contradictions

    assert pairs(Duplicates().detect(ctx(rows))) == {(0, 1)}
    assert not Contradictions().detect(ctx(rows))


@pytest.mark.parametrize("nudge", [1e-9, -1e-9])
def test_a_near_tie_in_float_bits_links_a_member_the_same_way_on_a_re_scan(nudge):
    # rows 0 and 1 are identical, so row 4 (a truncated copy) is equally similar to both; a
    # cosine read back from the memo can differ from the fresh one in the last bits, and that
    # must not change which row the finding says row 4 is linked to (measured on the 50k bench:
    # a warm re-scan's findings hash differed from the cold scan's by exactly this)
    from curation.detectors.features import fields
    from curation.detectors.graph import group_findings

    f = fields(ctx(NEAR))
    edges = [Edge(0, 1, "exact", 1.0), Edge(0, 4, "semantic", 0.9312), Edge(1, 4, "semantic", 0.9312 + nudge)]
    (finding,) = group_findings(edges, f, {})
    rep = finding.evidence["representative"]
    (member,) = [m for m in finding.evidence["members"] if m["row"] == 4]
    assert member["linked_to"] == rep and member["similarity"] == 0.9312
