# SPDX-License-Identifier: MIT

"""Low-level building blocks: library detection, identity, checkpoints,
one-shot events and waiters, thread locks, clocks and shielding.
"""

from __future__ import annotations

from ._checkpoints import (
    async_checkpoint,
    async_checkpoint_enabled,
    async_checkpoint_if_cancelled,
    disable_checkpoints,
    enable_checkpoints,
    green_checkpoint,
    green_checkpoint_enabled,
    green_checkpoint_if_cancelled,
)
from ._events import (
    CANCELLED_EVENT,
    DUMMY_EVENT,
    SET_EVENT,
    CancelledEvent,
    DummyEvent,
    SetEvent,
    create_async_event,
    create_async_waiter,
    create_green_event,
    create_green_waiter,
)
from ._identity import (
    current_async_task,
    current_async_task_ident,
    current_async_token,
    current_async_token_ident,
    current_green_task,
    current_green_task_ident,
    current_green_token,
    current_green_token_ident,
    current_thread,
    current_thread_ident,
)
from ._libraries import (
    AsyncLibraryNotFoundError,
    GreenLibraryNotFoundError,
    current_async_library,
    current_async_library_tlocal,
    current_green_library,
    current_green_library_tlocal,
)
from ._protocols import (
    AsyncEvent,
    AsyncWaiter,
    Event,
    GreenEvent,
    GreenWaiter,
    Waiter,
)
from ._shield import shield
from ._thread_locks import (
    THREAD_DUMMY_LOCK,
    ThreadDummyLock,
    ThreadLock,
    ThreadOnceLock,
    ThreadRLock,
    create_thread_lock,
    create_thread_oncelock,
    create_thread_rlock,
    once,
)
from ._time import (
    async_clock,
    async_seconds_per_sleep,
    async_seconds_per_timeout,
    async_sleep,
    async_sleep_forever,
    async_sleep_until,
    green_clock,
    green_seconds_per_sleep,
    green_seconds_per_timeout,
    green_sleep,
    green_sleep_forever,
    green_sleep_until,
)

__all__ = (
    "CANCELLED_EVENT",
    "DUMMY_EVENT",
    "SET_EVENT",
    "THREAD_DUMMY_LOCK",
    "AsyncEvent",
    "AsyncLibraryNotFoundError",
    "AsyncWaiter",
    "CancelledEvent",
    "DummyEvent",
    "Event",
    "GreenEvent",
    "GreenLibraryNotFoundError",
    "GreenWaiter",
    "SetEvent",
    "ThreadDummyLock",
    "ThreadLock",
    "ThreadOnceLock",
    "ThreadRLock",
    "Waiter",
    "async_checkpoint",
    "async_checkpoint_enabled",
    "async_checkpoint_if_cancelled",
    "async_clock",
    "async_seconds_per_sleep",
    "async_seconds_per_timeout",
    "async_sleep",
    "async_sleep_forever",
    "async_sleep_until",
    "create_async_event",
    "create_async_waiter",
    "create_green_event",
    "create_green_waiter",
    "create_thread_lock",
    "create_thread_oncelock",
    "create_thread_rlock",
    "current_async_library",
    "current_async_library_tlocal",
    "current_async_task",
    "current_async_task_ident",
    "current_async_token",
    "current_async_token_ident",
    "current_green_library",
    "current_green_library_tlocal",
    "current_green_task",
    "current_green_task_ident",
    "current_green_token",
    "current_green_token_ident",
    "current_thread",
    "current_thread_ident",
    "disable_checkpoints",
    "enable_checkpoints",
    "green_checkpoint",
    "green_checkpoint_enabled",
    "green_checkpoint_if_cancelled",
    "green_clock",
    "green_seconds_per_sleep",
    "green_seconds_per_timeout",
    "green_sleep",
    "green_sleep_forever",
    "green_sleep_until",
    "once",
    "shield",
)


def __getattr__(name: str) -> object:
    # which core is active; resolved lazily to keep this package importable
    # on its own (the core modules import this one)
    if name == "IMPLEMENTATION":
        from aiologic._impl import IMPLEMENTATION

        return IMPLEMENTATION

    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
