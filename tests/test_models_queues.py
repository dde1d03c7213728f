# SPDX-License-Identifier: MIT

"""Model-based tests of the queues (see ``test_models.py`` for the actors).

The model of ``Queue``, ``LifoQueue``, ``PriorityQueue`` (bounded or not),
``SimpleQueue`` and ``SimpleLifoQueue``: the items in order, the FIFO of
waiting getters and the FIFO of waiting putters with their items. A put
hands its item to the first waiting getter; a get lets the first waiting
putter's item in; non-blocking calls succeed whenever the queue has the
room (the item) and nobody waits ahead (API.md section 3).
"""

from __future__ import annotations

import ast
import heapq
import re

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule
from test_models import (
    BLOCK,
    CANCELLED,
    IGNORE_REGISTER_RANDOM,
    MODES,
    NOWAIT,
    OK,
    Model,
    actors_fixture,  # noqa: F401 - the fixture `actors`
    mode_kwargs,
    run_machine,
    when,
)

pytestmark = [pytest.mark.timeout(120), IGNORE_REGISTER_RANDOM]

_CONTENTS = re.compile(r"^<aiologic\.\w+\((\[.*?\])")


def putter(queue, item, mode, simple):
    kwargs = mode_kwargs(mode)

    async def fn(ops):
        return await ops.call(queue, "put", item, **kwargs)

    if simple and mode == "plain":

        async def fn(ops):  # the signal-safe put
            return queue.put(item)

    return fn


def getter(queue, mode):
    kwargs = mode_kwargs(mode)

    async def fn(ops):
        return await ops.call(queue, "get", **kwargs)

    return fn


