"""The text checks of ``matching``, one table keyed by rule id: each check fires on the pair it
is about and stays quiet on a rewording of the same thing. A check's id is what code decides
on (``rules.fired``); its sentence can be reworded freely."""

from __future__ import annotations

import pytest

from curation.detectors import text as tx
from curation.detectors.matching import compare_requests, compare_texts, key_conflicts, order_conflicts, role_swaps
from curation.detectors.rules import RULES, TEXT_CHECKS, rule_of


def checks(a: str, b: str) -> set[str]:
    """Every text check that fires between two texts, by the paths the detectors use."""
    found = key_conflicts(a, b, wording=True) + order_conflicts(a, b, same_length=len(a) >= 0.9 * len(b))
    found += role_swaps(a, b)
    found += compare_requests(a, b, tx.normalize(a), tx.normalize(b), cos=0.85).conflicts
    return {rule_of(c) for c in found}


TABLE = {
    "number_mismatch": [
        ("A spider has 8 legs.", "A spider has 6 legs.", True),
        ("A spider has 8 legs.", "Spiders have eight legs, like all arachnids... 8 of them.", False),
    ],
    "number_order": [
        ("Count from 1 to 10.", "Count from 10 to 1.", True),
        ("Count from 1 to 10.", "Count from 1 to 10 please.", False),
    ],
    "name_mismatch": [
        ("The capital of France is Paris.", "The capital of France is Lyon.", True),
        ("The capital of France is Paris.", "France's capital is Paris.", False),
    ],
    "negation": [("Pigs can fly.", "Pigs cannot fly.", True), ("Pigs cannot fly.", "Pigs are not able to fly.", False)],
    "word_change": [
        ("Store the carrots in a cool place.", "Store the potatoes in a cool place.", True),
        ("Store the carrots in a cool place.", "Store the carrots in a cool place.", False),
    ],
    "name_swap": [
        ("In the final, Germany beat Brazil.", "In the final, Brazil beat Germany.", True),
        ("In the final, Germany beat Brazil.", "In the final Germany beat Brazil.", False),
    ],
    "role_swap": [
        ("Convert miles to km.", "Convert km to miles.", True),
        ("Convert miles to km.", "Please convert miles to km.", False),
    ],
    "word_replaced": [
        ("The French are French.", "The French are rude.", True),
        ("The French are French.", "The French are french.", False),
    ],
    "template_slot": [
        (
            'Given the review "crashes on start every time", would you recommend this app?',
            'Given the review "battery drain is awful lately", would you recommend this app?',
            True,
        ),
        (
            'Given the review "crashes on start every time", would you recommend this app?',
            'Given the review "crashes on start every time", do you recommend this app?',
            False,
        ),
    ],
}


def test_the_table_covers_every_text_check():
    assert set(TABLE) == set(TEXT_CHECKS)
    assert all(f"contra.{name}" in RULES and f"dup.{name}" in RULES for name in TABLE)


@pytest.mark.parametrize("rule_id, a, b, fires", [(r, a, b, f) for r, rows in TABLE.items() for a, b, f in rows])
def test_a_text_check_fires_on_its_pair_and_not_on_a_rewording(rule_id, a, b, fires):
    assert (rule_id in checks(a, b)) is fires, checks(a, b)


def test_a_near_copy_with_a_changed_number_is_not_the_same_text_and_says_why():
    rel = compare_texts(
        "The Pro plan costs $12 per month.",
        "The Pro plan costs $15 per month.",
        "the pro plan costs 12 per month",
        "the pro plan costs 15 per month",
    )
    assert not rel.same and "number_mismatch" in {rule_of(c) for c in rel.conflicts}


PAIRS_FOR_SHORTCUTS = [
    ("Convert 5 miles to km.", "Convert 5 km to miles."),
    ("He returned to England through Scotland.", "He returned to Scotland through England."),
    ("The man is eating cereal.", "Cereal is being eaten by the man."),
    (
        "Given this review: crashes on start, would you recommend the app?",
        "Given this review: battery drain all day, would you recommend the app?",
    ),
    ("What is the capital of France?", "Name three rivers in Germany and their lengths."),
    ("Sort these: apple, pear, plum, fig.", "Sort these: fig, plum, pear, apple."),
    ("the the the cat sat", "cat the sat the the"),
    ("Nick Dakin beat Geoff Barraclough in the final.", "Geoff Barraclough beat Nick Dakin in the final."),
    ("", "Anything at all."),
]


