"""LoRA runs that prove a curation worked: train arms that differ only in data, evaluate them
against the base model, and compare them with paired statistics.

Entry points (imported lazily by callers; nothing heavy happens at import time):

- ``training.config.RunConfig``: one run, fully described; round-trips to JSON/TOML.
- ``training.trainer.train``: one LoRA training with checkpoints, resume and progress.
- ``training.compare.run_comparison``: curated vs baseline vs random control vs base model.
- ``training.stats``: paired bootstrap, sign test, win rates, position bias.

This package may import ``curation`` (the core) but never the app.

OpenMP wait policy: ``choose_wait_policy()`` (called when ``training.model``, the module that
loads torch for training, is imported) sets ``OMP_WAIT_POLICY=PASSIVE`` when other
processes keep the CPUs busy (measured over 0.2 s from /proc/stat, minus this process's own
use; the load average where /proc is missing) and the variable is unset; it only takes effect
if torch is not loaded yet. On a shared CPU, OpenMP threads that spin at barriers while their
sibling is descheduled made a 2-thread LoRA step ~15x slower than passive waiting (measured
with other jobs on the same 2 cores); on an idle 2-core machine passive waiting made a step
25% slower (352 vs 439 tokens/s), so the default spin-then-sleep policy is kept there. The
1-minute load average alone is a poor guide: it stays high for a minute after a job ends.
"""

import os
import sys
import time


def _cpu_times() -> tuple[float, float, float]:
    """(busy jiffies of all CPUs, total jiffies, this process's jiffies)."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    with open("/proc/self/stat") as f:
        own = f.read().rsplit(")", 1)[1].split()
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields), float(own[11]) + float(own[12])


def _busy(window: float = 0.2) -> bool:
    """True when other processes use at least half a CPU right now."""
    n = os.cpu_count() or 1
    try:
        b0, t0, s0 = _cpu_times()
        time.sleep(window)
        b1, t1, s1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0] >= n
        except OSError:  # no load average on this platform
            return False
    if t1 <= t0:
        return False
    others = max(0.0, (b1 - b0) - (s1 - s0)) / (t1 - t0) * n
    return others >= 0.5


def choose_wait_policy() -> None:
    """Set the wait policy once, before torch loads; commands that never train pay nothing."""
    if "OMP_WAIT_POLICY" not in os.environ and "torch" not in sys.modules and _busy():
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
