# SPDX-License-Identifier: MIT

"""Queue shutdown and joining, on every queue, library and core.

The semantics are those of ``queue.Queue.shutdown()`` (Python 3.13) and of
``task_done()``/``join()``: a shut-down queue refuses puts, serves its
remaining items, then refuses gets; waiting putters and getters are woken
with ``QueueShutDown``; ``immediate=True`` drops the items, each counting
as done. The race tests check that no item a put reported as accepted is
lost or delivered twice.
"""

from __future__ import annotations

import itertools
import random
import threading

import pytest
import support
from support import wait_until
from test_queues import ALL, COMPLEX, expected_order, until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=ALL)
def qname(request):
    return request.param


@pytest.fixture
def qtype(qname, impl):
    return getattr(impl, qname)


@pytest.fixture(params=COMPLEX)
def ctype(request, impl):
    return getattr(impl, request.param)


def joining(q):
    """The number of tasks queued in a join (no public counter exists)."""
    return len(q._joiners._events)


# -- shutdown -----------------------------------------------------------------


def test_shutdown_error_type(impl):
    assert issubclass(impl.QueueShutDown, Exception)
    assert impl.QueueShutDown.__module__ == "aiologic"
    for other in (impl.QueueEmpty, impl.QueueFull):
        assert not issubclass(impl.QueueShutDown, other)
        assert not issubclass(other, impl.QueueShutDown)


def test_shutdown_refuses_puts_then_drains(world, qtype, qname, impl):
    q = qtype([1, 2])
    ops = world.ops
    assert q.is_shutdown is False
    q.shutdown()
    assert q.is_shutdown is True

    async def body():
        for kwargs in ({}, {"blocking": False}, {"timeout": 0.01}):
            with pytest.raises(impl.QueueShutDown):
                await ops.call(q, "put", 3, **kwargs)
        # the items left are still served, in the queue's order
        got = [await ops.call(q, "get"), await ops.call(q, "get")]
        for kwargs in ({}, {"blocking": False}, {"timeout": 0.01}):
            with pytest.raises(impl.QueueShutDown):
                await ops.call(q, "get", **kwargs)
        return got

    assert world.call(body) == expected_order(qname, [1, 2])
    assert (len(q), q.waiting, q.unfinished_tasks) == (0, 0, 2)
    if qname.startswith("Simple"):
        with pytest.raises(impl.QueueShutDown):
            q.put(4)
    assert len(q) == 0


def test_shutdown_is_idempotent(qtype):
    q = qtype([1, 2])
    q.shutdown()
    q.shutdown()
    assert (q.is_shutdown, len(q)) == (True, 2)
    q.shutdown(immediate=True)
    q.shutdown(immediate=True)
    assert (q.is_shutdown, len(q), q.unfinished_tasks) == (True, 0, 0)


def test_immediate_shutdown_drops_items_as_done(qtype, impl):
    q = qtype([1, 2, 3])
    assert q.unfinished_tasks == 3
    taken = q.green_get()
    q.shutdown(immediate=True)
    # the taken item is still unfinished; the dropped ones are done
    assert (len(q), q.unfinished_tasks) == (0, 1)
    assert q.green_join(timeout=0) is False
    with pytest.raises(impl.QueueShutDown):
        q.green_get(blocking=False)
    assert taken in (1, 3)
    q.task_done()
    assert q.green_join(timeout=0) is True


@pytest.mark.parametrize("immediate", [False, True])
def test_shutdown_wakes_waiting_getters(world, qtype, impl, immediate):
    q = qtype()
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    tasks = []
    for i in range(3):
        tasks.append(world.spawn(getter))
        until(lambda n=i + 1: q.getting == n, *tasks)
    q.shutdown(immediate=immediate)
    for task in tasks:
        assert isinstance(task.exception(), impl.QueueShutDown)
    assert (q.getting, q.waiting, len(q)) == (0, 0, 0)


