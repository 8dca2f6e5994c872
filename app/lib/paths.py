"""Which folders the app may read from and write to, and safe file names inside them.

Imports may come from the workspace, the repository's data/ folder and any folder listed
in ``CURATE_IMPORT_DIRS`` (os.pathsep-separated); exports go to the workspace's exports/
folder only. A name that resolves outside its folder (``..``, absolute paths, symlinks
pointing out) is refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from curation.demo import DEMO_DIR
from curation.store import Workspace

REPO_DATA = DEMO_DIR.parent  # data/ in a checkout; <prefix>/share/curation-workbench when installed
MAX_UPLOAD_MB = int(os.environ.get("CURATE_MAX_UPLOAD_MB", "200"))
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class PathError(ValueError):
    """A path outside the allowed folders, or an unusable file name."""


def import_roots(ws: Workspace) -> list[Path]:
    extra = [Path(p) for p in os.environ.get("CURATE_IMPORT_DIRS", "").split(os.pathsep) if p]
    return [p.resolve() for p in [ws.root, REPO_DATA, *extra]]


def inside(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == r or resolved.is_relative_to(r) for r in roots)


def safe_name(name: str, default: str = "file") -> str:
    """A plain file name: no folders, no leading dots, only letters, digits, '.', '_', '-'."""
    cleaned = _SAFE_NAME.sub("-", Path(name).name).lstrip(".-")
    return cleaned[:120] or default


def export_path(ws: Workspace, name: str) -> Path:
    """Where an export called ``name`` goes: always directly inside the workspace exports/."""
    out = ws.exports_dir / safe_name(name, "export")
    if not inside(out, [ws.exports_dir.resolve()]):
        raise PathError(f"export must stay inside {ws.exports_dir}")
    return out


def import_path(ws: Workspace, raw: str) -> Path:
    """A file to ingest, typed by the user: it must exist inside an allowed folder."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = ws.root / path
    if not inside(path, import_roots(ws)):
        raise PathError(f"{raw} is outside the allowed folders: " + ", ".join(map(str, import_roots(ws))))
    if not path.is_file():
        raise PathError(f"{raw} is not a file")
    return path.resolve()


def upload_path(ws: Workspace, name: str, size: int) -> Path:
    """Where an uploaded file is stored (workspace uploads/), after the size check."""
    if size > MAX_UPLOAD_MB * 1024 * 1024:
        raise PathError(f"{name} is {size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_MB} MB")
    folder = ws.root / "uploads"
    folder.mkdir(exist_ok=True)
    return folder / safe_name(name, "upload.jsonl")
