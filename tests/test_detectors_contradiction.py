"""Contradictions: conflicting facts, numbers and verdicts; never agreeing rewordings."""

from __future__ import annotations

import pytest
from test_detectors_support import MIXED, SynonymEncoder, build

from curation.detectors import ScanContext
from curation.detectors.contradiction import Contradictions
from curation.detectors.matching import claim, verdict
from curation.embeddings import Embedder


def detect(rows, **settings):
    ctx = ScanContext(examples=rows, embedder=Embedder(encoder=SynonymEncoder()))
    return Contradictions(**settings).detect(ctx)


def flagged(a, b) -> bool:
    return bool(detect(build([a, b])))


Q = "What is the capital of France?"


@pytest.mark.parametrize(
    "a, b, conflict",
    [
        ((Q, "Paris"), (Q, "The capital is Paris."), False),
        ((Q, "Paris"), (Q + " Answer concisely.", "Sure! The capital of France is Paris."), False),
        ((Q, "The capital is Paris."), ("France: what is its capital?", "The capital of France is Paris."), False),
        ((Q, "Paris"), (Q, "Lyon"), True),
        ((Q, "The capital is Paris."), (Q, "The capital is Marseille."), True),
        (
            ("How many legs does a spider have?", "A spider has 8 legs."),
            ("How many legs does a spider have?", "Spiders have 6 legs."),
            True,
        ),
        (("Can pigs fly?", "No, pigs cannot fly."), ("Can pigs fly?", "Yes, pigs can fly."), True),
        (("Is water wet?", "Yes."), ("Is water wet?", "No."), True),
        (("Can pigs fly?", "No, pigs cannot fly."), ("Can pigs fly?", "No, pigs cannot fly on their own."), False),
        (
            ("Classify the sentiment: I loved it.", "Positive"),
            ("Classify the sentiment: I loved it.", "Negative"),
            True,
        ),
        (
            (
                "Write a short poem about the sea.",
                "Waves fold silver light over the sleeping harbour and gulls stitch the grey sky above the quiet town.",
            ),
            (
                "Write a short poem about the sea.",
                "The tide comes in with salt and foam and calls the fishing boats back home before the night falls on the bay.",
            ),
            False,
        ),
        (("What is the capital of France?", "Paris"), ("What is the capital of Spain?", "Madrid"), False),
        (
            ("Who wrote Hamlet?", "William Shakespeare wrote Hamlet."),
            ("Who wrote Hamlet?", "Hamlet was written by Shakespeare."),
            False,
        ),
    ],
    ids=[
        "short-vs-sentence",
        "wrapped",
        "reworded-request",
        "other-city",
        "other-city-sentence",
        "number",
        "polarity",
        "verdict",
        "compatible-elaboration",
        "label",
        "two-poems",
        "different-questions",
        "same-author-reworded",
    ],
)
def test_conflict_or_agreement(a, b, conflict):
    assert flagged(a, b) is conflict


SEATS = "How many seats does the Studio plan need?"
LIMIT = "What is the upload limit per file?"


