"""Let ``curation.scan(...)`` and ``curation.export(...)`` be the API functions although
``curation.scan`` and ``curation.export`` are also submodules.

Importing a submodule binds it on its package (``curation.export`` becomes the module), so
the module itself is made callable: calling it calls the API function. Everything else
(``from curation.export import plan``, monkeypatching ``curation.export._fsync``) is
unchanged.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def callable_module(name: str, function: Callable[..., Any]) -> None:
    """Make the module ``name`` callable as ``function``."""

    class _Callable(types.ModuleType):
        __doc__ = sys.modules[name].__doc__

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

    sys.modules[name].__class__ = _Callable
