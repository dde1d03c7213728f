# SPDX-License-Identifier: MIT

"""Queues: construction, the common protocol, and waiting on every library.

Hand-off races, section-3 behaviour and stress tests are in
``test_queues_handoff.py``.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import math
import os
import pickle
import queue as stdlib_queue
import re
import signal
import sys
import threading
import warnings
import weakref

import pytest
import support
from support import wait_until


def is_coroutine_function(function):
    """``inspect.iscoroutinefunction``, also for compiled functions.

    Before Python 3.10, ``inspect`` recognises only Python functions; the
    compiled core's coroutine functions are marked for ``asyncio``.
    """
    if sys.version_info < (3, 10):
        return asyncio.iscoroutinefunction(function)
    return inspect.iscoroutinefunction(function)


pytestmark = pytest.mark.timeout(60)

SIMPLE = ("SimpleQueue", "SimpleLifoQueue")
COMPLEX = ("Queue", "LifoQueue", "PriorityQueue")
ALL = SIMPLE + COMPLEX

QUEUE_REPR = re.compile(
    r"<(?P<name>\S+?)\((?P<args>.*)\) at 0x[0-9a-fA-F]+ \[(?P<state>[^\]]*)\]>"
)

COPY_WARNING = "Copying will no longer preserve the state in the future"
PICKLE_WARNING = "Pickling will no longer preserve the state in the future"


def parse(obj):
    match = QUEUE_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


def until(predicate, *tasks):
    """``wait_until(predicate)``, failing at once if one of ``tasks`` ends."""

    def check():
        for task in tasks:
            if task.done():
                result = task.result(0)  # re-raises its exception
                pytest.fail(f"{task!r} ended early, returning {result!r}")
        return predicate()

    wait_until(check)


def expected_order(name, items):
    """The order in which a queue of type ``name`` returns ``items``."""
    if name in ("SimpleLifoQueue", "LifoQueue"):
        return list(reversed(items))
    if name == "PriorityQueue":
        return sorted(items)
    return list(items)


@pytest.fixture(params=ALL)
def qname(request):
    return request.param


@pytest.fixture
def qtype(qname, impl):
    return getattr(impl, qname)


@pytest.fixture(params=COMPLEX)
def ctype(request, impl):
    return getattr(impl, request.param)


def bounded(qtype, maxsize, items=()):
    """A queue of ``qtype`` that is full after ``maxsize`` items.

    Simple queues are unbounded; callers skip the parts that need room.
    """
    if qtype.__name__.startswith("Simple"):
        return qtype(list(items))
    return qtype(list(items), maxsize)


# -- exceptions ---------------------------------------------------------------


def test_exceptions(impl):
    for exc_type in (impl.QueueEmpty, impl.QueueFull):
        assert issubclass(exc_type, Exception)
        assert not issubclass(
            exc_type, (stdlib_queue.Empty, stdlib_queue.Full)
        )
        assert not issubclass(
            exc_type, (asyncio.QueueEmpty, asyncio.QueueFull)
        )
        exc = exc_type()
        assert str(exc) == ""
        assert weakref.ref(exc)() is exc
    assert not issubclass(impl.QueueEmpty, impl.QueueFull)
    assert not issubclass(impl.QueueFull, impl.QueueEmpty)


# -- construction and repr ----------------------------------------------------


@pytest.mark.parametrize(
    "name, args, kwargs, shown, state",
    [
        ("SimpleQueue", ([1, 2],), {}, "[1, 2]", "length=2"),
        ("SimpleQueue", (), {}, "[]", "length=0, getting=0"),
        ("SimpleLifoQueue", ([1, 2],), {}, "[1, 2]", "length=2"),
        (
            "SimpleLifoQueue",
            # a fresh generator for each core
            lambda: ((x for x in "ab"),),
            {},
            "['a', 'b']",
            "length=2",
        ),
        ("Queue", ([1, 2],), {"maxsize": 3}, "[1, 2], maxsize=3", "length=2"),
        ("Queue", (), {}, "[]", "length=0, getting=0"),
        ("Queue", (None,), {}, "[]", "length=0, getting=0"),
        ("Queue", (3,), {}, "[], maxsize=3", "length=0, getting=0"),
        ("Queue", (), {"maxsize": 3}, "[], maxsize=3", "length=0, getting=0"),
        (
            "Queue",
            ([1, 2, 3], 3),
            {},
            "[1, 2, 3], maxsize=3",
            "length=3, putting=0",
        ),
        (
            "Queue",
            ([1, 2, 3], 2),
            {},
            "[1, 2, 3], maxsize=2",
            "length=3, putting=0",
        ),
        ("Queue", ("ab",), {}, "['a', 'b']", "length=2"),
        ("LifoQueue", ([1, 2],), {}, "[1, 2]", "length=2"),
        ("LifoQueue", (2,), {}, "[], maxsize=2", "length=0, getting=0"),
        ("PriorityQueue", ([3, 1, 2],), {}, "[1, 3, 2]", "length=3"),
        (
            "PriorityQueue",
            ([5, 4, 3, 2, 1], 9),
            {},
            "[1, 2, 3, 5, 4], maxsize=9",
            "length=5",
        ),
    ],
)
def test_constructor_and_repr(impl, name, args, kwargs, shown, state):
    if callable(args):
        args = args()
    q = getattr(impl, name)(*args, **kwargs)
    assert type(q) is getattr(impl, name)
    assert parse(q) == ("aiologic." + name, shown, state)


def test_maxsize(impl):
    for name in COMPLEX:
        qtype = getattr(impl, name)
        assert qtype().maxsize == 0
        assert qtype(None).maxsize == 0
        assert qtype(5).maxsize == 5
        assert qtype(maxsize=5).maxsize == 5
        assert qtype([1], 2).maxsize == 2
        assert qtype([1], None).maxsize == 0
        assert qtype([1, 2]).maxsize == 0
        assert len(qtype(5)) == 0


@pytest.mark.parametrize(
    "args, kwargs",
    [((0,), {}), ((-1,), {}), (([1], 0), {}), ((), {"maxsize": -5})],
)
def test_bad_maxsize(ctype, args, kwargs):
    with pytest.raises(ValueError) as info:
        ctype(*args, **kwargs)
    assert str(info.value) == "maxsize must be >= 1 or None"


def test_items_are_positional_only(qtype):
    with pytest.raises(TypeError):
        qtype(items=[1])


def test_initial_items_may_exceed_maxsize(ctype):
    q = ctype([3, 1, 2], 2)
    assert len(q) == 3
    with pytest.raises(type_of(ctype, "QueueFull")):
        q.green_put(9, blocking=False)
    order = expected_order(ctype.__name__, [3, 1, 2])
    assert q.green_get(blocking=False) == order[0]
    # still full: two items for maxsize 2
    with pytest.raises(type_of(ctype, "QueueFull")):
        q.green_put(9, blocking=False)
    assert q.green_get(blocking=False) == order[1]
    q.green_put(9, blocking=False)
    assert len(q) == 2


def type_of(qtype, name):
    """``aiologic.<name>`` (``qtype`` is one of its queues)."""
    import aiologic

    return getattr(aiologic, name)


def test_len_and_bool(qtype):
    q = qtype()
    assert len(q) == 0
    assert not q
    q.green_put(0)
    assert len(q) == 1
    assert q  # truthy although the item is falsy
    q.green_put(0)
    assert len(q) == 2
    q.green_get()
    q.green_get()
    assert not q


def test_properties_when_idle(qtype):
    q = qtype([1])
    assert (q.putting, q.getting, q.waiting) == (0, 0, 0)


def test_slots_and_weakref(qtype):
    q = qtype()
    assert weakref.ref(q)() is q
    assert not hasattr(q, "__dict__")
    with pytest.raises(AttributeError):
        q.some_attribute = 1


def test_generic(qtype):
    alias = qtype[int]
    q = alias([1])
    assert type(q) is qtype
    assert len(q) == 1


def test_no_plain_put_get_on_complex_queues(ctype):
    q = ctype()
    for name in (
        "put",
        "get",
        "put_nowait",
        "get_nowait",
        "qsize",
        "empty",
        "full",
    ):
        assert not hasattr(q, name), name


@pytest.mark.parametrize("name", SIMPLE)
def test_simple_queue_has_plain_put(impl, name):
    q = getattr(impl, name)()
    assert q.put(1) is None
    assert len(q) == 1
    assert not hasattr(q, "get")


def test_signatures(qtype):
    for name in ("green_put", "async_put"):
        params = inspect.signature(getattr(qtype, name)).parameters
        assert list(params) == ["self", "item", "blocking", "timeout"]
        assert params["item"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert params["blocking"].kind is inspect.Parameter.KEYWORD_ONLY
        assert params["blocking"].default is True
        assert params["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
        assert params["timeout"].default is None
    for name in ("green_get", "async_get"):
        params = inspect.signature(getattr(qtype, name)).parameters
        assert list(params) == ["self", "blocking", "timeout"]
        assert params["blocking"].kind is inspect.Parameter.KEYWORD_ONLY
        assert params["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
    assert is_coroutine_function(qtype.async_get)
    assert is_coroutine_function(qtype.async_put)


def test_subclass_repr_uses_own_name(ctype):
    class Custom(ctype):
        pass

    q = Custom([1])
    assert parse(q)[0].endswith("Custom")
    assert q.green_get() == 1


# -- pickling and copying -----------------------------------------------------


def make_filled(qtype):
    if qtype.__name__.startswith("Simple"):
        return qtype([3, 1, 2])
    return qtype([3, 1, 2], 5)


def same_contents(a, b):
    assert type(a) is type(b)
    assert parse(a)[1:] == parse(b)[1:]
    assert getattr(a, "maxsize", None) == getattr(b, "maxsize", None)


def test_copy_preserves_contents_with_warning(qtype):
    q = make_filled(qtype)
    with pytest.warns(DeprecationWarning) as record:
        clone = copy.copy(q)
    assert [str(w.message) for w in record] == [COPY_WARNING]
    same_contents(q, clone)
    # independent: taking from the clone leaves the original alone
    clone.green_get()
    assert len(clone) == 2
    assert len(q) == 3


def test_pickle_preserves_contents_with_warning(qtype):
    q = make_filled(qtype)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        with pytest.warns(DeprecationWarning) as record:
            data = pickle.dumps(q, protocol)
        assert [str(w.message) for w in record] == [PICKLE_WARNING]
        same_contents(q, pickle.loads(data))
    assert q.__getstate__() is None


def test_copy_method_is_deprecated(qtype):
    q = make_filled(qtype)
    with pytest.warns(DeprecationWarning) as record:
        clone = q.copy()
    assert [str(w.message) for w in record] == [
        "Use copy.copy(queue) instead",
        COPY_WARNING,
    ]
    same_contents(q, clone)
    with pytest.warns(DeprecationWarning) as record:
        qtype().copy()
    assert [str(w.message) for w in record] == ["Use copy.copy(queue) instead"]


def test_empty_queues_copy_and_pickle_without_warning(qtype):
    queues = [qtype()]
    if not qtype.__name__.startswith("Simple"):
        queues.append(qtype(4))
    for q in queues:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            same_contents(q, copy.copy(q))
            same_contents(q, pickle.loads(pickle.dumps(q)))


def test_getnewargs(impl):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert impl.Queue().__getnewargs__() == ()
        assert impl.Queue(3).__getnewargs__() == (3,)
        assert impl.Queue([1], 3).__getnewargs__() == ((1,), 3)
        assert impl.Queue([1, 2]).__getnewargs__() == ((1, 2),)
        assert impl.SimpleQueue([1]).__getnewargs__() == ((1,),)
        assert impl.SimpleQueue().__getnewargs__() == ()


def test_pickle_keeps_no_waiters(world, ctype):
    q = ctype(1)
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    task = world.spawn(getter)
    until(lambda: q.getting == 1, task)
    clone = pickle.loads(pickle.dumps(q))
    assert clone.getting == 0
    assert clone.maxsize == 1
    q.green_put("x")
    assert task.result() == "x"


# -- storage hooks ------------------------------------------------------------


def test_hooks(world, impl):
    calls = []

    class Recording(impl.Queue):
        __slots__ = ()

        def _init(self, items, maxsize):
            calls.append(("init", list(items), maxsize))
            self._data = list(items)

        def _put(self, item):
            calls.append(("put", item))
            self._data.append(item * 10)

        def _get(self):
            item = self._data.pop(0)
            calls.append(("get", item))
            return item

    q = Recording([1], 2)
    assert calls == [("init", [1], 2)]
    assert parse(q)[1] == "[1], maxsize=2"
    Recording()
    assert calls[-1] == ("init", [], 0)
    calls.clear()

    q.green_put(2)
    assert q.green_get() == 1
    assert q.green_get() == 20
    assert calls == [("put", 2), ("get", 1), ("get", 20)]
    calls.clear()

    # a waiting getter receives its item through both hooks
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    task = world.spawn(getter)
    until(lambda: q.getting == 1, task)
    q.green_put(3)
    assert task.result() == 30
    assert calls == [("put", 3), ("get", 30)]
    assert len(q) == 0


def test_storage_types(impl):
    from collections import deque

    assert type(impl.Queue()._data) is deque
    assert type(impl.LifoQueue()._data) is list
    assert type(impl.PriorityQueue()._data) is list


# -- order, non-blocking calls ------------------------------------------------


def test_order(world, qtype, qname):
    q = qtype()
    ops = world.ops
    items = [5, 3, 8, 1, 9, 2]

    async def body():
        for item in items:
            await ops.call(q, "put", item)
        return [await ops.call(q, "get") for _ in items]

    assert world.call(body) == expected_order(qname, items)
    assert len(q) == 0


def test_priority_order_with_duplicates_and_tuples(impl):
    import random

    rng = random.Random(1234)
    q = impl.PriorityQueue()
    items = [(rng.randrange(10), i) for i in range(200)]
    for item in items:
        q.green_put(item)
    assert [q.green_get() for _ in items] == sorted(items)


def test_nonblocking(world, qtype, qname):
    q = bounded(qtype, 2)
    ops = world.ops

    async def body():
        with pytest.raises(type_of(qtype, "QueueEmpty")):
            await ops.call(q, "get", blocking=False)
        await ops.call(q, "put", 1, blocking=False)
        await ops.call(q, "put", 2, blocking=False)
        if qname in COMPLEX:
            with pytest.raises(type_of(qtype, "QueueFull")):
                await ops.call(q, "put", 3, blocking=False)
        got = [
            await ops.call(q, "get", blocking=False),
            await ops.call(q, "get", blocking=False),
        ]
        with pytest.raises(type_of(qtype, "QueueEmpty")):
            await ops.call(q, "get", blocking=False)
        return got, q.waiting

    assert world.call(body) == (expected_order(qname, [1, 2]), 0)


@pytest.mark.parametrize("timeout", [-1, math.nan, "x"])
def test_nonblocking_ignores_timeout(world, qtype, qname, timeout):
    q = bounded(qtype, 1)
    ops = world.ops

    async def body():
        await ops.call(q, "put", 1, blocking=False, timeout=timeout)
        if qname in COMPLEX:
            with pytest.raises(type_of(qtype, "QueueFull")):
                await ops.call(q, "put", 2, blocking=False, timeout=timeout)
        got = await ops.call(q, "get", blocking=False, timeout=timeout)
        with pytest.raises(type_of(qtype, "QueueEmpty")):
            await ops.call(q, "get", blocking=False, timeout=timeout)
        return got

    assert world.call(body) == 1


def test_timeout_zero_polls(world, qtype, qname):
    q = bounded(qtype, 1)
    ops = world.ops

    async def body():
        with pytest.raises(type_of(qtype, "QueueEmpty")):
            await ops.call(q, "get", timeout=0)
        await ops.call(q, "put", 1, timeout=0)
        if qname in COMPLEX:
            with pytest.raises(type_of(qtype, "QueueFull")):
                await ops.call(q, "put", 2, timeout=0)
        return await ops.call(q, "get", timeout=0), q.waiting

    assert world.call(body) == (1, 0)


# -- waiting ------------------------------------------------------------------


def test_get_waits_for_put_from_another_thread(world, qtype):
    q = qtype()
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    tasks = []
    for i in range(3):
        tasks.append(world.spawn(getter))
        until(lambda n=i + 1: q.getting == n, *tasks)
    assert parse(q)[2] == "length=0, getting=3"
    assert q.waiting == 3
    assert q.putting == 0
    # getters are served in arrival order
    for i, item in enumerate(("a", "b", "c")):
        q.green_put(item)  # from the test's thread
        assert tasks[i].result() == item
        assert q.getting == 2 - i
        assert not any(task.done() for task in tasks[i + 1 :])
    assert (q.getting, q.waiting, len(q)) == (0, 0, 0)


@pytest.mark.differs_from_0171
def test_complex_queue_hands_items_at_put_time(world, ctype):
    # the item is chosen when it is put, not when the getter runs
    q = ctype()
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    tasks = []
    for i in range(3):
        tasks.append(world.spawn(getter))
        until(lambda n=i + 1: q.getting == n, *tasks)
    for item in ("a", "b", "c"):
        q.green_put(item)
    assert q.getting == 0
    assert [task.result() for task in tasks] == ["a", "b", "c"]
    assert len(q) == 0


@pytest.mark.parametrize(
    "other_lib", ["threading", "asyncio", "trio", "gevent"]
)
def test_get_waits_for_put_from_another_world(lib, other_lib, impl, qname):
    q = getattr(impl, qname)()
    with support.open_worlds(lib, other_lib) as (world, other):

        async def getter():
            return await world.ops.call(q, "get", timeout=10)

        async def putter(item):
            await other.ops.call(q, "put", item)

        task = world.spawn(getter)
        until(lambda: q.getting == 1, task)
        other.call(putter, "x")
        assert task.result() == "x"
    assert len(q) == 0


def test_getters_fifo_across_threads_and_two_loops(impl, qname):
    q = getattr(impl, qname)()
    with support.open_worlds("threading", "asyncio", "asyncio") as worlds:
        tasks = []
        for i in range(6):
            world = worlds[i % 3]

            async def getter(world=world):
                return await world.ops.call(q, "get")

            tasks.append(world.spawn(getter))
            until(lambda n=i + 1: q.getting == n, *tasks)
        # woken in arrival order: thread, loop 1, loop 2, thread, ...
        for i, task in enumerate(tasks):
            q.green_put(i)
            assert task.result() == i
    assert (len(q), q.waiting) == (0, 0)


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")
@pytest.mark.parametrize("name", SIMPLE)
def test_put_from_signal_handler_wakes_waiting_main_thread(impl, name):
    q = getattr(impl, name)()

    def handler(signum, frame):
        q.put("from handler")

    def send_signal():
        wait_until(lambda: q.getting == 1)
        os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        sender = threading.Thread(target=send_signal, daemon=True)
        sender.start()
        # the main thread waits; the handler runs in it and wakes it
        assert q.green_get(timeout=10) == "from handler"
        sender.join(10)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert (len(q), q.waiting) == (0, 0)


def test_put_waits_for_room(world, ctype):
    q = ctype([1], 1)
    ops = world.ops

    async def putter(item):
        await ops.call(q, "put", item)
        return item

    tasks = []
    for i, item in enumerate((2, 3)):
        tasks.append(world.spawn(putter, item))
        until(lambda n=i + 1: q.putting == n, *tasks)
    assert parse(q)[2] == "length=1, putting=2"
    assert q.waiting == 2
    assert q.getting == 0
    assert q.green_get() == 1
    assert tasks[0].result() == 2
    assert q.putting == 1
    assert q.green_get() == 2
    assert tasks[1].result() == 3
    assert q.green_get() == 3
    assert (q.putting, q.getting, len(q)) == (0, 0, 0)


def test_put_waits_for_room_across_worlds(lib, impl):
    q = impl.Queue(1)
    with support.open_worlds(lib, "asyncio") as (world, other):

        async def producer():
            for i in range(20):
                await world.ops.call(q, "put", i)

        async def consumer():
            return [await other.ops.call(q, "get") for _ in range(20)]

        produced = world.spawn(producer)
        consumed = other.spawn(consumer)
        assert consumed.result() == list(range(20))
        produced.result()
    assert len(q) == 0


def test_get_timeout_raises_queue_empty(world, qtype):
    q = qtype()
    ops = world.ops

    async def body():
        with pytest.raises(type_of(qtype, "QueueEmpty")):
            await ops.call(q, "get", timeout=0.02)
        return q.waiting

    assert world.call(body) == 0
    q.green_put(1)
    assert q.green_get(blocking=False) == 1


def test_put_timeout_raises_queue_full(world, ctype):
    q = ctype([1], 1)
    ops = world.ops

    async def body():
        with pytest.raises(type_of(ctype, "QueueFull")):
            await ops.call(q, "put", 2, timeout=0.02)
        return q.waiting, len(q)

    assert world.call(body) == (0, 1)
    assert q.green_get() == 1
    q.green_put(3, blocking=False)
    assert q.green_get() == 3


def test_timed_out_getter_leaves_others_in_order(world, qtype):
    q = qtype()
    ops = world.ops

    async def getter(timeout):
        try:
            return await ops.call(q, "get", timeout=timeout)
        except type_of(qtype, "QueueEmpty"):
            return "timeout"

    first = world.spawn(getter, 10)
    until(lambda: q.getting == 1, first)
    second = world.spawn(getter, 0.01)
    assert second.result() == "timeout"
    third = world.spawn(getter, 10)
    until(lambda: q.getting == 2, third)
    q.green_put("a")
    assert first.result() == "a"
    q.green_put("b")
    assert third.result() == "b"


def test_cancel_waiting_getter(cancellable_world, qtype, qname):
    world = cancellable_world
    q = qtype()
    ops = world.ops

    async def getter():
        return await ops.call(q, "get")

    first = world.spawn(getter)
    until(lambda: q.getting == 1, first)
    second = world.spawn(getter)
    until(lambda: q.getting == 2, second)
    first.cancel()
    assert isinstance(first.exception(), world.cancelled_exc)
    until(lambda: q.getting == 1, second)
    assert q.waiting == 1
    q.green_put("x")
    assert second.result() == "x"
    assert (len(q), q.waiting) == (0, 0)
    # the cancelled getter took nothing
    q.green_put("y")
    assert q.green_get(blocking=False) == "y"


def test_cancel_waiting_putter(cancellable_world, ctype):
    world = cancellable_world
    q = ctype([1], 1)
    ops = world.ops

    async def putter(item):
        await ops.call(q, "put", item)

    first = world.spawn(putter, 2)
    until(lambda: q.putting == 1, first)
    second = world.spawn(putter, 3)
    until(lambda: q.putting == 2, second)
    first.cancel()
    assert isinstance(first.exception(), world.cancelled_exc)
    until(lambda: q.putting == 1, second)
    assert q.green_get() == 1
    second.result()
    # the cancelled putter's item was never stored
    assert q.green_get(blocking=False) == 3
    assert (len(q), q.waiting) == (0, 0)


@pytest.mark.parametrize(
    "timeout, message",
    [
        (-1, "timeout must be non-negative"),
        (math.nan, "timeout must be non-NaN"),
    ],
)
def test_bad_timeout_when_waiting(world, qtype, qname, timeout, message):
    q = bounded(qtype, 1)
    ops = world.ops

    async def body():
        messages = []
        with pytest.raises(ValueError) as info:
            await ops.call(q, "get", timeout=timeout)
        messages.append(str(info.value))
        if qname in COMPLEX:
            await ops.call(q, "put", 1)
            with pytest.raises(ValueError) as info:
                await ops.call(q, "put", 2, timeout=timeout)
            messages.append(str(info.value))
            assert await ops.call(q, "get") == 1
        return messages, q.waiting, len(q)

    messages, waiting, length = world.call(body)
    assert set(messages) == {message}
    assert (waiting, length) == (0, 0)
    # still usable
    q.green_put(5)
    assert q.green_get() == 5


def test_bad_timeout_type_when_waiting(world, qtype):
    q = qtype()
    ops = world.ops

    async def body():
        with pytest.raises(TypeError):
            await ops.call(q, "get", timeout="1")
        return q.waiting

    assert world.call(body) == 0


# -- checkpoints --------------------------------------------------------------


@pytest.mark.parametrize("trio_lib", ["trio", "anyio-trio"])
def test_trio_cancelled_scope_changes_nothing(trio_lib, qtype, qname):
    """Under trio a non-waiting call is a checkpoint: cancelled, no effect."""
    q = bounded(qtype, 5, [1])

    async def body():
        import trio

        with trio.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(trio.Cancelled):
                await q.async_put(2)
        with trio.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(trio.Cancelled):
                await q.async_get()
        # blocking=False never checkpoints
        with trio.CancelScope() as scope:
            scope.cancel()
            await q.async_put(3, blocking=False)
            got = await q.async_get(blocking=False)
        return got, len(q)

    with support.World(trio_lib) as world:
        got, length = world.call(body)
    assert length == 1
    assert got == expected_order(qname, [1, 3])[0]


def test_trio_yields_once_per_call(qtype):
    q = qtype()

    async def body():
        import trio

        counts = []
        counter = support.YieldCounter(q.async_put(1))
        await counter
        counts.append(counter.yields)
        counter = support.YieldCounter(q.async_get())
        await counter
        counts.append(counter.yields)
        counter = support.YieldCounter(q.async_put(2, blocking=False))
        await counter
        counts.append(counter.yields)
        counter = support.YieldCounter(q.async_get(blocking=False))
        await counter
        counts.append(counter.yields)

        # a get that waits yields once: for the wait itself
        async def put_later():
            await trio.sleep(0.01)
            q.green_put(3, blocking=False)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(put_later)
            counter = support.YieldCounter(q.async_get())
            got = await counter
        counts.append(counter.yields)
        return counts, got

    with support.World("trio") as world:
        assert world.call(body) == ([1, 1, 0, 0, 1], 3)


def test_asyncio_does_not_yield_by_default(qtype):
    q = qtype()

    async def body():
        counts = []
        for awaitable in (q.async_put(1), q.async_get()):
            counter = support.YieldCounter(awaitable)
            await counter
            counts.append(counter.yields)
        return counts

    with support.World("asyncio") as world:
        assert world.call(body) == [0, 0]
