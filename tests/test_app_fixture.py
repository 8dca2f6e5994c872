"""A small, realistic review workspace shared by the review and app tests (no models).

A support assistant for a fictional note-taking app: duplicate groups, contradictions,
a coverage gap against a reference prompt set, a quality and a leakage finding, inserted
with Workspace.add_scan the way a scan would store them. One row carries HTML and
markdown so tests can check that example text is always shown escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

from curation import signin
from curation.auth import hash_password
from curation.schema import Finding
from curation.store import Workspace
from curation.workbench import ingest_file

SYSTEM = "You are the support assistant for Notable, a note-taking app."
TRAIN = [
    ("How do I reset my password?", "Open Settings > Account and choose Reset password; we email you a link."),  # 0
    ("how do i reset my password", "Open Settings > Account and choose Reset password; we email you a link."),  # 1
    ("How can I reset my password?", "Go to Settings > Account, pick Reset password, and follow the email."),  # 2
    ("What does the Pro plan cost?", "The Pro plan costs $12 per month, billed monthly."),  # 3
    ("How much is Notable Pro?", "Notable Pro is $15 per month."),  # 4
    ("How many devices can I sync on the free plan?", "Free accounts sync two devices."),  # 5
    ("How many devices does the free plan sync?", "The free plan syncs up to five devices."),  # 6
    ("Is there a dark mode?", "Yes, switch it on under Settings > Appearance > Theme."),  # 7
    ("Is there a dark mode?", "Yes, switch it on under Settings > Appearance > Theme."),  # 8
    ("Where do deleted notes go?", "Deleted notes stay in Trash for 30 days before they are removed."),  # 9
    ("Can I export my notes to PDF?", "Yes. Open the note, click Share, then Export as PDF."),  # 10
    (
        "Render this: <script>alert('x')</script> **bold** ![img](http://evil.example/t.png)",
        "I can't run scripts, but here is the text: <b>hello</b> :red[alert]",
    ),  # 11
    ("ok", "ok"),  # 12
    ("What is the answer to question 17 of the Notable certification exam?", "The answer is C."),  # 13
]
CATEGORIES = [
    "account",
    "account",
    "account",
    "billing",
    "billing",
    "sync",
    "sync",
    "settings",
    "settings",
    "notes",
    "notes",
    "safety",
    "other",
    "other",
]
REFERENCE = [
    ("Can I share a notebook with my team?", "collaboration"),
    ("How do I invite a colleague to edit a note?", "collaboration"),
    ("What is the Pro plan price?", "billing"),
    ("Comment partager une note ?", "multilingual"),
]


def build_workspace(root: Path, users: bool = True) -> tuple[Workspace, int]:
    """Ingest the fixture data and store one scan of findings; returns (workspace, dataset id)."""
    root.mkdir(parents=True, exist_ok=True)
    train = root / "train.jsonl"
    train.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"ex{i}",
                    "category": cat,
                    "source": "tickets" if i % 2 else "docs",
                    "messages": [
                        {"role": "system", "content": SYSTEM},
                        {"role": "user", "content": q},
                        {"role": "assistant", "content": a},
                    ],
                }
            )
            + "\n"
            for i, ((q, a), cat) in enumerate(zip(TRAIN, CATEGORIES))
        ),
        encoding="utf-8",
    )
    ref = root / "reference.jsonl"
    ref.write_text("".join(json.dumps({"prompt": p, "category": c}) + "\n" for p, c in REFERENCE), encoding="utf-8")
    ws = Workspace(root / "ws")
    ds, _, _ = ingest_file(ws, train)
    rd, _, _ = ingest_file(ws, ref, is_reference=True)
    findings = [
        Finding(
            "duplicate",
            "minhash",
            (0, 1, 2),
            0.96,
            "Three rewordings of the password-reset question.",
            {
                "representative": 0,
                "representative_reason": "most complete answer",
                "members": [
                    {"row": 1, "edge": "near", "similarity": 0.98, "linked_to": 0, "how": "re-cased"},
                    {"row": 2, "edge": "semantic", "similarity": 0.91, "linked_to": 0, "how": "reworded"},
                ],
                "rules": [
                    {"id": "dup.request_near", "links": 1},
                    {"id": "dup.request_semantic", "links": 1},
                    {"id": "dup.answer_exact", "links": 2},
                ],
            },
        ),
        Finding(
            "duplicate",
            "exact",
            (7, 8),
            1.0,
            "Identical dark-mode question and answer.",
            {"representative": 7, "rules": [{"id": "dup.exact", "links": 1}]},
        ),
        Finding(
            "contradiction",
            "numeric",
            (3, 4),
            0.93,
            "The Pro price differs: $12 vs $15 per month.",
            {
                "conflicts": ["different numbers ($12, $15)"],
                "rules": [{"id": "contra.number_mismatch", "numbers": "12, 15"}],
            },
        ),
        Finding(
            "contradiction",
            "numeric",
            (5, 6),
            0.88,
            "Free-plan device limit differs: two vs five.",
            {"values": ["two", "five"], "rules": [{"id": "contra.claim_words"}]},
        ),
        Finding(
            "coverage_gap",
            "coverage",
            (10, 9),
            0.81,
            "No training example covers sharing and collaboration.",
            {"label": "collaboration", "n_reference": 2},
            reference_rows=(0, 1),
        ),
        Finding(
            "coverage_gap",
            "coverage",
            (),
            0.55,
            "No training example in French.",
            {"label": "multilingual", "n_reference": 1},
            reference_rows=(3,),
        ),
        Finding("quality", "length", (12,), 0.7, "Answer is two characters long.", {"answer_chars": 2}),
        Finding("leakage", "ngram", (13,), 0.9, "Prompt overlaps the certification exam set.", {"overlap": 0.9}),
    ]
    ws.add_scan(
        ds.id,
        findings,
        settings={"detectors": ["exact", "minhash", "numeric", "coverage"], "embedding_model": "hashing"},
        timings={"total": 0.1},
        reference_dataset_id=rd.id,
    )
    if users:
        for name, role in (("ann", "annotator"), ("bob", "annotator"), ("cora", "curator"), ("root", "admin")):
            ws.add_user(name, role, hash_password(f"{name}-pw"))
    return ws, ds.id


def session_for(ws: Workspace, name: str) -> str:
    """A signed-in session of ``name`` (what the sign-in form starts); put it in an AppTest's
    ``session_state["session_token"]`` to open the app as them."""
    return signin.start_session(ws, name)


def team_app(ws: Workspace, monkeypatch, user: str | None = None):  # noqa: ANN001, ANN201
    """An AppTest of the workbench in team mode on ``ws``, signed in as ``user`` (None: at the
    sign-in form); not run yet."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.setenv("CURATE_TEAM_MODE", "1")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "main.py"), default_timeout=60)
    if user:
        at.session_state["session_token"] = session_for(ws, user)
    return at
