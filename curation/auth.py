"""People, roles and what each role may do; password hashing for team mode.

Roles are ordered: an admin can do everything a curator can, a curator everything an
annotator can. Passwords are stored as Argon2id hashes (argon2-cffi) at OWASP's parameters
(19 MiB, 2 passes, 1 lane), never in clear. Hashes written by older versions (scrypt with
N=2^14) still verify, and ``verify_password`` says when a hash should be written again at
the current parameters (on the next successful sign-in). ``check_password`` against no hash
at all (an unknown or disabled person) costs the same as against a real one, so the time a
sign-in takes does not tell whether a name exists.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("annotator", "curator", "admin")

PERMISSIONS = {
    "review": "annotator",  # see queues, record decisions, judge A/B
    "scan": "curator",  # configure and run scans
    "export": "curator",
    "train": "curator",  # launch fine-tunes and comparisons
    "adjudicate": "curator",
    "manage_users": "admin",
}

# OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # what versions before schema v5 stored


def allowed(role: str | None, permission: str) -> bool:
    """Whether ``role`` may do ``permission`` (unknown roles may do nothing)."""
    if role not in ROLES:
        return False
    need = PERMISSIONS[permission]
    return ROLES.index(role) >= ROLES.index(need)


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (a PHC string with its own salt and parameters)."""
    if not password:
        raise ValueError("empty password")
    return _HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (False for no hash; same cost either way)."""
    return check_password(password, stored)[0]


def check_password(password: str, stored: str | None) -> tuple[bool, bool]:
    """(matches, rehash): ``rehash`` is True when ``stored`` matched but was written with
    older parameters or scheme, so the caller should store ``hash_password(password)``.

    Without a usable hash (unknown person, disabled, none set) the password is checked
    against a dummy hash of the same parameters, so the answer takes as long."""
    password = password or ""
    if stored and stored.startswith("scrypt$"):
        return _check_scrypt(password, stored), True
    if not stored or not stored.startswith("$argon2"):
        _verify_argon2(password, _dummy_hash())
        return False, False
    ok = _verify_argon2(password, stored) and bool(password)
    return ok, ok and _HASHER.check_needs_rehash(stored)


def _verify_argon2(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(base64.b64encode(os.urandom(18)).decode())


def _check_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
        salt, want = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return bool(password) and hmac.compare_digest(digest, want)


def legacy_scrypt_hash(password: str, salt: bytes | None = None) -> str:
    """A hash in the scheme versions before schema v5 wrote (for tests of the upgrade path)."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()
