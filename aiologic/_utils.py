# SPDX-License-Identifier: MIT

"""Argument checks shared by the public primitives."""

from __future__ import annotations

from math import inf, isnan
from operator import index

__all__ = ("check_count", "check_depth", "check_timeout")


def check_timeout(timeout: object) -> float | None:
    """Validate a ``timeout`` argument of a blocking call.

    Returns ``None`` for "no timeout" (``None``, ``inf`` or a number too
    large for a float) and a non-negative float otherwise.
    """
    if timeout is None:
        return None
    if isinstance(timeout, (str, bytes, bytearray)):
        msg = f"timeout must be a real number, not {type(timeout).__name__}"
        raise TypeError(msg)
    try:
        value = float(timeout)  # type: ignore[arg-type]
    except OverflowError:
        # an int beyond the float range: sign decides
        if timeout > 0:  # type: ignore[operator]
            return None
        msg = "timeout must be non-negative"
        raise ValueError(msg) from None
    except TypeError:
        msg = f"timeout must be a real number, not {type(timeout).__name__}"
        raise TypeError(msg) from None
    if isnan(value):
        msg = "timeout must be non-NaN"
        raise ValueError(msg)
    if value < 0:
        msg = "timeout must be non-negative"
        raise ValueError(msg)
    if value == inf:
        return None
    return value


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
    return value