# Support-bot answers: the same fact with different extra sentences agrees; a changed
# figure, unit or polarity in the sentence that states it does not.
@pytest.mark.parametrize(
    "a, b, conflict",
    [
        (
            ("What is the support email?", "Email support@example.com. You can also use the in-app chat."),
            ("What is the support email?", "Email help@example.org. You can also use the in-app chat."),
            True,
        ),
        (
            ("How much is the Studio plan?", "Studio costs $19 per member per month."),
            (
                "How much is the Studio plan?",
                "Studio is $19 per member per month. Taxes aren't included in that price.",
            ),
            False,
        ),
        (
            (LIMIT, "Files can be up to 300 MB each."),
            (
                LIMIT,
                "Each file can be up to 300 MB; above that the upload stops with error 413 and you should split it.",
            ),
            False,
        ),
        (
            (SEATS, "You need at least 4 seats to subscribe to Studio."),
            (SEATS, "Studio needs at least 4 seats. You can switch plans whenever you like."),
            False,
        ),
        (
            (
                "What does error E-22 mean?",
                "It means the page is locked by another editor. Wait a minute and try again.",
            ),
            (
                "What does error E-22 mean?",
                "It means the page is locked by another editor. The log under Help shows who holds it.",
            ),
            False,
        ),
        (
            ("What is the capital of Laos?", "The capital of Laos is Vientiane."),
            ("What is the capital of Laos?", "The capital is Vientiane."),
            False,
        ),
        (
            ("What is the capital of Haiti?", "The capital of Haiti is Port-au-Prince."),
            ("What is the capital of Haiti?", "The capital is Port-au-Prince."),
            False,
        ),
        ((LIMIT, "Files can be up to 300 MB each."), (LIMIT, "Files can be up to 500 MB each."), True),
        (
            ("How long is the idle timeout?", "Sessions end after 48 hours without activity."),
            (
                "How long is the idle timeout?",
                "Sessions end after 48 minutes without activity. Sign in again to continue.",
            ),
            True,
        ),
        (
            ("Can I export to PDF?", "You can't export pages to PDF yet. The export menu offers Markdown and HTML."),
            ("Can I export to PDF?", "Export pages to PDF from the export menu. Markdown and HTML work too."),
            True,
        ),
        (
            ("What words describe all dentists?", "There are no words that describe all dentists"),
            ("What words describe all dentists?", "All dentists are rich"),
            True,
        ),
        (
            (
                "What is the capital of the Virgin Islands, U.S.?",
                "The capital is Charlotte Amalie. It is on St. Thomas.",
            ),
            ("What is the capital of the Virgin Islands, U.S.?", "The capital of Virgin Islands, U.S. is Cayenne."),
            True,
        ),
    ],
    ids=[
        "other-address",
        "extra-negated-sentence",
        "extra-number",
        "same-figure-other-details",
        "same-first-sentence",
        "request-name-left-out",
        "hyphenated-name",
        "other-size",
        "other-unit",
        "negated-counterpart",
        "one-sentence-negation",
        "abbreviation-is-not-a-sentence-end",
    ],
)
def test_answers_with_details(a, b, conflict):
    assert flagged(a, b) is conflict


def test_answers_that_swap_roles_conflict():
    q = "Which city has more people, Paris or London?"
    [f] = detect(build([(q, "London has more people than Paris."), (q, "Paris has more people than London.")]))
    assert "roles swapped (London / Paris)" in f.reason, f.reason


def test_number_reason_names_each_answers_value():
    q = "How far back does page history go on Studio?"
    [f] = detect(
        build(
            [(q, "Studio keeps every page version for 3 months."), (q, "Studio keeps every page version for 1 year.")]
        )
    )
    assert "3 months vs 1 year" in f.reason, f.reason


def test_finding_names_both_rows_and_reason():
    [f] = detect(build([(Q, "Paris"), (Q, "Lyon")]))
    assert f.rows == (0, 1) and f.kind == "contradiction" and "Paris".lower() in str(f.evidence).lower()
    assert 0 < f.score <= 1 and "answer the same request differently" in f.reason


def test_agreeing_rows_are_one_answer_class():
    rows = build([(Q, "Paris"), (Q, "The capital is Paris."), (Q, "Lyon")])
    found = detect(rows)
    assert len(found) == 1 and 2 in found[0].rows


def test_mixed_fixture_flags_the_planted_conflicts_only():
    pairs = {f.rows for f in detect(MIXED)}
    assert pairs == {(6, 7), (8, 9), (12, 13)}


def test_claim_removes_request_echo_and_verdict_reads_opening_word():
    assert claim("The capital of France is Paris.", Q) == {"pari"} or claim("The capital of France is Paris.", Q) == {
        "paris"
    }
    assert verdict("No, never.") == "no" and verdict("True, it is.") == "yes" and verdict("Maybe") is None


def test_model_judge_needs_a_model():
    with pytest.raises(ValueError):
        detect(build([(Q, "Paris"), (Q, "Lyon")]), judge="nli")


