# SPDX-License-Identifier: MIT

"""The compiled core and the pure-Python core show the same surface.

Both modules are loaded side by side in this process
(``aiologic._pycore`` and ``aiologic._aiologic_core``, whichever core the
primitives use) and compared: the names they export, the public attributes
of each class and the ones the primitives use, signatures, the first line
of each docstring, the exception raised by the same bad call, and the
results of the same short scenario.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re
import sys

import pytest

#: The non-public names of each core class that the primitives use, found
#: with ``grep -n "core\.\|lock\._\|self\._" aiologic/*.py`` (the cores
#: excluded); public names are compared without a table.
#: ``test_core_accesses_are_declared`` checks the ``core.`` accesses.
PRIVATE_USED = {
    # the base class of Event and REvent
    "EventBase": {"_await", "_core"},
    "EventCore": set(),
    # the base classes of Lock and RLock; Condition hands their permit over
    "LockCore": {
        "_acquired",
        "_core",
        "_owner_thread",
        "_release_save",
        "_took_over",
    },
    "PermitCounter": set(),
    "RLockCore": {
        "_acquired",
        "_core",
        "_owner_thread",
        "_release_save",
        "_took_over",
    },
    # the base classes of the capacity limiters
    "LimiterCore": {"_borrowers", "_core", "_init_core"},
    "RLimiterCore": {"_borrowers", "_core", "_init_core"},
    # the base class of the semaphores
    "SemaphoreCore": {"_core", "_init_core", "_max_value"},
    # the base class of Queue, LifoQueue and PriorityQueue
    "QueueCore": {
        "_NO_ITEM",
        "_data",
        "_getters",
        "_has_item",
        "_has_room",
        "_init_core",
        "_lock",
        "_maxsize",
        "_putters",
        "_try_get",
        "_try_put",
        "_mark_shut_down",
        "_unfinished_down",
        "_unfinished_up",
    },
    # the base class of SimpleQueue and SimpleLifoQueue
    "SimpleQueueCore": {
        "_core",
        "_data",
        "_init_core",
        "_pop",
        "_shut_down",
        "_unfinished_down",
    },
    # the waiter queue of Condition (its truth value comes from __len__)
    "WaitQueue": {"__len__"},
}

CLASSES = tuple(sorted(PRIVATE_USED))

#: The other exports: the storage kinds of QueueCore and the heap functions
#: of PriorityQueue.
CONSTANTS = ("STORAGE_FIFO", "STORAGE_HEAP", "STORAGE_HOOKS", "STORAGE_LIFO")
FUNCTIONS = ("heap_pop", "heap_push")


@pytest.fixture(scope="module")
def cores(request):
    """``(pure, compiled)`` core modules."""
    if sys.implementation.name != "cpython":
        pytest.skip(
            f"{sys.implementation.name} has no compiled core (by design)"
        )
    if request.config.getoption("--no-extensions"):
        pytest.skip("--no-extensions: the compiled core is not tested")
    pure = importlib.import_module("aiologic._pycore")
    try:
        compiled = importlib.import_module("aiologic._aiologic_core")
    except ImportError as exc:
        pytest.fail(
            f"the compiled core cannot be imported: {exc!r} (build it, or"
            " pass --no-extensions)",
            pytrace=False,
        )
    return pure, compiled


def public_names(cls):
    return {name for name in dir(cls) if not name.startswith("_")}


def kind(cls, name):
    """``"method"``, ``"data"`` (attribute or property) or ``"missing"``."""
    try:
        value = inspect.getattr_static(cls, name)
    except AttributeError:
        return "missing"
    if inspect.isroutine(value):
        return "method"
    return "data"


def signature(obj):
    """The parameters of ``obj`` (name, kind, default; no annotations), or
    None if it does not tell them."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = [(p.name, p.kind, p.default) for p in sig.parameters.values()]
    generic = [
        (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD),
        (inspect.Parameter.VAR_POSITIONAL,),
    ]
    # (*args, **kwargs) says nothing about the real parameters
    rest = tuple(how for name, how, _ in params if name != "self")
    if rest in generic:
        return None
    return params


def first_doc_line(obj):
    doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    return inspect.cleandoc(doc).splitlines()[0]


