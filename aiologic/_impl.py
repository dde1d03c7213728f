# SPDX-License-Identifier: MIT

"""Picks the core once, at import, for the whole process.

The compiled core (``aiologic._aiologic_core``, built from
``_aiologic_core/``) is used on CPython when it is installed; the
pure-Python core (``aiologic._pycore``) is its twin, used on other
interpreters, when the compiled core is missing, or when
``AIOLOGIC_NO_EXTENSIONS`` is set. With ``AIOLOGIC_REQUIRE_EXTENSIONS``
set, a compiled core that cannot be loaded is an error instead.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING

__all__ = (
    "IMPLEMENTATION",
    "STORAGE_FIFO",
    "STORAGE_HEAP",
    "STORAGE_HOOKS",
    "STORAGE_LIFO",
    "EventBase",
    "EventCore",
    "LimiterCore",
    "LockCore",
    "PermitCounter",
    "QueueCore",
    "RLimiterCore",
    "RLockCore",
    "SemaphoreCore",
    "SimpleQueueCore",
    "WaitQueue",
    "heap_pop",
    "heap_push",
)


def _select() -> tuple[ModuleType, str]:
    if (
        os.environ.get("AIOLOGIC_NO_EXTENSIONS")
        # the compiled core speaks CPython's C API only
        or sys.implementation.name != "cpython"
    ):
        from . import _pycore

        return _pycore, "python"
    try:
        from . import _aiologic_core
    except ImportError:
        if os.environ.get("AIOLOGIC_REQUIRE_EXTENSIONS"):
            raise
        from . import _pycore

        return _pycore, "python"
    return _aiologic_core, "cython"


if TYPE_CHECKING:
    # type checkers read the typed Python twin
    from ._pycore import (
        STORAGE_FIFO,
        STORAGE_HEAP,
        STORAGE_HOOKS,
        STORAGE_LIFO,
        EventBase,
        EventCore,
        LimiterCore,
        LockCore,
        PermitCounter,
        QueueCore,
        RLimiterCore,
        RLockCore,
        SemaphoreCore,
        SimpleQueueCore,
        WaitQueue,
        heap_pop,
        heap_push,
    )

    IMPLEMENTATION: str
else:
    _core, IMPLEMENTATION = _select()
    # both twins export the same names
    globals().update({name: getattr(_core, name) for name in __all__[1:]})
