# SPDX-License-Identifier: MIT

"""Trio tasks on a Condition: a cancelled wait still ends with the lock
held."""

import trio

import aiologic

cond = aiologic.Condition()
state = {"ready": False}


async def waiter(results):
    async with cond:
        results.append(await cond.for_(lambda: state["ready"]))


async def main():
    results = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter, results)
        nursery.start_soon(waiter, results)
        await trio.sleep(0.01)
        async with cond:
            state["ready"] = True
            cond.notify_all()
    assert results == [True, True]

    async with cond:
        with trio.move_on_after(0.01):
            await cond  # cancelled while waiting
        assert cond.lock.async_owned()  # the lock is held again


trio.run(main)
print("done")
