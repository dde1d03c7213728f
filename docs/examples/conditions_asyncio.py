# SPDX-License-Identifier: MIT

"""An asyncio task waits for items that a thread produces."""

import asyncio
import threading

import aiologic

cond = aiologic.Condition()
items = []


def produce():
    for item in range(3):
        with cond:  # the thread takes the lock
            items.append(item)
            cond.notify()


async def consume():
    taken = []
    while len(taken) < 3:
        async with cond:  # the task takes the same lock
            await cond.for_(lambda: items)
            taken.extend(items)
            items.clear()
    return taken


async def main():
    consumer = asyncio.ensure_future(consume())
    thread = threading.Thread(target=produce)
    thread.start()
    assert await consumer == [0, 1, 2]
    thread.join()


asyncio.run(main())
print("consumed")