@pytest.mark.parametrize("immediate", [False, True])
def test_shutdown_wakes_waiting_putters(world, ctype, impl, immediate):
    q = ctype([1], 1)
    ops = world.ops

    async def putter(item):
        await ops.call(q, "put", item)

    tasks = []
    for i, item in enumerate((2, 3)):
        tasks.append(world.spawn(putter, item))
        until(lambda n=i + 1: q.putting == n, *tasks)
    q.shutdown(immediate=immediate)
    for task in tasks:
        assert isinstance(task.exception(), impl.QueueShutDown)
    assert (q.putting, q.waiting) == (0, 0)
    # the woken putters' items were never stored
    if immediate:
        assert (len(q), q.unfinished_tasks) == (0, 0)
    else:
        assert (len(q), q.unfinished_tasks) == (1, 1)
        assert q.green_get() == 1
    with pytest.raises(impl.QueueShutDown):
        q.green_get(blocking=False)


@pytest.mark.parametrize("extra_lib", [None, "gevent", "eventlet"])
def test_shutdown_wakes_getters_of_several_worlds(impl, qname, extra_lib):
    q = getattr(impl, qname)()
    libs = ("asyncio", "trio", "threading") + (
        (extra_lib,) if extra_lib else ()
    )
    with support.open_worlds(*libs) as worlds:
        tasks = []
        for world in worlds:

            async def getter(ops=world.ops):
                return await ops.call(q, "get")

            tasks.append(world.spawn(getter))
            count = len(tasks)
            until(lambda n=count: q.getting == n, *tasks)
        # from a thread of its own
        closer = threading.Thread(target=q.shutdown)
        closer.start()
        closer.join(support.DEFAULT_TIMEOUT)
        for task in tasks:
            assert isinstance(task.exception(), impl.QueueShutDown)
    assert q.waiting == 0


def test_getter_given_an_item_before_shutdown_keeps_it(world, ctype, impl):
    q = ctype(maxsize=1)
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    first = world.spawn(getter)
    until(lambda: q.getting == 1, first)
    q.green_put("x")  # handed to the waiting getter at once
    q.shutdown(immediate=True)
    assert first.result() == "x"
    assert q.unfinished_tasks == 1


def test_cancelled_getter_at_shutdown_loses_nothing(cancellable_world, qtype):
    world = cancellable_world
    q = qtype()
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    doomed = world.spawn(getter)
    until(lambda: q.getting == 1, doomed)
    doomed.cancel()
    assert isinstance(doomed.exception(), world.cancelled_exc)
    q.shutdown()
    assert (q.waiting, len(q)) == (0, 0)


@pytest.mark.parametrize("immediate", [False, True])
def test_getter_cancelled_with_an_item_at_shutdown(
    cancellable_world, ctype, impl, immediate
):
    """A getter handed an item and cancelled before it ran gives the item
    back; after an immediate shutdown it is dropped (a finished task), not
    stored again, so no get returns it; otherwise a later get does."""
    world = cancellable_world
    q = ctype(4)
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    doomed = world.spawn(getter)
    until(lambda: q.getting == 1, doomed)

    async def hand_then_shut():
        q.green_put("x", blocking=False)  # handed to the waiting getter
        world.cancel_now(doomed)  # it has not run yet
        q.shutdown(immediate=immediate)
        return True

    assert world.call(hand_then_shut) is True
    error = doomed.exception()
    if error is None:
        # the cancellation came too late for this library (trio: a
        # rescheduled task keeps what it was handed)
        assert world.lib != "asyncio", "asyncio: the getter ran"
        assert doomed.result() == "x"
        q.task_done()
    else:
        assert isinstance(error, world.cancelled_exc), error
        if not immediate:
            assert q.green_get(blocking=False) == "x"
            q.task_done()
    assert (q.waiting, len(q), q.unfinished_tasks) == (0, 0, 0), q
    with pytest.raises(impl.QueueShutDown):
        q.green_get(blocking=False)
    assert q.green_join(timeout=0) is True


# -- joining ------------------------------------------------------------------


def test_unfinished_tasks_count_puts(qtype, qname):
    q = qtype(["a"])
    # initial items were put too
    assert q.unfinished_tasks == 1
    q.green_put("b")
    if qname.startswith("Simple"):
        q.put("c")
    else:
        q.green_put("c", blocking=False)
    assert q.unfinished_tasks == 3
    for _ in range(3):
        q.green_get()
    # getting is not finishing
    assert q.unfinished_tasks == 3
    for left in (2, 1, 0):
        q.task_done()
        assert q.unfinished_tasks == left