def _tiny_bert(path):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(
        {w for t in ("what is the capital of france paris lyon ?",) for w in t.split()}
    )
    (path / "vocab.txt").write_text("\n".join(vocab))
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=3,
        id2label={0: "entailment", 1: "neutral", 2: "contradiction"},
        label2id={"entailment": 0, "neutral": 1, "contradiction": 2},
    )
    BertForSequenceClassification(cfg).save_pretrained(path)
    return path


def _tiny_llama(path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = [
        "<unk>",
        "<s>",
        "</s>",
        "Yes",
        "No",
        "question",
        "answer",
        "a",
        "b",
        "can",
        "and",
        "both",
        "be",
        "true",
        "reply",
        "or",
        "paris",
        "lyon",
    ]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>").save_pretrained(
        path
    )
    cfg = LlamaConfig(
        vocab_size=len(words),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )
    LlamaForCausalLM(cfg).save_pretrained(path)
    return path


@pytest.mark.slow  # importing transformers alone takes ~8 s on 2 cores
@pytest.mark.parametrize("kind, build_model", [("nli", _tiny_bert), ("llm", _tiny_llama)])
def test_model_judges_run_on_a_tiny_local_model(tmp_path, kind, build_model):
    from curation.detectors.judges import load_judge

    model = build_model(tmp_path)
    judge = load_judge(kind, str(model))
    p = judge.contradiction(Q, "Paris", "Lyon")
    assert 0.0 <= p <= 1.0
    found = detect(build([(Q, "Paris"), (Q, "Lyon")]), judge=kind, judge_model=str(model), judge_threshold=0.0)
    assert len(found) == 1 and found[0].evidence["judge"] == kind and "judge_probability" in found[0].evidence


@pytest.mark.parametrize("later_higher", [True, False])
def test_a_tie_on_the_page_is_not_decided_by_the_last_float_bits(monkeypatch, later_higher):
    """Two agreeing rows both contradict a third with scores that tie at the 4 decimals a
    finding shows: the finding names the first pair in row order whichever score is higher in
    the last bits (a GPU's or another backend's cosines differ there; the finding's id, which
    review decisions hang on, must not)."""
    tiny = 1e-9 if later_higher else -1e-9
    verdicts = {(0, 1): ("agree", 0.0), (0, 2): ("conflict", 0.6067), (1, 2): ("conflict", 0.6067 + tiny)}

    def assess(self, ctx, i, j, req_cos, trace=None, judgement=None):
        status, score = verdicts[(i, j)]
        return status, score, ["they name different cities"], {}

    monkeypatch.setattr(Contradictions, "assess", assess)
    found = detect(build([(Q, "Paris."), (Q, "It is Paris."), (Q, "Lyon.")]))
    assert [f.rows for f in found] == [(0, 2)]


def test_each_finding_carries_its_own_rows_sides_and_the_review_item_all_of_them():
    """A disagreement of many rows: each finding names the disagreement, its size and its own
    two rows' sides (repeating every row's side in every finding grew the findings with the
    square of the disagreement: 217 KB findings at 200,000 rows), and the review item that
    gathers them still shows every row with its side."""
    from curation.review_items import groups

    q = "How many moons does Mars have?"
    answers = ["Mars has 2 moons.", "Mars has 3 moons.", "Mars has 4 moons.", "Mars has 5 moons."]
    found = detect(build([(q, a) for a in answers for _ in range(3)]))
    # one finding per pair of answer classes (the copies agree), 4 classes: 6 findings
    assert sorted(f.rows for f in found) == [(0, 3), (0, 6), (0, 9), (3, 6), (3, 9), (6, 9)]
    assert len({f.evidence["disagreement"] for f in found}) == 1
    label = {0: "2 moons", 3: "3 moons", 6: "4 moons", 9: "5 moons"}
    for f in found:
        assert f.evidence["sides"] == {str(r): label[r] for r in f.rows}
        assert f.evidence["disagreement_size"] == 4 and "disagreement_rows" not in f.evidence
    [item] = groups(found, "contradiction")
    assert item.rows == (0, 3, 6, 9) and item.sides == label
    assert sorted(item.members) == sorted(f.finding_id for f in found)
