# SPDX-License-Identifier: MIT

"""The candidates: what each library offers to the scenarios.

A candidate is what a user would pick instead of aiologic for a job:
``stdlib`` (``threading``, ``asyncio``, ``queue`` and, under trio, trio's
own primitives), ``janus`` and ``culsans`` (queues only), ``0.17.1``
(aiologic 0.17.1), ``cython`` and ``python`` (this project's compiled and
pure cores). Each runs in a process of its own: the core of aiologic is
chosen once per process, and 0.17.1 has the same import name.

This module runs inside such a worker process. :func:`load` returns the
candidate's :class:`Api`; an attribute that is ``None`` (or a method that
returns ``None``) means that the candidate has nothing for that scenario,
and the report shows ``-`` there.

A queue or a signal is made in the context of the side that needs it to
be there (the running event loop for the asyncio side): the standard
library binds its asyncio objects to a loop.
"""

from __future__ import annotations

import asyncio
import queue
from typing import Any, Callable, Optional, Tuple

Factory = Optional[Callable[[], Any]]
#: (put, get): each a plain callable on a thread side, a coroutine
#: function on an asyncio side
Ends = Tuple[Callable[..., Any], Callable[..., Any]]
#: (set, wait): set is callable from any thread; wait as for Ends
Signal = Tuple[Callable[[], Any], Callable[[], Any]]

CANDIDATES = ("stdlib", "janus", "culsans", "0.17.1", "cython", "python")

#: the names shown in tables and charts
LABELS = {
    "stdlib": "stdlib",
    "janus": "janus",
    "culsans": "culsans",
    "0.17.1": "aiologic 0.17.1",
    "cython": "compiled core",
    "python": "pure core",
}


class Api:
    """What a candidate offers; ``None`` where it offers nothing."""

    name = ""
    #: the core that runs, for this project's candidates
    core = ""
    # plain `with`, uncontended and contended
    Lock: Factory = None
    RLock: Factory = None
    Semaphore: Factory = None
    CapacityLimiter: Factory = None
    # `async with` under asyncio
    asyncio_Lock: Factory = None
    asyncio_RLock: Factory = None
    asyncio_Semaphore: Factory = None
    asyncio_CapacityLimiter: Factory = None
    # `async with` under trio
    trio_Lock: Factory = None
    trio_RLock: Factory = None
    trio_Semaphore: Factory = None
    trio_CapacityLimiter: Factory = None
    #: one lock shared by tasks of two asyncio loops in two threads
    loops_Lock: Factory = None
    #: the server's hand-off: "executor", "janus", "culsans", "aiologic"
    handoff: str | None = None

    def queue_ends(
        self, kind: str, maxsize: int, producer: str, consumer: str
    ) -> Ends | None:
        """A queue of *kind* (``Queue``/``SimpleQueue``) between sides.

        *maxsize* 0 means unbounded; *producer* and *consumer* are
        ``"sync"`` (a thread) or ``"async"`` (an asyncio task). Called on
        the asyncio side when there is one, in its running loop.
        """
        return None

    def signal(self, waiter: str) -> Signal | None:
        """A one-shot event that a *waiter* side waits for.

        Set from another thread (or loop); made on the waiter's side.
        """
        return None

    def thread_event(self) -> Factory:
        """An event that threads wait for with ``wait()``."""
        return None

    def asyncio_event(self) -> Signal | None:
        """(set, wait) of an event for tasks of the running loop."""
        return None

    def instances(self) -> dict[str, Factory]:
        """Factories of each primitive, for bytes per instance."""
        return {}


class Stdlib(Api):
    """The standard library, and trio's own primitives under trio."""

    name = "stdlib"
    handoff = "executor"

    def __init__(self) -> None:
        import threading

        self.Lock = threading.Lock
        self.RLock = threading.RLock
        self.Semaphore = threading.Semaphore
        self.asyncio_Lock = asyncio.Lock
        self.asyncio_Semaphore = asyncio.Semaphore
        self.trio_Lock = _trio("Lock")
        self.trio_Semaphore = _trio("Semaphore", 1)
        self.trio_CapacityLimiter = _trio("CapacityLimiter", 1)

    def queue_ends(
        self, kind: str, maxsize: int, producer: str, consumer: str
    ) -> Ends | None:
        def new() -> Any:
            if kind == "SimpleQueue":
                return queue.SimpleQueue()
            return queue.Queue(maxsize)

        if producer == consumer == "sync":
            items = new()
            return items.put, items.get
        loop = asyncio.get_running_loop()
        if consumer == "async":
            # what asyncio offers a thread: hand each item to the loop
            aitems: asyncio.Queue[Any] = asyncio.Queue(maxsize)

            def put(item: Any) -> None:
                if maxsize:
                    put_ = aitems.put(item)
                    asyncio.run_coroutine_threadsafe(put_, loop).result()
                else:
                    loop.call_soon_threadsafe(aitems.put_nowait, item)

            return put, aitems.get
        items = new()

        async def aput(item: Any) -> None:
            try:
                items.put_nowait(item)
            except queue.Full:
                # a full queue blocks: only in a thread of the executor
                await loop.run_in_executor(None, items.put, item)

        return aput, items.get

    def signal(self, waiter: str) -> Signal | None:
        if waiter == "sync":
            import threading

            event = threading.Event()
            return event.set, event.wait
        loop = asyncio.get_running_loop()
        aevent = asyncio.Event()
        return (lambda: loop.call_soon_threadsafe(aevent.set)), aevent.wait

    def thread_event(self) -> Factory:
        import threading

        return threading.Event

    def asyncio_event(self) -> Signal | None:
        event = asyncio.Event()
        return event.set, event.wait

    def instances(self) -> dict[str, Factory]:
        import threading

        return {
            "Lock": threading.Lock,
            "RLock": threading.RLock,
            "Semaphore": threading.Semaphore,
            "CapacityLimiter": None,
            "Event": threading.Event,
            "Condition": threading.Condition,
            "Queue": queue.Queue,
            "SimpleQueue": queue.SimpleQueue,
        }


