# SPDX-License-Identifier: MIT

"""Typed use of the queues, checked by mypy --strict and basedpyright.

Never run: pytest does not collect ``sample_*`` files.
"""

from __future__ import annotations

from typing_extensions import assert_type

import aiologic


async def async_queues() -> None:
    q: aiologic.Queue[int] = aiologic.Queue()
    await q.async_put(1)
    assert_type(await q.async_get(), int)
    assert_type(await q.async_get(blocking=False), int)
    assert_type(await q.async_join(timeout=1.0), bool)

    sq: aiologic.SimpleQueue[bytes] = aiologic.SimpleQueue()
    sq.put(b"x")
    await sq.async_put(b"y", timeout=0.5)
    assert_type(await sq.async_get(timeout=0.5), bytes)


def green_queues() -> None:
    q = aiologic.Queue([1, 2, 3], maxsize=3)
    assert_type(q, aiologic.Queue[int])
    assert_type(q.green_get(), int)
    assert_type(q.maxsize, int)
    assert_type(len(q), int)

    lq: aiologic.LifoQueue[str] = aiologic.LifoQueue()
    lq.green_put("a", blocking=False)
    assert_type(lq.green_get(timeout=1), str)

    pq: aiologic.PriorityQueue[tuple[int, str]] = aiologic.PriorityQueue(5)
    pq.green_put((1, "a"))
    assert_type(pq.green_get(), tuple[int, str])

    sq = aiologic.SimpleLifoQueue([b"a"])
    assert_type(sq, aiologic.SimpleLifoQueue[bytes])
    assert_type(sq.green_get(), bytes)
    assert_type(sq.copy(), aiologic.SimpleLifoQueue[bytes])

    q.shutdown(immediate=True)
    assert_type(q.is_shutdown, bool)
    try:
        q.green_get(blocking=False)
    except aiologic.QueueShutDown as exc:
        assert_type(exc, aiologic.QueueShutDown)
    except aiologic.QueueEmpty:
        pass
    try:
        lq.green_put("b", blocking=False)
    except aiologic.QueueFull:
        pass
    q.task_done()
    assert_type(q.green_join(timeout=None), bool)
    assert_type(q.unfinished_tasks, int)