def test_putter_handed_room_counts(world, ctype):
    q = ctype([1], 1)
    ops = world.ops

    async def putter():
        await ops.call(q, "put", 2)

    task = world.spawn(putter)
    until(lambda: q.putting == 1, task)
    assert q.green_get() == 1
    task.result()
    assert (len(q), q.unfinished_tasks) == (1, 2)


def test_task_done_too_many_times(qtype):
    q = qtype([1])
    q.task_done()
    with pytest.raises(ValueError, match="task_done\\(\\) called too many"):
        q.task_done()
    # the queue is intact
    assert q.unfinished_tasks == 0
    q.green_put(2)
    assert q.unfinished_tasks == 1


def test_join_returns_when_every_item_is_done(world, qtype):
    q = qtype()
    ops = world.ops
    q.green_put(1)
    q.green_put(2)

    async def joiner():
        return await ops.call(q, "join")

    task = world.spawn(joiner)
    until(lambda: joining(q) == 1, task)
    q.green_get()
    q.task_done()
    assert not task.done()
    assert joining(q) == 1
    q.green_get()
    q.task_done()
    assert task.result() is True
    assert joining(q) == 0


def test_join_with_nothing_unfinished(world, qtype):
    q = qtype()
    ops = world.ops

    async def body():
        return [
            await ops.call(q, "join"),
            await ops.call(q, "join", timeout=0),
        ]

    assert world.call(body) == [True, True]


def test_join_timeout(world, qtype):
    q = qtype([1])
    ops = world.ops

    async def body():
        return [
            await ops.call(q, "join", timeout=0),
            await ops.call(q, "join", timeout=0.01),
        ]

    assert world.call(body) == [False, False]
    assert joining(q) == 0
    q.task_done()
    assert q.green_join(timeout=0) is True


@pytest.mark.parametrize(
    ("timeout", "error"), [(-1, ValueError), (float("nan"), ValueError)]
)
def test_join_bad_timeout(world, qtype, timeout, error):
    q = qtype()
    ops = world.ops

    async def body():
        with pytest.raises(error):
            await ops.call(q, "join", timeout=timeout)
        return True

    assert world.call(body) is True


def test_cancelled_joiner_leaves(cancellable_world, qtype):
    world = cancellable_world
    q = qtype([1])
    ops = world.ops

    async def joiner():
        return await ops.call(q, "join")

    task = world.spawn(joiner)
    until(lambda: joining(q) == 1, task)
    task.cancel()
    assert isinstance(task.exception(), world.cancelled_exc)
    assert joining(q) == 0
    q.task_done()
    assert q.green_join(timeout=0) is True


@pytest.mark.parametrize("extra_lib", [None, "gevent", "eventlet"])
def test_joiners_of_several_worlds(impl, qname, extra_lib):
    q = getattr(impl, qname)([1])
    libs = ("asyncio", "trio", "threading") + (
        (extra_lib,) if extra_lib else ()
    )
    with support.open_worlds(*libs) as worlds:
        tasks = []
        for world in worlds:

            async def joiner(ops=world.ops):
                return await ops.call(q, "join")

            tasks.append(world.spawn(joiner))
            count = len(tasks)
            until(lambda n=count: joining(q) == n, *tasks)
        q.task_done()
        assert [task.result() for task in tasks] == [True] * len(libs)
    assert joining(q) == 0


def test_immediate_shutdown_wakes_joiners(world, qtype):
    q = qtype([1, 2])
    ops = world.ops

    async def joiner():
        return await ops.call(q, "join")

    task = world.spawn(joiner)
    until(lambda: joining(q) == 1, task)
    q.shutdown()  # not immediate: the items are still unfinished
    assert not task.done()
    q.shutdown(immediate=True)
    assert task.result() is True


# -- races --------------------------------------------------------------------


