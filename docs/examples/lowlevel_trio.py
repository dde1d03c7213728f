# SPDX-License-Identifier: MIT

"""Checkpoints are on for trio: an uncontended acquire still yields and
delivers cancellation."""

import trio

import aiologic
from aiologic import lowlevel

lock = aiologic.Lock()


async def main():
    assert lowlevel.current_async_library() == "trio"
    task = trio.lowlevel.current_task()
    assert lowlevel.current_async_task_ident() == ("trio", id(task))
    assert lowlevel.async_checkpoint_enabled()  # trio's default

    with trio.CancelScope() as scope:
        scope.cancel()
        await lock.async_acquire()  # raises Cancelled at its checkpoint
    assert scope.cancelled_caught
    assert not lock.locked()  # and the lock was given back

    async with lowlevel.disable_checkpoints():
        assert not lowlevel.async_checkpoint_enabled()


trio.run(main)
print("ok")
