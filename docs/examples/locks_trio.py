# SPDX-License-Identifier: MIT

"""A lock shared by trio tasks and a thread, with timeouts."""

import threading

import trio

import aiologic

lock = aiologic.Lock()
holders = []


async def task(name):
    for _ in range(3):
        async with lock:  # suspends this task only
            holders.append(name)
            await trio.sleep(0.001)


def hold_for_a_while(taken, release):
    with lock:
        taken.set()  # aiologic events wake trio tasks from any thread
        release.wait()


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(task, "a")
        nursery.start_soon(task, "b")
    assert holders.count("a") == holders.count("b") == 3

    taken, release = aiologic.Event(), aiologic.Event()
    thread = threading.Thread(target=hold_for_a_while, args=(taken, release))
    thread.start()
    await taken
    assert not await lock.async_acquire(blocking=False)  # never waits
    assert not await lock.async_acquire(timeout=0.05)  # gives up
    release.set()
    assert await lock.async_acquire(timeout=5)  # the thread lets go
    lock.async_release()
    thread.join()


trio.run(main)
print("order:", holders)
