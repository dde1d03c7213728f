# SPDX-License-Identifier: MIT

"""Synchronization primitives for threads and event loops at once.

Every primitive here may be shared by plain threads, greenlets (gevent,
eventlet) and async tasks (asyncio, trio, anyio) in any number of event
loops, all at the same time: ``green_*`` methods block the calling thread
or greenlet, ``async_*`` methods await in the calling task.

"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ._version import __version__

# public name -> private module that defines it
_EXPORTS = {
    "Barrier": "_barriers",
    "BinarySemaphore": "_semaphores",
    "BoundedBinarySemaphore": "_semaphores",
    "BoundedSemaphore": "_semaphores",
    "BrokenBarrierError": "_barriers",
    "BusyResourceError": "_guards",
    "CapacityLimiter": "_limiters",
    "Condition": "_conditions",
    "CountdownEvent": "_events",
    "Event": "_events",
    "Flag": "_flags",
    "Latch": "_barriers",
    "LifoQueue": "_queues",
    "Lock": "_locks",
    "PriorityQueue": "_queues",
    "Queue": "_queues",
    "QueueEmpty": "_queues",
    "QueueFull": "_queues",
    "QueueShutDown": "_queues",
    "RBarrier": "_barriers",
    "RCapacityLimiter": "_limiters",
    "REvent": "_events",
    "RLock": "_locks",
    "RWLock": "_rwlocks",
    "ResourceGuard": "_guards",
    "Semaphore": "_semaphores",
    "SimpleLifoQueue": "_queues",
    "SimpleQueue": "_queues",
    "synchronized": "_synchronized",
}

__all__ = (
    "Barrier",
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "BrokenBarrierError",
    "BusyResourceError",
    "CapacityLimiter",
    "Condition",
    "CountdownEvent",
    "Event",
    "Flag",
    "Latch",
    "LifoQueue",
    "Lock",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "QueueShutDown",
    "RBarrier",
    "RCapacityLimiter",
    "REvent",
    "RLock",
    "RWLock",
    "ResourceGuard",
    "Semaphore",
    "SimpleLifoQueue",
    "SimpleQueue",
    "synchronized",
)

__version_tuple__ = tuple(
    int(part) if part.isdigit() else part for part in __version__.split(".")
)


def _publish() -> None:
    # define every public name here and make classes report ``aiologic``
    # as their module (for pickles and reprs)
    namespace = globals()
    for name, module_name in _EXPORTS.items():
        value = getattr(import_module(f"{__name__}.{module_name}"), name)
        try:
            value.__module__ = __name__
        except (AttributeError, TypeError):
            pass  # compiled types keep their module
        namespace[name] = value


_publish()
if TYPE_CHECKING:
    from ._barriers import Barrier, BrokenBarrierError, Latch, RBarrier
    from ._conditions import Condition
    from ._events import CountdownEvent, Event, REvent
    from ._flags import Flag
    from ._guards import BusyResourceError, ResourceGuard
    from ._limiters import CapacityLimiter, RCapacityLimiter
    from ._locks import Lock, RLock
    from ._queues import (
        LifoQueue,
        PriorityQueue,
        Queue,
        QueueEmpty,
        QueueFull,
        QueueShutDown,
        SimpleLifoQueue,
        SimpleQueue,
    )
    from ._rwlocks import RWLock
    from ._semaphores import (
        BinarySemaphore,
        BoundedBinarySemaphore,
        BoundedSemaphore,
        Semaphore,
    )
    from ._synchronized import synchronized
