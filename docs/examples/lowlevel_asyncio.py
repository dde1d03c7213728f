# SPDX-License-Identifier: MIT

"""Identity, checkpoints and shield under asyncio."""

import asyncio

from aiologic import lowlevel

finished = []


async def important():
    await asyncio.sleep(0.05)
    finished.append(True)


async def main():
    task = asyncio.current_task()
    assert lowlevel.current_async_task_ident() == ("asyncio", id(task))
    assert lowlevel.current_async_library() == "asyncio"
    assert not lowlevel.async_checkpoint_enabled()  # off by default
    async with lowlevel.enable_checkpoints():
        assert lowlevel.async_checkpoint_enabled()

    try:
        await asyncio.wait_for(lowlevel.shield(important()), timeout=0.01)
    except asyncio.TimeoutError:
        # the cancellation came after the shielded call had completed
        assert finished
    else:
        raise AssertionError("no timeout")

    event = lowlevel.create_async_event()
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await event.with_(5)  # True: set before the timeout


asyncio.run(main())
print("ok")
