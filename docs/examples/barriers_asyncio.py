# SPDX-License-Identifier: MIT

"""A latch starts asyncio tasks and a thread together."""

import asyncio
import threading

import aiologic

start = aiologic.Latch(3)  # single use: lets everyone through once full
started = []


async def task(name):
    await start
    started.append(name)


def thread_work():
    start.wait(timeout=5)
    started.append("thread")


async def main():
    thread = threading.Thread(target=thread_work)
    thread.start()
    await asyncio.gather(task("a"), task("b"))
    thread.join()
    assert sorted(started) == ["a", "b", "thread"]
    await start  # drained: later waits pass at once


asyncio.run(main())
print("started:", started)
