"""People, roles and what each role may do; password hashing for team mode.

Roles are ordered: an admin can do everything a curator can, a curator everything an
annotator can. Passwords are stored as salted scrypt hashes, never in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ROLES = ("annotator", "curator", "admin")

PERMISSIONS = {
    "review": "annotator",  # see queues, record decisions, judge A/B
    "scan": "curator",  # configure and run scans
    "export": "curator",
    "train": "curator",  # launch fine-tunes and comparisons
    "adjudicate": "curator",
    "manage_users": "admin",
}


def allowed(role: str | None, permission: str) -> bool:
    """Whether ``role`` may do ``permission`` (unknown roles may do nothing)."""
    if role not in ROLES:
        return False
    need = PERMISSIONS[permission]
    return ROLES.index(role) >= ROLES.index(need)


def hash_password(password: str, salt: bytes | None = None) -> str:
    if not password:
        raise ValueError("empty password")
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$") or not password:
        return False
    _, salt_b64, digest_b64 = stored.split("$")
    salt = base64.b64decode(salt_b64)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))