def test_same_exports(cores):
    pure, compiled = cores
    assert sorted(compiled.__all__) == sorted(pure.__all__)
    # a new core class needs its line in PRIVATE_USED
    assert sorted(pure.__all__) == sorted(CLASSES + CONSTANTS + FUNCTIONS)
    for name in CLASSES:
        assert isinstance(getattr(compiled, name), type), name
    for name in CONSTANTS:
        assert getattr(compiled, name) == getattr(pure, name), name
    for name in FUNCTIONS:
        assert callable(getattr(compiled, name)), name
        expected = first_doc_line(getattr(pure, name))
        assert first_doc_line(getattr(compiled, name)) == expected, name


@pytest.mark.parametrize("name", CLASSES)
def test_same_public_attributes(cores, name):
    pure, compiled = cores
    pure_cls, compiled_cls = getattr(pure, name), getattr(compiled, name)
    assert public_names(compiled_cls) == public_names(pure_cls)
    for attr in sorted(public_names(pure_cls) | PRIVATE_USED[name]):
        assert kind(compiled_cls, attr) == kind(pure_cls, attr), attr
        assert kind(pure_cls, attr) != "missing", attr


@pytest.mark.parametrize("name", CLASSES)
def test_same_signatures(cores, name):
    pure, compiled = cores
    pure_cls, compiled_cls = getattr(pure, name), getattr(compiled, name)
    pairs = [("(constructor)", pure_cls, compiled_cls)]
    for attr in sorted(public_names(pure_cls) | PRIVATE_USED[name]):
        if kind(pure_cls, attr) == "method":
            pairs.append(
                (attr, getattr(pure_cls, attr), getattr(compiled_cls, attr))
            )
    compared = 0
    for attr, pure_obj, compiled_obj in pairs:
        expected, actual = signature(pure_obj), signature(compiled_obj)
        if expected is None or actual is None:
            continue  # one side does not tell
        assert actual == expected, attr
        compared += 1
    assert compared, "no signature could be compared"


@pytest.mark.parametrize("name", CLASSES)
def test_same_first_docstring_lines(cores, name):
    pure, compiled = cores
    pure_cls, compiled_cls = getattr(pure, name), getattr(compiled, name)
    assert first_doc_line(compiled_cls) == first_doc_line(pure_cls)
    # what the pure class documents itself; inherited docs are not ours
    for attr, value in vars(pure_cls).items():
        if attr.startswith("_"):
            continue
        expected = first_doc_line(value)
        if expected is None:
            continue
        actual = first_doc_line(inspect.getattr_static(compiled_cls, attr))
        assert actual == expected, attr


# -- behaviour ------------------------------------------------------------


def _set_attribute(obj, name, value):
    setattr(obj, name, value)


