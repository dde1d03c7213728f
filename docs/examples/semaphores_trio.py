# SPDX-License-Identifier: MIT

"""A semaphore limits trio tasks; cancellation never loses a permit."""

import trio

import aiologic

slots = aiologic.Semaphore(2)
inside = []


async def download(n):
    async with slots:
        inside.append(n)
        await trio.sleep(0.01)
        inside.remove(n)


async def main():
    async with trio.open_nursery() as nursery:
        for n in range(6):
            nursery.start_soon(download, n)
    assert slots.value == 2

    async with slots, slots:  # both permits taken
        with trio.move_on_after(0.05):
            await slots.async_acquire()  # cancelled while waiting
        assert slots.waiting == 0
    assert slots.value == 2  # nothing lost


trio.run(main)
print("permits:", slots.value)
