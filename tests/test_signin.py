"""Signing in (team mode): throttling and lockout shared by every session and process, the
same cost for unknown and known names, rehashing of older hashes, session timeouts, and a
role or state change taking effect on the next request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from scipy.stats import mannwhitneyu

from curation import auth, people, signin
from curation.auth import hash_password, legacy_scrypt_hash
from curation.signin import SessionPolicy, sign_in
from curation.store import Workspace
from curation.throttle import ThrottlePolicy

PASSWORD = "correct horse battery staple"
POLICY = ThrottlePolicy(account_limit=5, client_limit=20, base_delay=1.0, lockout=900.0, window=900.0)
NO_DELAY = ThrottlePolicy(account_limit=5, client_limit=20, base_delay=0.0, lockout=900.0, window=900.0)
UNLIMITED = ThrottlePolicy(account_limit=10**9, client_limit=10**9, base_delay=0.0)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    w = Workspace(tmp_path / "ws")
    w.add_user("ann", "annotator", hash_password(PASSWORD))
    w.add_user("root", "admin", hash_password(PASSWORD + " root"))
    return w


def test_lockout_after_n_failures_with_growing_delays(ws):
    t = 1_000_000.0
    waits = []
    for _ in range(POLICY.account_limit):
        assert not sign_in(ws, "ann", "wrong", "10.0.0.1", POLICY, now=t).ok
        waits.append(sign_in(ws, "ann", PASSWORD, "10.0.0.1", POLICY, now=t).wait)  # too soon: refused
        t += 100.0
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]  # exponential delay, then the lockout
    assert waits[4] == POLICY.lockout
    locked = sign_in(ws, "ann", PASSWORD, "10.0.0.2", POLICY, now=t)  # right password, another client
    assert not locked.ok and "Too many failed sign-ins" in locked.message
    assert sign_in(ws, "ann", PASSWORD, "10.0.0.2", POLICY, now=t - 100 + POLICY.lockout + 1).ok
    events = [e["action"] for e in ws.audit_events(person="ann")]
    assert events.count("signin_failed") == POLICY.account_limit and events.count("lockout") == 1


def test_unknown_names_lock_out_like_real_ones(ws):
    outcomes = [sign_in(ws, "nobody", "wrong", "", NO_DELAY, now=1000.0 + i).message for i in range(6)]
    assert outcomes[:5] == [signin.FAILED] * 5 and "Too many" in outcomes[5]


def test_one_client_cannot_walk_through_many_names(ws):
    t = 5000.0
    for i in range(NO_DELAY.client_limit):
        sign_in(ws, f"guess{i}", "wrong", "10.9.9.9", NO_DELAY, now=t)
    assert "Too many" in sign_in(ws, "ann", PASSWORD, "10.9.9.9", NO_DELAY, now=t).message
    assert sign_in(ws, "ann", PASSWORD, "10.0.0.1", NO_DELAY, now=t).ok  # the account itself is fine


def burst(open_ws: Callable[[], Workspace], name: str, n: int = 20) -> list[signin.Outcome]:
    """``n`` wrong-password sign-ins for ``name`` at once, each through its own Workspace (its
    own engine and connections, as separate server processes have)."""
    start = threading.Barrier(n)
    results: list[signin.Outcome] = []

    def attempt() -> None:
        mine = open_ws()
        start.wait()
        results.append(sign_in(mine, name, "wrong", "", NO_DELAY))

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def test_parallel_sessions_share_one_throttle(ws):
    """20 attempts at once: only the limit's worth of passwords are ever checked, then the
    right password is refused too."""
    results = burst(lambda: Workspace(ws.root), "ann")
    checked = [e for e in ws.audit_events(["signin_failed"]) if e["target"] == "ann"]
    assert len(results) == 20 and len(checked) == NO_DELAY.account_limit
    assert sum(r.message == signin.FAILED for r in results) == NO_DELAY.account_limit
    assert not sign_in(ws, "ann", PASSWORD, "", NO_DELAY).ok


def _timings(ws: Workspace, names: tuple[str, str], n: int = 50) -> tuple[list[float], list[float]]:
    """Sign-in times of ``names[0]`` and ``names[1]`` with a wrong password, interleaved so
    that drift in the machine's load falls on both alike."""
    out: tuple[list[float], list[float]] = ([], [])
    for i in range(n):
        for j in (i % 2, 1 - i % 2):
            t0 = time.perf_counter()
            sign_in(ws, names[j], "wrong password", "", UNLIMITED)
            out[j].append(time.perf_counter() - t0)
    return out