class Janus(Api):
    """janus: a queue with a sync face (``sync_q``) and an async one."""

    name = "janus"
    handoff = "janus"

    def queue_ends(
        self, kind: str, maxsize: int, producer: str, consumer: str
    ) -> Ends | None:
        import janus

        if kind != "Queue":
            return None
        items: Any = janus.Queue(maxsize)
        put = items.sync_q.put if producer == "sync" else items.async_q.put
        get = items.sync_q.get if consumer == "sync" else items.async_q.get
        return put, get

    def instances(self) -> dict[str, Factory]:
        import janus

        return {"Queue": janus.Queue}


class Culsans(Api):
    """culsans: a janus-like queue built on aiologic 0.17.1's API."""

    name = "culsans"
    handoff = "culsans"

    def queue_ends(
        self, kind: str, maxsize: int, producer: str, consumer: str
    ) -> Ends | None:
        import culsans

        if kind != "Queue":
            return None
        items: Any = culsans.Queue(maxsize)
        put = items.green_put if producer == "sync" else items.async_put
        get = items.green_get if consumer == "sync" else items.async_get
        return put, get

    def instances(self) -> dict[str, Factory]:
        import culsans

        return {"Queue": culsans.Queue}


class Aiologic(Api):
    """aiologic: this project (either core) or 0.17.1."""

    handoff = "aiologic"

    def __init__(self, name: str) -> None:
        import aiologic

        self.name = name
        if aiologic.__version__ == "0.17.1":
            self.core = "0.17.1"
        else:
            self.core = aiologic.lowlevel.IMPLEMENTATION
        self.aiologic = aiologic
        for prefix in ("", "asyncio_", "trio_"):
            setattr(self, prefix + "Lock", aiologic.Lock)
            setattr(self, prefix + "RLock", aiologic.RLock)
            setattr(self, prefix + "Semaphore", aiologic.Semaphore)
            setattr(
                self,
                prefix + "CapacityLimiter",
                lambda: aiologic.CapacityLimiter(1),
            )
        self.loops_Lock = aiologic.Lock

    def queue_ends(
        self, kind: str, maxsize: int, producer: str, consumer: str
    ) -> Ends | None:
        if kind == "SimpleQueue":
            items: Any = self.aiologic.SimpleQueue()
        else:
            # unbounded is maxsize None here
            items = self.aiologic.Queue(maxsize or None)
        put = items.green_put if producer == "sync" else items.async_put
        get = items.green_get if consumer == "sync" else items.async_get
        return put, get

    def signal(self, waiter: str) -> Signal | None:
        event = self.aiologic.Event()
        if waiter == "sync":
            return event.set, event.wait

        async def wait() -> None:
            await event

        return event.set, wait

    def thread_event(self) -> Factory:
        return self.aiologic.Event  # type: ignore[no-any-return]

    def asyncio_event(self) -> Signal | None:
        return self.signal("async")

    def instances(self) -> dict[str, Factory]:
        made = self.aiologic
        return {
            "Lock": made.Lock,
            "RLock": made.RLock,
            "Semaphore": made.Semaphore,
            "CapacityLimiter": lambda: made.CapacityLimiter(1),
            "Event": made.Event,
            "Condition": made.Condition,
            "Queue": made.Queue,
            "SimpleQueue": made.SimpleQueue,
        }


def _trio(name: str, *args: Any) -> Factory:
    try:
        import trio
    except ImportError:
        return None
    return lambda: getattr(trio, name)(*args)


def load(name: str) -> Api:
    """The :class:`Api` of candidate *name*, in this worker process."""
    if name == "stdlib":
        return Stdlib()
    if name == "janus":
        return Janus()
    if name == "culsans":
        return Culsans()
    return Aiologic(name)
