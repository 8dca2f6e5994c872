"""Detectors: importing this package registers every built-in detector in ``REGISTRY``."""

from curation.detectors import (  # noqa: F401  (imported for registration)
    contradiction,
    coverage,
    duplicates,
    edge_cases,
    exact,
    leakage,
    minhash,
    quality,
    semantic,
)
from curation.detectors.base import REGISTRY, Detector, ScanContext, register

__all__ = ["REGISTRY", "Detector", "ScanContext", "register"]
