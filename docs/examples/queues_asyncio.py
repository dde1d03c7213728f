# SPDX-License-Identifier: MIT

"""Threads feed an asyncio consumer through a bounded queue."""

import asyncio
import threading

import aiologic

queue = aiologic.Queue(maxsize=2)


def produce(name):
    for n in range(3):
        queue.green_put((name, n))  # blocks this thread while full


async def main():
    threads = [threading.Thread(target=produce, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    got = [await queue.async_get() for _ in range(6)]
    for thread in threads:
        thread.join()
    assert sorted(got) == [(name, n) for name in "ab" for n in range(3)]

    log = aiologic.SimpleQueue()  # unbounded: put() never blocks
    log.put("started")
    assert await log.async_get() == "started"
    try:
        await log.async_get(blocking=False)
    except aiologic.QueueEmpty:
        pass


asyncio.run(main())
print("received")
