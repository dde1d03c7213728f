# SPDX-License-Identifier: MIT

"""A capacity limiter: one token per task, with borrower bookkeeping."""

import asyncio

import aiologic

limiter = aiologic.CapacityLimiter(2)
seen = []


async def handle(n):
    async with limiter:  # waits while two tasks hold a token
        seen.append(limiter.borrowed_tokens)
        await asyncio.sleep(0.01)


async def main():
    await asyncio.gather(*(handle(n) for n in range(6)))
    assert max(seen) <= 2
    assert limiter.available_tokens == 2

    async with limiter:
        assert limiter.async_borrowed()
        assert len(limiter.borrowers) == 1  # keyed by (library, task id)
        try:
            await limiter.async_acquire()  # one token per task
        except RuntimeError as exc:
            print("refused:", exc)


asyncio.run(main())
print("borrowed tokens seen:", seen)