def test_the_shortcuts_before_the_alignments_change_no_result(monkeypatch):
    """role_swaps and slot_conflicts skip their SequenceMatcher alignment when the texts'
    shared token count is below their threshold: that count bounds what any alignment can
    match, so skipping must give what the alignment would have given."""
    import curation.detectors.matching as m

    pairs = PAIRS_FOR_SHORTCUTS + [(b, a) for a, b in PAIRS_FOR_SHORTCUTS]
    fast = [(m.role_swaps(a, b), m.slot_conflicts(a, b)) for a, b in pairs]
    monkeypatch.setattr(m, "shared_count", lambda x, y: 10**9)  # never skip
    assert [(m.role_swaps(a, b), m.slot_conflicts(a, b)) for a, b in pairs] == fast
    assert any(r for r, _ in fast) and any(s for _, s in fast)  # the pairs do hold swaps and slots


def test_shared_count_bounds_the_alignment():
    from collections import Counter
    from difflib import SequenceMatcher

    from curation.detectors.matching import shared_count

    for a, b in PAIRS_FOR_SHORTCUTS:
        ta, tb = tx.words(a), tx.words(b)
        matched = sum(x.size for x in SequenceMatcher(None, ta, tb, autojunk=False).get_matching_blocks())
        assert matched <= shared_count(Counter(ta), Counter(tb)) == shared_count(Counter(tb), Counter(ta))
    assert shared_count(Counter("the the cat".split()), Counter("the cat cat dog".split())) == 2


def test_cached_tokens_are_each_callers_own_and_long_texts_are_tokenised_too():
    text = "Paris is the capital of France."
    first = tx.words(text)
    first.append("changed")
    assert tx.words(text) == ["paris", "is", "the", "capital", "of", "france"]
    long = "Word " * 1500 + "end."  # over the cached length: computed every time, the same way
    assert tx.words(long) == ["word"] * 1500 + ["end"]
    assert tx.content_words(long) == ["word"] * 1500 + ["end"]


def test_a_repeated_check_of_one_text_pair_gives_each_caller_its_own_list():
    a, b = "Convert miles to km for the trip.", "Convert km to miles for the trip."
    first = role_swaps(a, b)
    assert len(first) == 1
    first.append("changed by a caller")
    again = role_swaps(a, b)  # the remembered result, not the caller's list
    assert again == first[:1] and again is not first


