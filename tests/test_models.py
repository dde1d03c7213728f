# SPDX-License-Identifier: MIT

"""Model-based tests: hypothesis state machines against sequential models.

Each machine drives one primitive from several *actors*: long-lived tasks
that run the commands sent to them one at a time, so that each keeps its
identity (owners, borrowers, reentrancy) across commands. The actors are
two plain threads, two asyncio tasks of one loop, a trio task and, where
gevent is installed, a gevent greenlet, each library in a thread of its
own (``support.World``). A command is a portable coroutine over
``world.ops``; the actors of async worlds and the greenlet can have their
current command cancelled (``task.cancel()``, a cancel scope, ``kill``),
the threads give up by timeout.

A rule either completes at once (the model says so; the test waits for the
command's outcome) or starts a command the model says must wait, and then
synchronises on the primitive's ``waiting`` counter. After every rule the
system is quiescent: every actor is idle or waiting where the model has it
waiting, so the invariants compare the model with the object exactly. When
a rule wakes waiters, the test waits for precisely the ones the model
names (FIFO) and checks their outcome. Rules that race a wake-up against a
cancellation accept both outcomes but then demand that nothing is lost.

This module holds the actors and the base machine; the models are in
``test_models_permits.py`` (``Lock``, ``RLock``, the semaphores, the
capacity limiters), ``test_models_locks.py`` (``RWLock``, ``Condition``),
``test_models_events.py`` (events, barriers, ``Flag``, ``ResourceGuard``)
and ``test_models_queues.py`` (the five queues). Every machine runs on
both cores.

Reproducing: the runs are derandomized (the same sequences on every run,
so a failure reproduces by running the test again; hypothesis prints the
failing steps). ``AIOLOGIC_MODEL_RANDOM=1`` explores fresh sequences;
``AIOLOGIC_STRESS=N`` multiplies the number of examples.
"""

from __future__ import annotations

import collections
import importlib
import os
import threading
import warnings

import pytest
import support
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    run_state_machine_as_test,
)

#: trio's hypothesis plugin registers trio's PRNG when hypothesis starts;
#: hypothesis 6.99 (free-threaded CI) guesses from a reference count, which
#: differs there, that the PRNG could be collected, and warns
IGNORE_REGISTER_RANDOM = pytest.mark.filterwarnings(
    "ignore:It looks like `register_random` was passed an object"
    ":hypothesis.errors.HypothesisWarning"
)

pytestmark = [pytest.mark.timeout(120), IGNORE_REGISTER_RANDOM]

#: bound of every wait for a command (a lost wake-up shows as a timeout)
CALL_LIMIT = 10.0

#: a timeout that must expire: the model says nobody can satisfy the call
TINY = 0.002

#: examples x steps of each machine, per core (times AIOLOGIC_STRESS)
EXAMPLES = 25
STEPS = 30


