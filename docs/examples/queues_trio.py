# SPDX-License-Identifier: MIT

"""Trio tasks produce and consume; shutdown() stops the consumers."""

import trio

import aiologic

queue = aiologic.Queue()
seen = []


async def consumer():
    while True:
        try:
            item = await queue.async_get()
        except aiologic.QueueShutDown:
            return
        seen.append(item)
        queue.task_done()


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        nursery.start_soon(consumer)
        for item in range(5):
            await queue.async_put(item)
        await queue.async_join()  # every item was taken and marked done
        queue.shutdown()  # both consumers return
    assert sorted(seen) == [0, 1, 2, 3, 4]

    stack = aiologic.LifoQueue([1, 2, 3])
    assert await stack.async_get() == 3
    heap = aiologic.PriorityQueue([3, 1, 2])
    assert await heap.async_get() == 1


trio.run(main)
print("seen:", seen)
