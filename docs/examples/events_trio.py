# SPDX-License-Identifier: MIT

"""Trio tasks wait on a CountdownEvent that a thread counts down."""

import threading

import trio

import aiologic

done = aiologic.CountdownEvent(2)
woken = []


async def waiter(name):
    await done  # suspends this task until the value is zero
    woken.append(name)


def count_down():
    done.down()
    done.down()


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter, "a")
        nursery.start_soon(waiter, "b")
        threading.Thread(target=count_down).start()
    assert sorted(woken) == ["a", "b"]
    assert done.value == 0


trio.run(main)
print("woken:", woken)
