# SPDX-License-Identifier: MIT

"""Plain threads, asyncio and trio talking through aiologic primitives.

1. Three producer threads feed a bounded ``aiologic.Queue`` with blocking
   ``green_put()`` calls; an asyncio task drains it with
   ``await queue.async_get()``. The producers block while the queue is
   full and the consumer's event loop never blocks.
2. One ``aiologic.Event`` is awaited by an asyncio task in one thread and
   by a trio task in another; a plain thread sets it and both wake up.
"""

from __future__ import annotations

import asyncio
import threading
import time

import trio

import aiologic

PRODUCERS = 3
ITEMS_PER_PRODUCER = 5


def queue_demo() -> None:
    queue: aiologic.Queue[tuple[int, int]] = aiologic.Queue(maxsize=2)

    def produce(producer: int) -> None:
        for i in range(ITEMS_PER_PRODUCER):
            queue.green_put((producer, i))  # blocks this thread while full

    async def consume() -> list[tuple[int, int]]:
        received = []
        for _ in range(PRODUCERS * ITEMS_PER_PRODUCER):
            item = await queue.async_get()
            received.append(item)
            await asyncio.sleep(0.005)  # a slow consumer: producers wait
        return received

    producers = [
        threading.Thread(target=produce, args=(n,)) for n in range(PRODUCERS)
    ]
    for thread in producers:
        thread.start()
    received = asyncio.run(consume())
    for thread in producers:
        thread.join()

    print(f"asyncio consumer received {len(received)} items from threads:")
    print("  " + " ".join(f"{p}:{i}" for p, i in received))
    # each producer's items arrive in the order it put them
    for producer in range(PRODUCERS):
        mine = [i for p, i in received if p == producer]
        assert mine == list(range(ITEMS_PER_PRODUCER)), (producer, mine)
    assert len(queue) == 0 and queue.waiting == 0, queue


def event_demo() -> None:
    event = aiologic.Event()
    results: dict[str, bool] = {}

    async def asyncio_waiter() -> None:
        results["asyncio"] = await event  # no timeout

    async def trio_waiter() -> None:
        results["trio"] = await event.with_(timeout=10)

    waiters = [
        threading.Thread(target=asyncio.run, args=(asyncio_waiter(),)),
        threading.Thread(target=trio.run, args=(trio_waiter,)),
    ]
    for thread in waiters:
        thread.start()

    # Wait until both tasks are parked on the event, so that set() really
    # wakes them (a wait on an already set event returns at once anyway).
    deadline = time.monotonic() + 10
    while event.waiting < 2:
        assert time.monotonic() < deadline, "the waiters did not start"
        time.sleep(0.001)
    print(f"{event.waiting} tasks in two event loops wait for {event!r}")

    setter = threading.Thread(target=event.set)
    setter.start()
    for thread in [setter, *waiters]:
        thread.join()

    print(f"set from a plain thread; woken: {sorted(results)}")
    assert results == {"asyncio": True, "trio": True}, results


if __name__ == "__main__":
    queue_demo()
    print()
    event_demo()
