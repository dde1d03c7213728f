# SPDX-License-Identifier: MIT

"""Picks the core once, at import, for the whole process.

The pure-Python core is the reference; a compiled twin with the same
names will be preferred on CPython when it is built. Set
``AIOLOGIC_NO_EXTENSIONS`` to force the pure core, or
``AIOLOGIC_REQUIRE_EXTENSIONS`` to make a missing compiled core an error.
"""

from __future__ import annotations

import os
import sys

from ._pycore import EventCore, PermitCounter, WaitQueue

__all__ = ("IMPLEMENTATION", "EventCore", "PermitCounter", "WaitQueue")

if os.environ.get("AIOLOGIC_REQUIRE_EXTENSIONS") and (
    sys.implementation.name == "cpython"
    and not os.environ.get("AIOLOGIC_NO_EXTENSIONS")
):
    # no compiled core is shipped yet: asking for one must not pass quietly
    msg = "the compiled core of aiologic is not available in this build"
    raise ImportError(msg)

IMPLEMENTATION = "python"
