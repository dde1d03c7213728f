# SPDX-License-Identifier: MIT

"""A thread wakes asyncio tasks with one Event."""

import asyncio
import threading

import aiologic

ready = aiologic.Event()


async def waiter(name):
    await ready  # suspends this task until set
    return name


async def main():
    assert not await ready.with_(timeout=0.01)  # False on timeout
    tasks = [asyncio.ensure_future(waiter(n)) for n in ("a", "b")]
    threading.Timer(0.01, ready.set).start()  # set from another thread
    assert await asyncio.gather(*tasks) == ["a", "b"]
    assert await ready.with_(timeout=0)  # already set: True at once


asyncio.run(main())
print("woken")
