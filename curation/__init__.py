"""Core of the curation workbench: reading data, detectors, workspace store, export.

Nothing here imports streamlit, torch-heavy training code or the app.
"""

__version__ = "0.1.0"
