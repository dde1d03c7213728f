# SPDX-License-Identifier: MIT

"""Clocks and sleeps of the current green or async library."""

from __future__ import annotations

import sys
from math import inf, isnan
from time import monotonic
from typing import Any, Final

from ._libraries import current_async_library, current_green_library
from ._thread_locks import _original_sleep

__all__ = (
    "async_clock",
    "async_seconds_per_sleep",
    "async_seconds_per_timeout",
    "async_sleep",
    "async_sleep_forever",
    "async_sleep_until",
    "green_clock",
    "green_seconds_per_sleep",
    "green_seconds_per_timeout",
    "green_sleep",
    "green_sleep_forever",
    "green_sleep_until",
)

# `time.sleep()` and lock timeouts reject values above these
_THREADING_SECONDS_PER_SLEEP: Final[float] = float(2**30 - 1)
_THREADING_SECONDS_PER_TIMEOUT: Final[float] = (2**63 - 1) / 1e9

_FLOAT_MAX: Final[float] = sys.float_info.max


def check_timeout(timeout: object, name: str = "timeout") -> float | None:
    """Validate a ``timeout`` argument of a blocking call.

    Returns ``None`` for "no timeout" (``None``, ``inf`` or a number too
    large for a float) and a non-negative float otherwise.
    """
    if timeout is None:
        return None
    if isinstance(timeout, (str, bytes, bytearray)):
        msg = f"{name} must be a real number, not {type(timeout).__name__}"
        raise TypeError(msg)
    try:
        value = float(timeout)  # type: ignore[arg-type]
    except OverflowError:
        # an int beyond the float range: sign decides
        if timeout > 0:  # type: ignore[operator]
            return None
        msg = f"{name} must be non-negative"
        raise ValueError(msg) from None
    except TypeError:
        msg = f"{name} must be a real number, not {type(timeout).__name__}"
        raise TypeError(msg) from None
    if isnan(value):
        msg = f"{name} must be non-NaN"
        raise ValueError(msg)
    if value < 0:
        msg = f"{name} must be non-negative"
        raise ValueError(msg)
    if value == inf:
        return None
    return value


def _sleep_seconds(seconds: object) -> float | None:
    # None for a sleep without end (inf, or too long for a float)
    if seconds is None:
        msg = "seconds must be a real number, not NoneType"
        raise TypeError(msg)
    return check_timeout(seconds, "seconds")


def _until(deadline: float, now: float) -> float:
    seconds = deadline - now
    if isnan(seconds):
        msg = "deadline must be non-NaN"
        raise ValueError(msg)
    return max(0.0, seconds)


def green_clock() -> float:
    """Return the current time of the green library's monotonic clock."""
    library = current_green_library()

    if library == "gevent":
        from gevent import get_hub

        now: float = get_hub().loop.now()
        return now

    if library == "eventlet":
        from eventlet.hubs import get_hub  # pyright: ignore[reportMissingImports]

        clock: float = get_hub().clock()
        return clock

    return monotonic()


def async_clock() -> float:
    """Return the current time of the running event loop's clock."""
    library = current_async_library()

    if library == "trio":
        from trio import current_time

        return current_time()

    from asyncio import get_running_loop

    return get_running_loop().time()


def green_seconds_per_sleep() -> float:
    """Return the longest sleep the green library does in one step."""
    return _THREADING_SECONDS_PER_SLEEP


def green_seconds_per_timeout() -> float:
    """Return the longest timeout the green library waits in one step."""
    return _THREADING_SECONDS_PER_TIMEOUT


def async_seconds_per_sleep() -> float:
    """Return the longest sleep the async library does in one step."""
    current_async_library()
    return _FLOAT_MAX


def async_seconds_per_timeout() -> float:
    """Return the longest timeout the async library waits in one step."""
    current_async_library()
    return _FLOAT_MAX


def green_sleep(seconds: float, /) -> None:
    """Block the current thread or greenlet for *seconds*."""
    checked = _sleep_seconds(seconds)
    if checked is None:
        green_sleep_forever()
        return
    seconds = checked
    library = current_green_library()

    if library == "gevent":
        from gevent import sleep

        sleep(seconds)
    elif library == "eventlet":
        from eventlet import sleep  # pyright: ignore[reportMissingImports]

        sleep(seconds)
    else:
        deadline = monotonic() + seconds

        while seconds > 0:
            _original_sleep(min(seconds, _THREADING_SECONDS_PER_SLEEP))
            seconds = deadline - monotonic()


def green_sleep_until(deadline: float, /) -> None:
    """Block until `green_clock()` reaches *deadline*."""
    green_sleep(_until(deadline, green_clock()))


def green_sleep_forever() -> None:
    """Block forever (until interrupted)."""
    from ._events import create_green_event

    create_green_event().wait()
    raise RuntimeError("unreachable")  # pragma: no cover


async def async_sleep(seconds: float, /) -> None:
    """Sleep for *seconds* in the running event loop."""
    checked = _sleep_seconds(seconds)
    if checked is None:
        await async_sleep_forever()
        return
    seconds = checked
    library = current_async_library()

    if library == "trio":
        from trio import sleep

        await sleep(seconds)
    else:
        from asyncio import sleep as asyncio_sleep

        await asyncio_sleep(seconds)


async def async_sleep_until(deadline: float, /) -> None:
    """Sleep until `async_clock()` reaches *deadline*."""
    await async_sleep(_until(deadline, async_clock()))


async def async_sleep_forever() -> Any:
    """Sleep forever (until cancelled)."""
    from ._events import create_async_event

    await create_async_event()
    raise RuntimeError("unreachable")  # pragma: no cover
