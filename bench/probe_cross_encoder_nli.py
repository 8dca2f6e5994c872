"""Probe: does the bundled MiniLM, fine-tuned as an NLI cross-encoder, separate real conflicts?

    python bench/probe_cross_encoder_nli.py [--limit N] [--out FILE]

The second learned route to issue 15's real-data precision (after
``probe_embedding_nli.py``, which reads sentence vectors). This one lets the two answers'
tokens attend to each other: the bundled all-MiniLM-L6-v2 weights get a 3-way
classification head (entailment / neutral / contradiction) and are fine-tuned for one epoch
on the SNLI dev+test pairs of ``esnli_snli_devtest`` (19,666 pairs, batch 32, AdamW 4e-5,
seed 0, 2 threads; about 15 minutes on 2 cores). Then:

- cross-dataset: P(contradiction) on SICK train (4,500 pairs) against SICK's labels;
- as a gate on the pairs the rules flag (the contract's development set and the three
  labelled real sources of ``bench/real_pairs``): P = the larger of both orders, and per
  threshold the real precision and the development-set conflicts that survive.

Nothing is saved but the printed figures. Needs ``../shared``; says so and exits 0 without it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = ROOT.parent / "shared" / "data"
LABELS = {"entailment": 0, "neutral": 1, "contradiction": 2}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="train on the first N shuffled pairs (a smoke run)")
    ap.add_argument("--workspace", default=str(ROOT / ".workspace" / "bench"))
    ap.add_argument("--out", default=None, help="also write the report here")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"no public data at {DATA}: nothing to probe")
        return 0
    import torch
    from sklearn.metrics import roc_auc_score
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import probe_embedding_nli
    from curation.embeddings import default_model_path

    say, lines = probe_embedding_nli.reporter()
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(2)
    path = default_model_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3)
    prem, hyp, names, src = probe_embedding_nli.nli_pairs()
    pairs = [(p, h, LABELS[n], w) for p, h, n, w in zip(prem, hyp, names, src)]
    snli = [(p, h, c) for p, h, c, w in pairs if w == "snli"]
    sick = [(p, h, c) for p, h, c, w in pairs if w == "sick"]
    random.shuffle(snli)
    train = snli[: args.limit] if args.limit else snli
    opt = torch.optim.AdamW(model.parameters(), lr=4e-5)
    model.train()
    t0 = time.time()
    for s in range(0, len(train), 32):
        b = train[s : s + 32]
        enc = tok(
            [x[0] for x in b], [x[1] for x in b], truncation=True, max_length=128, padding=True, return_tensors="pt"
        )
        loss = model(**enc, labels=torch.tensor([x[2] for x in b])).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    say(f"fine-tuned on {len(train)} SNLI pairs in {time.time() - t0:.0f} s")
    model.eval()

    def p_contra(pairs: list[tuple[str, str]]) -> np.ndarray:
        out: list[float] = []
        with torch.no_grad():
            for s in range(0, len(pairs), 64):
                b = pairs[s : s + 64]
                enc = tok(
                    [x[0] for x in b],
                    [x[1] for x in b],
                    truncation=True,
                    max_length=256,
                    padding=True,
                    return_tensors="pt",
                )
                out += torch.softmax(model(**enc).logits, -1)[:, 2].tolist()
        return np.array(out)

    y = np.array([label == 2 for *_, label in sick])
    say(f"SNLI -> SICK contradiction AUC {roc_auc_score(y, p_contra([(a, b) for a, b, _ in sick])):.3f}")
    flagged = probe_embedding_nli.flagged_pairs(Path(args.workspace))
    p = np.maximum(p_contra([(o["a"], o["b"]) for o in flagged]), p_contra([(o["b"], o["a"]) for o in flagged]))
    dev = np.array([o["source"] == "dev" for o in flagged])
    real_true = (~dev) & (np.array([o["label"] for o in flagged]) == "conflict")
    say(
        f"AUC among {int((~dev).sum())} real flagged pairs (conflict vs the rest): {roc_auc_score(real_true[~dev], p[~dev]):.3f}"
    )
    probe_embedding_nli.gate_table(p, flagged, (0.1, 0.2, 0.3, 0.5, 0.7), say)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
