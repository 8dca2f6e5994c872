"""LoRA runs that prove a curation worked: train arms that differ only in data, evaluate them
against the base model, and compare them with paired statistics.

Entry points (imported lazily by callers; nothing heavy happens at import time):

- ``training.config.RunConfig``: one run, fully described; round-trips to JSON/TOML.
- ``training.trainer.train``: one LoRA training with checkpoints, resume and progress.
- ``training.compare.run_comparison``: curated vs baseline vs random control vs base model.
- ``training.stats``: paired bootstrap, sign test, win rates, position bias.

This package may import ``curation`` (the core) but never the app.

Importing it sets ``OMP_WAIT_POLICY=PASSIVE`` unless already set (effective only if torch is
not loaded yet): on a shared CPU, OpenMP threads that spin at barriers while their sibling is
descheduled made a 2-thread LoRA step ~15x slower than with passive waiting (measured here
with other jobs on the same 2 cores); when the machine is idle the cost of passive waiting is
small.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
