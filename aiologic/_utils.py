# SPDX-License-Identifier: MIT

"""Argument checks shared by the public primitives."""

from __future__ import annotations

from operator import index
from sys import maxsize

from .lowlevel._time import check_timeout

__all__ = ("check_count", "check_depth", "check_timeout")


def check_count(count: object, name: str = "count") -> int:
    """Return ``count`` as an int; TypeError for anything not integral."""
    try:
        return index(count)  # type: ignore[arg-type]
    except TypeError:
        msg = f"{name} must be an integer, not {type(count).__name__}"
        raise TypeError(msg) from None


def check_depth(count: object) -> int:
    """Return a reentrant ``count`` argument, which must be >= 1."""
    value = check_count(count)
    if value < 1:
        msg = "count must be >= 1"
        raise ValueError(msg)
    if value > maxsize:
        # the compiled core counts the depth in one machine word
        msg = "count is too large"
        raise OverflowError(msg)
    return value
