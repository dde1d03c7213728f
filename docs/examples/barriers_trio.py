# SPDX-License-Identifier: MIT

"""A barrier with trio tasks; cancellation breaks it for everyone."""

import trio

import aiologic

barrier = aiologic.Barrier(2)
indexes = []


async def party():
    indexes.append(await barrier)  # or: await barrier.with_(timeout=10)


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(party)
        nursery.start_soon(party)
    assert sorted(indexes) == [0, 1]

    with trio.move_on_after(0.01):
        await barrier  # alone: cancelled while waiting
    assert barrier.broken  # the others get BrokenBarrierError


trio.run(main)
print("indexes:", indexes)