#: (id, call): bad calls; each takes the core module, and both cores must
#: raise the same exception type (or, where one core accepts the call, both)
BAD_CALLS = [
    ("PermitCounter()", lambda m: m.PermitCounter()),
    ("PermitCounter(1, False, 3)", lambda m: m.PermitCounter(1, False, 3)),
    ("PermitCounter('1')", lambda m: m.PermitCounter("1")),
    ("PermitCounter(1.5)", lambda m: m.PermitCounter(1.5)),
    ("PermitCounter(2**64)", lambda m: m.PermitCounter(2**64)),
    (
        "PermitCounter.try_acquire(1, 2)",
        lambda m: m.PermitCounter(1).try_acquire(1, 2),
    ),
    (
        "PermitCounter.release(1, 2)",
        lambda m: m.PermitCounter(1).release(1, 2),
    ),
    (
        "PermitCounter.release(2**64)",
        lambda m: m.PermitCounter(1).release(2**64),
    ),
    ("PermitCounter.add_waiter()", lambda m: m.PermitCounter(1).add_waiter()),
    (
        "PermitCounter.remove_waiter()",
        lambda m: m.PermitCounter(1).remove_waiter(),
    ),
    (
        "PermitCounter.remove_waiter(foreign)",
        lambda m: m.PermitCounter(1).remove_waiter(object()),
    ),
    (
        "PermitCounter.value = 2",
        lambda m: _set_attribute(m.PermitCounter(1), "value", 2),
    ),
    (
        "PermitCounter.waiting = 2",
        lambda m: _set_attribute(m.PermitCounter(1), "waiting", 2),
    ),
    (
        "PermitCounter.unknown = 2",
        lambda m: _set_attribute(m.PermitCounter(1), "unknown", 2),
    ),
    ("EventCore(1)", lambda m: m.EventCore(1)),
    ("EventCore.set(1)", lambda m: m.EventCore().set(1)),
    ("EventCore.add_waiter()", lambda m: m.EventCore().add_waiter()),
    (
        "EventCore.remove_waiter(foreign)",
        lambda m: m.EventCore().remove_waiter(object()),
    ),
    (
        "EventCore.waiting = 2",
        lambda m: _set_attribute(m.EventCore(), "waiting", 2),
    ),
    (
        "EventCore.unknown = 2",
        lambda m: _set_attribute(m.EventCore(), "unknown", 2),
    ),
    ("WaitQueue.popleft()", lambda m: m.WaitQueue().popleft()),
    ("WaitQueue.discard()", lambda m: m.WaitQueue().discard()),
    ("WaitQueue.remove(foreign)", lambda m: m.WaitQueue().remove(object())),
    ("heap_pop([])", lambda m: m.heap_pop([])),
    ("heap_push([1], 'a')", lambda m: m.heap_push([1], "a")),
    ("heap_pop([1, 'a', 2])", lambda m: m.heap_pop([1, "a", 2])),
]


def outcome(call, module):
    """``("raised", exception type name)`` or ``("returned", value)`` (the
    type name for anything but a plain value)."""
    try:
        value = call(module)
    except Exception as exc:
        return ("raised", type(exc).__name__)
    if value is not None and not isinstance(value, (bool, int, str)):
        value = type(value).__name__
    return ("returned", value)


@pytest.mark.parametrize(
    "call", [pytest.param(call, id=name) for name, call in BAD_CALLS]
)
def test_same_errors(cores, call):
    pure, compiled = cores
    expected = outcome(call, pure)
    assert outcome(call, compiled) == expected


def scenario(module):
    """A sequence of core operations; returns what could be observed."""
    from aiologic.lowlevel import create_green_event

    log = []

    # tokens are task idents, as the primitives pass them
    a, b, c = ("threading", 101), ("asyncio", 102), ("trio", 103)
    waiters = [("threading", 201), ("gevent", 202), ("eventlet", 203)]

    counter = module.PermitCounter(2)
    log.append(("new", counter.value, counter.waiting, counter.available()))
    log.append(("take a", counter.try_acquire(a), counter.owner))
    log.append(("take b", counter.try_acquire(b), counter.owner))
    log.append(("take c", counter.try_acquire(c), counter.available()))
    events = [create_green_event() for _ in waiters]
    handles = [
        counter.add_waiter(event, token)
        for event, token in zip(events, waiters)
    ]
    log.append(("queued", counter.waiting))
    # the second waiter gives up (its timeout won), still queued
    log.append(("cancel", events[1].cancel()))
    counter.release()
    log.append(("release", [e.is_set() for e in events], counter.owner))
    counter.release(1)
    log.append(("release", [e.is_set() for e in events], counter.owner))
    log.append(("leave", counter.remove_waiter(handles[1])))
    log.append(("leave", counter.remove_waiter(handles[0])))
    log.append(("quiet", counter.value, counter.waiting))
    counter.release(3)
    log.append(("release 3", counter.value, counter.owner))
    # no barging: a queued waiter takes the permit, not a newcomer
    event = create_green_event()
    empty = module.PermitCounter(0)
    handle = empty.add_waiter(event, a)
    log.append(("barge", empty.try_acquire(b), empty.waiting))
    empty.release()
    log.append(("handed", event.is_set(), empty.owner, empty.value))
    log.append(("gone", empty.remove_waiter(handle), empty.waiting))
    # a waiter that arrives while permits are free is handed one at once
    event = create_green_event()
    free = module.PermitCounter(1)
    free.add_waiter(event, c)
    log.append(("late", event.is_set(), free.owner, free.waiting))
    for args in [(0,), (10**6,), (3, True), (100, True), (100, False)]:
        big = module.PermitCounter(*args)
        taken = [big.try_acquire() for _ in range(5)]
        big.release(7)
        log.append(("counter", args, taken, big.value, big.available()))

    core = module.EventCore()
    log.append(("event", core.is_set(), core.waiting))
    first, second = create_green_event(), create_green_event()
    handle = core.add_waiter(first)
    log.append(
        ("leave", core.remove_waiter(handle), core.remove_waiter(handle))
    )
    core.add_waiter(first)
    log.append(("set", core.set(), first.is_set(), core.set(), core.is_set()))
    core.add_waiter(second)
    log.append(("after", second.is_set(), core.waiting))
    core.wake_all()

    queue = module.WaitQueue()
    for item in (1, 2, 3):
        queue.append(item)
    log.append(("queue", len(queue), bool(queue)))
    log.append(("discard", queue.discard(2), queue.discard(2)))
    log.append(("popleft", queue.popleft()))
    queue.extendleft([0, -1])
    log.append(("order", list(queue)))
    log.append(("empty", bool(module.WaitQueue()), len(module.WaitQueue())))
    return log


