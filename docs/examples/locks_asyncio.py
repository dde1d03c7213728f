# SPDX-License-Identifier: MIT

"""One lock shared by asyncio tasks and a thread; RWLock readers and
writers; a mixed deadlock that raises instead of hanging."""

import asyncio
import threading

import aiologic

lock = aiologic.Lock()
holders = []


async def task(name):
    for _ in range(3):
        async with lock:  # suspends this task only
            holders.append(name)
            await asyncio.sleep(0)


def thread_work():
    for _ in range(3):
        with lock:  # blocks this thread, not the event loop
            holders.append("thread")


rwlock = aiologic.RWLock()
config = {"mode": "a"}


async def read():
    async with rwlock.reader:  # shared with the other readers
        return config["mode"]


def write(mode):
    with rwlock.writer:  # alone: readers and writers wait
        config["mode"] = mode


async def main():
    thread = threading.Thread(target=thread_work)
    thread.start()
    await asyncio.gather(task("a"), task("b"))
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    assert sorted(holders) == ["a"] * 3 + ["b"] * 3 + ["thread"] * 3

    await asyncio.get_running_loop().run_in_executor(None, write, "b")
    assert await asyncio.gather(read(), read()) == ["b", "b"]

    async with lock:
        try:
            # a blocking acquire here would stop the very loop that must
            # release the lock: it raises instead
            lock.green_acquire()
        except RuntimeError as exc:
            print("detected:", exc)
        else:
            raise AssertionError("not detected")


asyncio.run(main())
print("order:", holders)
