# SPDX-License-Identifier: MIT

"""Waiting for a permit of a core counter, green or async.

Shared by every permit-based primitive: queue a fresh low-level event,
wait on it, and on the way out make sure that a permit handed to a waiter
that then gave up (timeout lost the race, cancellation, a killed greenlet)
is passed on instead of lost.

The waiter is queued inside the ``try:`` that guards the wait: an
exception that lands between the queueing and the wait (a signal
handler's ``KeyboardInterrupt``) must not leave an entry that a later
hand-off would be lost to. Until `add_waiter` has returned, the entry
is known by its event, which the core can also remove.
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
    entry: Any = event
    try:
        entry = core.add_waiter(event, token)
        success = event.wait(timeout)
    except BaseException:
        _give_up(core, event, entry)
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
    entry: Any = event
    try:
        entry = core.add_waiter(event, token)
        if timeout is None:
            success = await event
        else:
            success = await event.with_(timeout)
    except BaseException:
        _give_up(core, event, entry)
        raise
    if not success:
        core.remove_waiter(entry)
    return success


def _give_up(core: Any, event: Any, entry: Any) -> None:
    # The wait raised. An event that never waited is still pending: cancel
    # it first, so that no hand-off can reach it once it is dequeued.
    if event.cancel() or not event.is_set():
        core.remove_waiter(entry)
    else:
        core.release(1)