class _Fragile:
    """An item whose comparison raises once its budget is spent."""

    budget = 0

    def __init__(self, key):
        self.key = key

    def __lt__(self, other):
        if _Fragile.budget <= 0:
            raise ArithmeticError
        _Fragile.budget -= 1
        return self.key < other.key

    def __repr__(self):
        return f"F{self.key}"


def heap_trace(module, seed):
    """Random pushes and pops on one heap, with comparisons that fail at
    random points; returns the layouts and what came out."""
    import random

    rng = random.Random(seed)
    heap = []
    log = []
    for _ in range(300):
        _Fragile.budget = rng.choice([0, 1, 2, 3, 100, 100, 100])
        try:
            if heap and rng.random() < 0.45:
                log.append(("pop", module.heap_pop(heap).key))
            else:
                module.heap_push(heap, _Fragile(rng.randrange(50)))
                log.append(("push",))
        except ArithmeticError:
            log.append(("raised",))
        log.append([item.key for item in heap])
    return log


@pytest.mark.parametrize("seed", range(5))
def test_same_heap_operations(cores, seed):
    """The heap keeps heapq's layout, and a raising comparison leaves it
    untouched, in both cores."""
    import heapq

    pure, compiled = cores
    expected = heap_trace(pure, seed)
    assert heap_trace(compiled, seed) == expected
    assert ("raised",) in expected
    # without failures, the layout is heapq's
    _Fragile.budget = 10**9
    for module in (pure, compiled):
        ours, theirs = [], []
        for key in [5, 3, 8, 1, 9, 2, 7, 3, 0, 6]:
            module.heap_push(ours, _Fragile(key))
            heapq.heappush(theirs, key)
        assert [item.key for item in ours] == theirs
        popped = [module.heap_pop(ours).key for _ in range(4)]
        assert popped == [heapq.heappop(theirs) for _ in range(4)]
        assert [item.key for item in ours] == theirs


def test_same_scenario(cores):
    pure, compiled = cores
    expected = scenario(pure)
    actual = scenario(compiled)
    for step, (want, got) in enumerate(zip(expected, actual)):
        assert got == want, f"step {step}"
    assert len(actual) == len(expected)


# -- the table above stays current --------------------------------------------

_CORE_ACCESS = re.compile(r"\b_?core\.([A-Za-z_]\w*)")


def test_core_accesses_are_declared():
    """What the primitives read from a ``core``/``_core`` attribute is
    public or declared in ``PRIVATE_USED``, and the pure core has it."""
    import aiologic
    from aiologic import _pycore

    package = pathlib.Path(aiologic.__file__).parent
    found = set()
    for path in package.glob("*.py"):
        if path.name in ("_pycore.py", "_impl.py"):
            continue
        found.update(_CORE_ACCESS.findall(path.read_text(encoding="utf-8")))
    assert found, f"no core access found in {package}"
    known = set()
    for name in CLASSES:
        cls = getattr(_pycore, name)
        known |= public_names(cls) | PRIVATE_USED[name]
    assert sorted(found - known) == []
