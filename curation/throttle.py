"""Sign-in throttling policy: how long a sign-in attempt must wait, per account and per client.

Pure arithmetic over one counter per key (``account:<name>`` or ``client:<address>``); the
counters live in the database (``signin_throttle``), so every server process and every
browser session shares them. An attempt is counted *before* its password is checked and
forgotten again when it succeeds, so parallel attempts cannot slip past the limit while
the first ones are still being checked. After the k-th failure of an account the next
attempt waits ``base_delay * 2**(k-1)`` seconds (1, 2, 4, 8 s ...); the ``account_limit``-th
failure locks the account for ``lockout`` seconds. A client (an address) is throttled
the same way from half its (larger) limit on, so one machine cannot walk through many
names. Failures are forgotten ``window`` seconds after the last one, and when a lockout ends.
Unknown names are counted like real ones, so a lockout does not tell whether a name exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    account_limit: int = 5  # failures on one name before it is locked
    client_limit: int = 20  # failures from one client address before it is locked
    base_delay: float = 1.0  # seconds after the first failure; doubles with each one
    max_delay: float = 60.0
    lockout: float = 15 * 60.0  # seconds a lockout lasts
    window: float = 15 * 60.0  # failures are forgotten this long after the last one

    @classmethod
    def from_env(cls) -> ThrottlePolicy:
        """The policy, with ``CURATE_SIGNIN_LIMIT`` (failures per account before a lockout),
        ``CURATE_LOCKOUT_MINUTES`` and ``CURATE_SIGNIN_DELAY`` (seconds after the first
        failure) when set."""
        base = cls()
        limit = int(os.environ.get("CURATE_SIGNIN_LIMIT", base.account_limit))
        minutes = float(os.environ.get("CURATE_LOCKOUT_MINUTES", base.lockout / 60))
        delay = float(os.environ.get("CURATE_SIGNIN_DELAY", base.base_delay))
        return cls(
            account_limit=max(1, limit),
            client_limit=max(4 * limit, base.client_limit),
            base_delay=max(0.0, delay),
            lockout=minutes * 60,
            window=max(base.window, minutes * 60),
        )

    def limit(self, key: str) -> int:
        return self.client_limit if key.startswith("client:") else self.account_limit

    def delay(self, key: str, failures: int) -> float:
        """Seconds the next attempt waits after ``failures`` recent failures of ``key``."""
        free = self.client_limit // 2 if key.startswith("client:") else 0
        if failures <= free:
            return 0.0
        return min(self.max_delay, self.base_delay * 2 ** (failures - free - 1))

    def current(self, failures: int, last_at: float, locked_until: float | None, now: float) -> int:
        """The failures that still count at ``now`` (none after the window or a lockout)."""
        if locked_until is not None and now >= locked_until:
            return 0
        if locked_until is None and now - last_at > self.window:
            return 0
        return failures

    def wait(self, key: str, failures: int, last_at: float, locked_until: float | None, now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        if locked_until is not None and now < locked_until:
            return locked_until - now
        failures = self.current(failures, last_at, locked_until, now)
        if failures >= self.limit(key):  # counted attempts in flight reached the limit
            return self.lockout
        return max(0.0, last_at + self.delay(key, failures) - now)
