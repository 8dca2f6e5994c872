"""Core of the curation workbench: reading data, detectors, workspace store, export.

Nothing here imports streamlit, torch-heavy training code or the app. The Python API
(``Workspace``, ``ingest``, ``scan``, ``findings_frame``, ``export``; see ``curation.api``)
is loaded on first use, so importing a submodule stays cheap.
"""

__version__ = "0.1.0"
__all__ = ["Workspace", "DataError", "ingest", "scan", "findings_frame", "export"]


def __getattr__(name: str):  # noqa: ANN202
    if name == "Workspace":
        from curation.store import Workspace

        return Workspace
    if name == "DataError":
        from curation.formats import DataError

        return DataError
    if name in ("ingest", "scan", "findings_frame", "export"):
        from curation import api

        return getattr(api, name)
    raise AttributeError(f"module 'curation' has no attribute {name!r}")
