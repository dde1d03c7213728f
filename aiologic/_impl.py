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
from typing import TYPE_CHECKING

__all__ = ("IMPLEMENTATION", "EventCore", "PermitCounter", "WaitQueue")

_NO_EXTENSIONS = (
    bool(os.environ.get("AIOLOGIC_NO_EXTENSIONS"))
    # the compiled core speaks CPython's C API only
    or sys.implementation.name != "cpython"
)

if TYPE_CHECKING:
    from ._pycore import EventCore, PermitCounter, WaitQueue

    IMPLEMENTATION: str
elif _NO_EXTENSIONS:
    from ._pycore import EventCore, PermitCounter, WaitQueue

    IMPLEMENTATION = "python"
else:
    try:
        from ._aiologic_core import EventCore, PermitCounter, WaitQueue
    except ImportError:
        if os.environ.get("AIOLOGIC_REQUIRE_EXTENSIONS"):
            raise
        from ._pycore import EventCore, PermitCounter, WaitQueue

        IMPLEMENTATION = "python"
    else:
        IMPLEMENTATION = "cython"