@pytest.mark.slow
def test_unknown_and_known_names_take_the_same_time(ws, monkeypatch):
    """50 sign-ins each: a Mann-Whitney U test finds no difference between an unknown and a
    known name; the same test does find the difference when unknown names skip the hash
    (what versions before schema v5 did), so it has the power to see one."""
    known, unknown = _timings(ws, ("ann", "nobody-here"))
    p_same = mannwhitneyu(known, unknown).pvalue
    real = signin.check_password
    monkeypatch.setattr(signin, "check_password", lambda pw, stored: real(pw, stored) if stored else (False, False))
    known_old, unknown_old = _timings(ws, ("ann", "nobody-here"))
    p_old = mannwhitneyu(known_old, unknown_old).pvalue
    print(
        f"median known {sorted(known)[25] * 1e3:.1f} ms, unknown {sorted(unknown)[25] * 1e3:.1f} ms, p={p_same:.3f}; "
        f"without the dummy hash: {sorted(known_old)[25] * 1e3:.1f} vs {sorted(unknown_old)[25] * 1e3:.1f} ms, "
        f"p={p_old:.1e}"
    )
    assert p_old < 1e-6, p_old
    assert p_same > 1e-3, (p_same, sorted(known)[25], sorted(unknown)[25])


@pytest.mark.parametrize(
    "old_hash",
    [
        pytest.param(lambda pw: legacy_scrypt_hash(pw), id="scrypt N=2^14"),
        pytest.param(
            lambda pw: PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(pw),
            id="argon2id below OWASP",
        ),
    ],
)
def test_an_older_hash_is_rewritten_on_sign_in(ws, old_hash):
    ws.update_user("ann", password_hash=old_hash(PASSWORD))
    before = ws.user("ann")["password_hash"]
    assert not sign_in(ws, "ann", "wrong", "", UNLIMITED).ok
    assert ws.user("ann")["password_hash"] == before  # a failure rewrites nothing
    assert sign_in(ws, "ann", PASSWORD, "", UNLIMITED).ok
    after = ws.user("ann")["password_hash"]
    assert after != before and after.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert auth.check_password(PASSWORD, after) == (True, False)
    assert ws.audit_events(["signin"])[0]["detail"] == {"rehashed": True}
    assert sign_in(ws, "ann", PASSWORD, "", UNLIMITED).ok and ws.user("ann")["password_hash"] == after


def test_a_session_survives_a_reload_until_idle_or_absolute_timeout(ws):
    policy = SessionPolicy(idle=600.0, absolute=3600.0)
    token = signin.start_session(ws, "ann", now=1000.0)
    assert signin.session_user(ws, token, policy, now=1500.0)["name"] == "ann"  # a reload: the same token
    assert signin.session_user(ws, token, policy, now=2050.0)["name"] == "ann"  # used at 1500, idle 550 s
    assert signin.session_user(ws, token, policy, now=2050.0 + 601) is None  # idle too long
    assert signin.session_user(ws, token, policy, now=2060.0 + 601) is None  # and ended for good
    busy = signin.start_session(ws, "ann", now=10_000.0)
    for t in range(10_000, 13_600, 300):  # used every 5 minutes...
        assert signin.session_user(ws, busy, policy, now=float(t)) is not None
    assert signin.session_user(ws, busy, policy, now=13_601.0) is None  # ...still ends after an hour
    assert [e["detail"]["idle"] for e in ws.audit_events(["session_expired"])] == [False, True]


def test_role_change_and_disabling_take_effect_on_the_next_request(ws):
    token = signin.start_session(ws, "ann")
    people.set_role(ws, "ann", "curator", by="root")
    assert signin.session_user(ws, token)["role"] == "curator"
    assert sign_in(ws, "ann", PASSWORD, "", UNLIMITED).ok  # the role change kept the password
    people.disable(ws, "ann", by="root")
    assert signin.session_user(ws, token) is None
    assert not sign_in(ws, "ann", PASSWORD, "", UNLIMITED).ok
    people.enable(ws, "ann", by="root")
    assert sign_in(ws, "ann", PASSWORD, "", UNLIMITED).ok and signin.session_user(ws, token) is None
    other = signin.start_session(ws, "ann")
    people.remove(ws, "ann", by="root")
    assert signin.session_user(ws, other) is None and ws.user("ann") is None
    assert not sign_in(ws, "ann", PASSWORD, "", UNLIMITED).ok


def test_sign_out_everywhere_ends_every_session(ws):
    tokens = [signin.start_session(ws, "ann") for _ in range(3)]
    mine = signin.start_session(ws, "root")
    assert signin.end_everywhere(ws, "ann", "ann") == 3
    assert all(signin.session_user(ws, t) is None for t in tokens)
    assert signin.session_user(ws, mine)["name"] == "root"