@pytest.mark.parametrize("immediate", [False, True])
@pytest.mark.parametrize("seed", list(support.seeds(3)))
def test_shutdown_race_loses_and_repeats_nothing(impl, qname, immediate, seed):
    """Producers and consumers in threads race one shutdown: every item
    delivered was accepted, none twice; without ``immediate``, every
    accepted item is delivered or still there; the unfinished count
    matches what is left."""
    rng = random.Random(seed)
    if qname in COMPLEX and rng.random() < 0.5:
        q = getattr(impl, qname)(rng.choice([1, 3]))
    else:
        q = getattr(impl, qname)()
    producers, consumers = rng.randint(1, 3), rng.randint(1, 3)
    accepted = [[] for _ in range(producers)]
    received = [[] for _ in range(consumers)]
    refused = []
    start = threading.Barrier(producers + consumers + 1)
    shut = threading.Event()

    def produce(index):
        timeouts = random.Random(seed * 10 + index)
        start.wait()
        for n in itertools.count():
            if n == 100_000:
                # enough accepted (a fast producer may get there before the
                # consumers received anything): the next put follows the
                # shutdown and must be refused
                assert shut.wait(support.DEFAULT_TIMEOUT)
            item = (index, n)
            try:
                q.green_put(item, timeout=timeouts.choice([None, 0.001]))
            except impl.QueueShutDown:
                refused.append(index)
                return
            except impl.QueueFull:
                continue
            accepted[index].append(item)

    def consume(index):
        start.wait()
        while True:
            try:
                item = q.green_get()
            except impl.QueueShutDown:
                return
            received[index].append(item)
            q.task_done()

    threads = [
        threading.Thread(target=produce, args=(i,)) for i in range(producers)
    ] + [threading.Thread(target=consume, args=(i,)) for i in range(consumers)]
    for thread in threads:
        thread.start()
    start.wait()
    enough = rng.randint(1, 200)
    wait_until(lambda: sum(map(len, received)) >= enough)
    q.shutdown(immediate=immediate)
    shut.set()
    for thread in threads:
        thread.join(support.DEFAULT_TIMEOUT)
        assert not thread.is_alive()
    assert sorted(refused) == list(range(producers))

    delivered = [item for items in received for item in items]
    left = list(q._data)  # a put that passed the check just before
    all_accepted = {item for items in accepted for item in items}
    assert len(set(delivered)) == len(delivered), "an item came out twice"
    assert set(delivered) <= all_accepted
    assert set(left) <= all_accepted - set(delivered)
    # each producer's items come out in its own order (FIFO queues)
    if qname in ("SimpleQueue", "Queue"):
        for items in received:
            for producer in range(producers):
                mine = [n for p, n in items if p == producer]
                assert mine == sorted(mine)
    if not immediate:
        assert set(delivered) | set(left) == all_accepted
    assert q.unfinished_tasks == len(left)
    assert q.waiting == 0


@pytest.mark.parametrize("seed", list(support.seeds(3)))
def test_task_done_race_wakes_every_joiner(impl, qname, seed):
    """Joiners in threads and an asyncio loop, workers finishing items in
    threads: every join returns True once, and only once, all are done."""
    rng = random.Random(seed)
    q = getattr(impl, qname)()
    items = rng.randint(1, 300)
    for n in range(items):
        q.green_put(n)
    workers = rng.randint(1, 3)
    start = threading.Barrier(workers + 1)

    def work():
        start.wait()
        while True:
            try:
                q.green_get(blocking=False)
            except impl.QueueEmpty:
                return
            q.task_done()

    with support.open_worlds("asyncio", "threading") as worlds:
        joiners = []
        for world in worlds:
            for _ in range(2):

                async def joiner(ops=world.ops):
                    result = await ops.call(q, "join")
                    return result, q.unfinished_tasks

                joiners.append(world.spawn(joiner))
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        start.wait()
        for thread in threads:
            thread.join(support.DEFAULT_TIMEOUT)
            assert not thread.is_alive()
        assert [task.result() for task in joiners] == [(True, 0)] * 4
    assert (q.unfinished_tasks, joining(q), len(q)) == (0, 0, 0)
