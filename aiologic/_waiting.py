# SPDX-License-Identifier: MIT

"""Waiting for a permit of a core counter, green or async.

Shared by every permit-based primitive: queue a fresh low-level event,
wait on it, and on the way out make sure that a permit handed to a waiter
that then gave up (timeout lost the race, cancellation, a killed greenlet)
is passed on instead of lost.
"""

from __future__ import annotations

from typing import Any

from .lowlevel._events import create_async_event, create_green_event

__all__ = ("async_wait_permit", "green_wait_permit")


def green_wait_permit(core: Any, token: Any, timeout: float | None) -> bool:
    """Block the current thread or greenlet until handed a permit.

    Returns False on timeout. If the wait is interrupted, a permit that
    arrived meanwhile is released to the next waiter before re-raising.
    """
    event = create_green_event()
    entry = core.add_waiter(event, token)
    try:
        success = event.wait(timeout)
    except BaseException:
        if event.is_set():
            core.release(1)
        else:
            core.remove_waiter(entry)
        raise
    if not success:
        core.remove_waiter(entry)
    return success


async def async_wait_permit(
    core: Any, token: Any, timeout: float | None
) -> bool:
    """Await in the current task until handed a permit.

    Returns False on timeout. If the wait is cancelled, a permit that
    arrived meanwhile is released to the next waiter before re-raising.
    """
    event = create_async_event()
    entry = core.add_waiter(event, token)
    try:
        if timeout is None:
            success = await event
        else:
            success = await event.with_(timeout)
    except BaseException:
        if event.is_set():
            core.release(1)
        else:
            core.remove_waiter(entry)
        raise
    if not success:
        core.remove_waiter(entry)
    return success