class QueueModel(Model):
    """Items, waiting getters and waiting putters of one queue."""

    name = None  # the class name in aiologic
    bounded = True

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.queue = None
        self.items = []
        self.maxsize = None
        self.getters = []  # FIFO of actors
        self.putters = []  # FIFO of (actor, item)
        self.next_item = 0

    @property
    def simple(self):
        return self.name.startswith("Simple")

    @initialize(
        items=st.lists(st.integers(0, 9), max_size=2),
        maxsize=st.sampled_from((None, 1, 2, 3, 4)),
    )
    def create(self, items, maxsize):
        cls = getattr(self.impl, self.name)
        if self.simple:
            self.queue = cls(items)
        else:
            if maxsize is not None:
                maxsize = max(maxsize, len(items))
            self.queue = cls(items, maxsize=maxsize)
            self.maxsize = maxsize
        self.items = list(items)
        if self.name == "PriorityQueue":
            heapq.heapify(self.items)
        self.errors = (self.impl.QueueEmpty, self.impl.QueueFull)

    # -- the model's order -------------------------------------------

    def _push(self, item):
        if self.name == "PriorityQueue":
            heapq.heappush(self.items, item)
        else:
            self.items.append(item)

    def _pop(self):
        if self.name == "PriorityQueue":
            return heapq.heappop(self.items)
        if self.name in ("LifoQueue", "SimpleLifoQueue"):
            return self.items.pop()
        return self.items.pop(0)

    def _full(self):
        return self.maxsize is not None and len(self.items) >= self.maxsize

    def _item(self, data):
        if self.name == "PriorityQueue":
            return data.draw(st.integers(0, 9), label="item")
        self.next_item += 1
        return 100 + self.next_item

    # -- rules ---------------------------------------------------------

    @rule(data=st.data(), mode=MODES)
    def put(self, data, mode):
        i = self.pick(data, self.idle())
        if i is None:  # the test's thread: it must not wait
            mode = NOWAIT
        item = self._item(data)
        if self.simple and data.draw(st.booleans(), label="plain put()"):
            mode = "plain"
        fn = putter(self.queue, item, mode, self.simple)
        if self.getters:
            self.expect(i, fn, None)
            self.finish(self.getters.pop(0), item)
        elif self.putters or self._full():
            if mode == BLOCK:
                self.start(
                    i, fn, lambda: self.queue.putting, len(self.putters) + 1
                )
                self.putters.append((i, item))
            else:
                self.expect(i, fn, error=(self.impl.QueueFull, ""))
        else:
            self.expect(i, fn, None)
            self._push(item)

    @rule(data=st.data(), mode=MODES)
    def get(self, data, mode):
        i = self.pick(data, self.idle())
        if i is None:  # the test's thread: it must not wait
            mode = NOWAIT
        fn = getter(self.queue, mode)
        if self.getters or not self.items:
            if mode == BLOCK:
                self.start(
                    i, fn, lambda: self.queue.getting, len(self.getters) + 1
                )
                self.getters.append(i)
            else:
                self.expect(i, fn, error=(self.impl.QueueEmpty, ""))
            return
        self.expect(i, fn, self._pop())
        if self.putters:
            j, item = self.putters.pop(0)
            self._push(item)
            self.finish(j, None)

    @when(
        lambda self: self.cancellable_waiters(
            self.getters + [i for i, _ in self.putters]
        )
    )
    @rule(data=st.data())
    def cancel_waiter(self, data):
        if not self.rarely(data):
            return
        waiters = self.getters + [i for i, _ in self.putters]
        i = self.pick(data, self.cancellable_waiters(waiters))
        self.cancel(i)
        if i in self.getters:
            self.getters.remove(i)
        else:
            self.putters = [p for p in self.putters if p[0] != i]

    @when(
        lambda self: (
            self.idle()
            and len(self.getters) == 1
            and self.actors[self.getters[0]].cancellable
        )
    )
    @rule(data=st.data())
    def put_then_cancel_woken(self, data):
        """Hand an item to the only getter and cancel it at once.

        Either outcome is right; the item must reach the getter or stay in
        the queue (then the same actor takes it, so that both outcomes end
        in one state and the examples stay replayable).
        """
        i = self.pick(data, self.idle())
        item = self._item(data)
        self.expect(i, putter(self.queue, item, BLOCK, self.simple), None)
        first = self.getters.pop(0)
        kind, result = self.cancel_racing(first)
        if kind == OK:
            assert result == item, (result, item)
            return
        assert kind == CANCELLED, (kind, result)
        assert len(self.queue) == 1, self.queue
        self.expect(first, getter(self.queue, NOWAIT), item)

    # -- the comparison ---------------------------------------------------

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        queue = self.queue
        assert len(queue) == len(self.items), (queue, self.items)
        assert queue.getting == len(self.getters), queue
        assert queue.putting == len(self.putters), queue
        assert queue.waiting == len(self.getters) + len(self.putters)
        if not self.simple:
            assert queue.maxsize == (self.maxsize or 0), queue
        match = _CONTENTS.match(repr(queue))
        assert match is not None, repr(queue)
        contents = ast.literal_eval(match.group(1))
        if self.name == "PriorityQueue":
            assert sorted(contents) == sorted(self.items), queue
        else:
            assert contents == self.items, (queue, self.items)

    def drain(self):
        for i in self.cancellable_waiters(self.getters):
            self.cancel(i)
            self.getters.remove(i)
        for i in self.cancellable_waiters([i for i, _ in self.putters]):
            self.cancel(i)
            self.putters = [p for p in self.putters if p[0] != i]
        while self.getters:
            i = (self.idle() or [None])[0]
            self.expect(i, putter(self.queue, 0, BLOCK, self.simple), None)
            self.finish(self.getters.pop(0), 0)
        while self.putters:
            i = (self.idle() or [None])[0]
            self.expect(i, getter(self.queue, BLOCK), self._pop())
            j, item = self.putters.pop(0)
            self._push(item)
            self.finish(j, None)


QUEUES = (
    "Queue",
    "LifoQueue",
    "PriorityQueue",
    "SimpleQueue",
    "SimpleLifoQueue",
)


@pytest.mark.parametrize("name", QUEUES)
def test_queue_model(impl, actors, name):
    machine = type(f"QueueModel_{name}", (QueueModel,), {"name": name})
    run_machine(machine, impl, actors)