def test_a_judgement_travels_compactly_and_comes_back_equal():
    """A scan holds a judgement per candidate pair and unpickles them from the memo and from
    worker results: they keep no per-instance dict, and their conflicts (reason sentences
    that know their rule) survive the trip."""
    import pickle

    from curation.detectors.matching import judge_pair

    req = ("How many legs does a spider have?", "How many legs does a spider have?")
    ans = ("A spider has 8 legs.", "A spider has 6 legs.")
    jd = judge_pair(req, tuple(map(tx.normalize, req)), ans, tuple(map(tx.normalize, ans)), 1.0, 0.95)
    assert jd.conflict_candidate and isinstance(jd.answer.conflicts, tuple)
    back = pickle.loads(pickle.dumps(jd, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == jd and hash(back) == hash(jd)
    assert [(str(c), rule_of(c)) for c in back.answer.conflicts] == [(str(c), rule_of(c)) for c in jd.answer.conflicts]
    assert "number_mismatch" in {rule_of(c) for c in back.answer.conflicts}
    for obj in (back, back.request, back.answer):
        assert not hasattr(obj, "__dict__")
    # built from their fields in one call, not by a state dict read through
    # ``dataclasses.fields`` per object (2.7x slower both ways at the memo's millions)
    import pickletools

    ops = {op.name for op, _, _ in pickletools.genops(pickle.dumps(jd, protocol=pickle.HIGHEST_PROTOCOL))}
    assert "BUILD" not in ops and "REDUCE" in ops


def test_judgements_read_back_share_one_object_per_distinct_reason():
    """Read back from the memo or a worker, judgements repeat the same few reasons (at 200,000
    rows 1.35M reasons held 161k distinct values): each distinct reason is one object while
    any judgement holds it, with its rule and details intact, and leaves nothing behind after."""
    import gc
    import pickle

    from curation.detectors import rules
    from curation.detectors.matching import judge_pair

    def judge(n: int):
        req = (f"How many legs does spider {n} have?", f"How many legs does spider {n} have?")
        ans = ("A spider has 8 legs.", "A spider has 6 legs.")
        return judge_pair(req, tuple(map(tx.normalize, req)), ans, tuple(map(tx.normalize, ans)), 1.0, 0.95)

    made = [judge(n) for n in range(3)]
    assert made[0].answer.conflicts[0] is not made[1].answer.conflicts[0]  # made apart: equal, not shared
    back = pickle.loads(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == made
    first = back[0].answer.conflicts
    for other in back[1:]:
        assert all(x is y for x, y in zip(other.answer.conflicts, first, strict=True))
    assert [(str(c), rule_of(c), c.detail) for c in first] == [
        (str(c), rule_of(c), c.detail) for c in made[0].answer.conflicts
    ]
    # a reason with other details stays its own object
    one, other = rules.Rule("t.x", "x", "x {n}").hit(n=1), rules.Rule("t.x", "x", "x {n}").hit(n=2)
    a, b = pickle.loads(pickle.dumps((one, rules.Rule("t.x", "x", "x {n}").hit(n=1), other)))[::2]
    assert a.detail == {"n": 1} and b.detail == {"n": 2} and a is not b
    reasons = {str(c) for c in made[0].answer.conflicts}
    assert [k for k in rules._HITS if k[0] in reasons]
    del back, first, other, a, b
    gc.collect()
    assert not [k for k in rules._HITS if k[0] in reasons or k[1] == "t.x"]


def test_the_scans_shortcuts_change_no_verdict_it_reads():
    """The scan judges pairs without ``every_field``: the answers of two different requests
    are not compared, and requests that cannot be the same are not searched for what else
    differs. On the demo's neighbouring rows, with cosines across the thresholds, every
    verdict the scan reads (same request, duplicate, conflict candidate, and the whole
    judgement of a same-request pair) is the one the full comparison gives, and the
    shortcuts are taken often enough to matter."""
    import random
    from pathlib import Path

    from curation.detectors.matching import NOT_COMPARED, judge_pair
    from curation.formats import read_examples

    demo = Path(__file__).resolve().parents[1] / "data" / "demo" / "train.jsonl"
    texts = [(ex.user_request, ex.answer) for ex in read_examples(demo).examples if ex.has_answer]
    order = sorted(range(len(texts)), key=lambda k: tx.normalize(texts[k][0]))
    rng = random.Random(5)
    thresholds = {"same_answer_request": 0.85}
    same = skipped_answers = fewer_checks = 0
    for k in range(len(order) - 3):
        for d in (1, 2, 3):
            (qa, aa), (qb, ab) = texts[order[k]], texts[order[k + d]]
            args = ((qa, qb), (tx.normalize(qa), tx.normalize(qb)), (aa, ab), (tx.normalize(aa), tx.normalize(ab)))
            cos = rng.uniform(0.75, 1.0)
            ans_cos = rng.choice([None, rng.uniform(0.8, 1.0)])
            fast = judge_pair(*args, req_cos=cos, ans_cos=ans_cos, **thresholds)
            full = judge_pair(*args, req_cos=cos, ans_cos=ans_cos, every_field=True, **thresholds)
            assert (fast.request.same, fast.duplicate, fast.conflict_candidate) == (
                full.request.same,
                full.duplicate,
                full.conflict_candidate,
            ), (qa, qb)
            if full.request.same:
                same += 1
                assert fast == full, (qa, qb)
            else:
                skipped_answers += fast.answer is NOT_COMPARED
                fewer_checks += fast.request != full.request
    assert same > 300 and skipped_answers > 1000 and fewer_checks > 300, (same, skipped_answers, fewer_checks)


def test_a_text_cut_to_the_shared_span_keeps_its_words_whole():
    """The longer of two near-identical texts is compared only as far as the shorter one
    goes (it may be the uncut copy). Cut mid-word, "the United States of America" left "Ame",
    read as a name the other answer lacks: a contradiction "names differ (ame)" between two
    answers that agree (alpagasus claude_t45, rows 2748 and 4629)."""
    from curation.detectors.matching import cut_at_word

    a = "The three most populous countries in the world are China, India, and the United States of America."
    b = "The 3 most populous countries in the world are China, India, and the United States."
    rel = compare_texts(a, b, tx.normalize(a), tx.normalize(b))
    assert rel.same and rel.kind == "near", rel
    assert cut_at_word(a, len(b) + 10).endswith("United States of ")
    assert cut_at_word("Berlin and Paris", 9) == "Berlin "  # "an" of "and" dropped
    assert cut_at_word("Berlin and Paris", 7) == "Berlin "  # the cut falls between words
    assert cut_at_word("Berlin", 40) == "Berlin"