def _have(lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(lib)
    except ImportError:
        return False
    return True


#: the worlds of the actors, one actor per entry
ACTOR_LIBS = ("threading", "threading", "asyncio", "asyncio", "trio")
if _have("gevent"):
    ACTOR_LIBS += ("gevent",)
N_ACTORS = len(ACTOR_LIBS)

OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"


def machine_settings(examples=EXAMPLES, steps=STEPS):
    return settings(
        max_examples=support.stress(examples),
        stateful_step_count=steps,
        deadline=None,
        derandomize=not os.environ.get("AIOLOGIC_MODEL_RANDOM"),
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


class Call:
    """One command run by an actor, and its outcome."""

    def __init__(self, fn):
        self.fn = fn
        self.scope = None  # trio: the cancel scope of the command
        self.next_gate = None
        self.outcome = None  # (OK | ERROR | CANCELLED, value)
        self._done = threading.Event()

    def _set(self, kind, value):
        self.outcome = (kind, value)
        self._done.set()

    def done(self):
        return self._done.is_set()

    def wait(self, what="a command"):
        if not self._done.wait(CALL_LIMIT):
            pytest.fail(f"{what} did not finish within {CALL_LIMIT}s")
        return self.outcome


class Actor:
    """A long-lived task of a world that runs the commands sent to it."""

    def __init__(self, world, index):
        self.world = world
        self.index = index
        self.name = f"{world.lib}#{index}"
        self.cancellable = world.lib != "threading"
        self.ident = None
        self.call = None
        self._gate = world.gate()
        self._ready = threading.Event()
        self._native = None
        self._token = None
        self.task = world.spawn(self._main)
        if not self._ready.wait(CALL_LIMIT):
            pytest.fail(f"actor {self.name} did not start")

    def __repr__(self):
        return f"<actor {self.name}>"

    async def _main(self):
        backend = self.world.backend
        self.ident = self.world.current_ident()
        if backend == "asyncio":
            import asyncio

            self._native = asyncio.current_task()
            self._token = asyncio.get_running_loop()
        elif backend == "trio":
            import trio

            self._token = trio.lowlevel.current_trio_token()
        elif backend == "gevent":
            import gevent

            self._native = gevent.getcurrent()
            self._token = gevent.get_hub().loop
        self._ready.set()
        gate = self._gate
        while True:
            await gate.wait()
            call = self.call
            if call is None:
                return
            gate = call.next_gate
            await self._run(call)

    async def _run(self, call):
        world = self.world
        try:
            if world.backend == "trio":
                import trio

                with trio.CancelScope() as scope:
                    call.scope = scope
                    value = await call.fn(world.ops)
                if scope.cancelled_caught:
                    call._set(CANCELLED, None)
                    return
            else:
                value = await call.fn(world.ops)
        except BaseException as exc:
            cancelled = world.cancelled_exc
            if cancelled is not None and isinstance(exc, cancelled):
                if world.backend == "asyncio":
                    import asyncio

                    task = asyncio.current_task()
                    # 3.11+: the task goes on as if never cancelled
                    if hasattr(task, "uncancel"):
                        task.uncancel()
                call._set(CANCELLED, exc)
            else:
                call._set(ERROR, exc)
        else:
            call._set(OK, value)

    def submit(self, fn):
        """Start ``fn(ops)`` (a portable coroutine function) in the actor."""
        assert self.call is None or self.call.done(), self
        call = Call(fn)
        call.next_gate = self.world.gate()
        self.call = call
        gate, self._gate = self._gate, call.next_gate
        gate.open()
        return call

    def cancel(self):
        """Cancel the running command, unless it has finished meanwhile."""
        call = self.call
        backend = self.world.backend
        if backend == "asyncio":
            self._token.call_soon_threadsafe(self._cancel_in_world, call)
        elif backend == "trio":
            self._token.run_sync_soon(self._cancel_in_world, call)
        elif backend == "gevent":
            self._token.run_callback_threadsafe(self._cancel_in_world, call)
        else:
            raise AssertionError(f"{self} cannot be cancelled")

    def _cancel_in_world(self, call):
        # runs in the world's thread, where the command runs: if it has
        # not finished now, it is suspended inside the command
        if call.done():
            return
        backend = self.world.backend
        if backend == "asyncio":
            self._native.cancel()
        elif backend == "trio":
            call.scope.cancel()
        else:
            from greenlet import GreenletExit

            self._native.throw(GreenletExit)

    def stop(self):
        self.call = None
        self._gate.open()
        return self.task.wait(CALL_LIMIT)


class Actors:
    """The actors of all machines, and the worlds they live in."""

    def __init__(self):
        self.worlds = {}
        self.actors = []
        for index, lib in enumerate(ACTOR_LIBS):
            world = self.worlds.get(lib)
            if world is None:
                world = self.worlds[lib] = support.World(lib)
                world.start()
            self.actors.append(Actor(world, index))
        self.broken = None
        # the test's own thread runs calls that never wait
        self.main_ops = support.World("threading").ops

    def close(self):
        stuck = [actor for actor in self.actors if not actor.stop()]
        for world in self.worlds.values():
            world.stop(raise_on_failure=not stuck)
        assert not stuck, f"actors that did not stop: {stuck}"


@pytest.fixture(scope="module", name="actors")
def actors_fixture():
    pool = Actors()
    yield pool
    pool.close()


def run_machine(machine, impl, actors, **kwargs):
    """Run the state machine class ``machine`` against ``impl``.

    Prints what was exercised (seen with ``pytest -s``): examples, steps,
    commands completed at once, waits, wake-ups checked, cancellations.
    """
    stats = collections.Counter()

    def factory():
        stats["examples"] += 1
        return machine(impl, actors, stats)

    run_state_machine_as_test(factory, settings=machine_settings(**kwargs))
    print(
        f"{machine.__name__}[{impl._impl.IMPLEMENTATION}]: "
        + ", ".join(f"{key}={value}" for key, value in sorted(stats.items()))
    )


def when(predicate):
    """``precondition(predicate)``, with a name for the predicate.

    Hypothesis (6.99 at least) describes a lambda precondition from its
    parsed source on every check: slow enough to dominate a run.
    """
    predicate.__name__ = predicate.__qualname__ = "precondition"
    return precondition(predicate)


def _run_here(fn, ops):
    """Run the portable command ``fn`` in this thread (it cannot wait)."""
    coro = fn(ops)
    try:
        coro.send(None)
    except StopIteration as exc:
        return OK, exc.value
    except BaseException as exc:
        return ERROR, exc
    coro.close()
    raise AssertionError(f"{fn.__qualname__} suspended in the test thread")


def _same_error(exc, expected):
    etype, message = expected
    return type(exc) is etype and (message is None or str(exc) == message)


class Model(RuleBasedStateMachine):
    """Base machine: actors, their commands and the quiescence helpers."""

    def __init__(self, impl, actors, stats):
        super().__init__()
        self.stats = stats
        if actors.broken is not None:
            pytest.fail(f"an earlier example left {actors.broken}")
        left = [a for a in actors.actors if a.call and not a.call.done()]
        if left:
            actors.broken = f"actors busy: {left}"
            pytest.fail(f"an earlier example left {actors.broken}")
        self.impl = impl
        self.pool = actors
        self.actors = actors.actors
        self.busy = {}  # actor index -> its running Call

    # -- actors -------------------------------------------------------

    def idle(self, exclude=()):
        return [
            i
            for i in range(N_ACTORS)
            if i not in self.busy and i not in exclude
        ]

    def pick(self, data, candidates, label="actor"):
        """Draw one of ``candidates``; ``None`` (the test's own thread)
        when there are none (only for calls that never wait)."""
        # one draw of a fixed shape, whatever the candidates: a replayed
        # example draws alike even if a race ended the other way
        k = data.draw(st.integers(0, N_ACTORS - 1), label=label)
        candidates = sorted(candidates)
        if not candidates:
            return None
        return candidates[k % len(candidates)]

    def run(self, i, fn):
        """Run a command that must not wait; return its outcome."""
        self.stats["immediate"] += 1
        if i is None:
            return _run_here(fn, self.pool.main_ops)
        call = self.actors[i].submit(fn)
        if not call._done.wait(CALL_LIMIT):
            self.pool.broken = f"{self.actors[i]} stuck in {fn.__qualname__}"
            pytest.fail(f"{self.actors[i]}: a command that cannot wait hangs")
        return call.outcome

    def expect(self, i, fn, value=None, error=None):
        """Run a command that must not wait; check its result."""
        kind, result = self.run(i, fn)
        self.check_outcome(i, kind, result, value, error)
        return result

    def check_outcome(self, i, kind, result, value=None, error=None):
        actor = "the test thread" if i is None else self.actors[i]
        if error is not None:
            assert kind == ERROR and _same_error(result, error), (
                f"{actor}: expected {error}, got {kind} {result!r}"
            )
        else:
            if kind == ERROR:
                raise result
            assert kind == OK, f"{actor}: {kind} {result!r}"
            assert result == value, f"{actor}: got {result!r}, not {value!r}"

    def start(self, i, fn, waiting, expected):
        """Start a command that must wait, until ``waiting() == expected``."""
        self.stats["waits"] += 1
        call = self.actors[i].submit(fn)
        self.busy[i] = call
        support.wait_until(
            lambda: waiting() == expected or call.done(),
            CALL_LIMIT,
            message=lambda: f"{self.actors[i]} never waited",
        )
        assert not call.done(), (
            f"{self.actors[i]} did not wait: {call.outcome!r}"
        )

    def finish(self, i, value=None, error=None):
        """Wait for the woken actor ``i``; check its result."""
        self.stats["wakeups"] += 1
        call = self.busy.pop(i)
        kind, result = call.wait(f"{self.actors[i]} (woken)")
        self.check_outcome(i, kind, result, value, error)
        return result

    def cancel(self, i):
        """Cancel the waiting actor ``i``; it must end cancelled."""
        self.stats["cancels"] += 1
        self.actors[i].cancel()
        call = self.busy.pop(i)
        kind, result = call.wait(f"{self.actors[i]} (cancelled)")
        assert kind == CANCELLED, f"{self.actors[i]}: {kind} {result!r}"

    def cancel_racing(self, i):
        """Cancel actor ``i`` right after it was woken: return its outcome."""
        self.stats["races"] += 1
        self.actors[i].cancel()
        call = self.busy.pop(i)
        return call.wait(f"{self.actors[i]} (woken, then cancelled)")

    def rarely(self, data):
        """True one time in three: for rules that would otherwise cancel
        most waiters before anything else happens to them."""
        return data.draw(st.integers(0, 2), label="rarely") == 0

    def cancellable_waiters(self, waiters):
        return [i for i in waiters if self.actors[i].cancellable]

    # -- teardown ----------------------------------------------------

    def drain(self):
        """Wake every waiting actor through the model's operations."""
        raise NotImplementedError

    def teardown(self):
        try:
            self.drain()
            assert not self.busy, f"still waiting: {self.busy}"
        except BaseException as exc:
            left = [self.actors[i] for i, c in self.busy.items()]
            left = [a for a in left if not a.call.done()]
            if left:
                self.pool.broken = f"actors stuck in a wait: {left} ({exc!r})"
            raise


# ---------------------------------------------------------------------------
# commands shared by the machines

NOWAIT, BLOCK, TIMED = "nowait", "block", "timed"
MODES = st.sampled_from((NOWAIT, BLOCK, BLOCK, TIMED))


def mode_kwargs(mode):
    """The keyword arguments of a blocking call in ``mode``."""
    if mode == NOWAIT:
        return {"blocking": False}
    if mode == TIMED:
        return {"timeout": TINY}
    return {}


def acquirer(prim, mode, count=None):
    """A command: acquire ``prim`` with ``mode`` (and ``count``)."""
    args = () if count is None else (count,)
    kwargs = mode_kwargs(mode)

    async def fn(ops):
        return await ops.acquire(prim, *args, **kwargs)

    return fn


def releaser(prim, *args):
    async def fn(ops):
        return await ops.release(prim, *args)

    return fn
