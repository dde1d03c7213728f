# SPDX-License-Identifier: MIT

"""Seeded race tests of the core, the waiters and the permit primitives.

* Interleaving exploration (deterministic under the GIL). One side of a
  race is traced and paused at its n-th line of aiologic code, for every
  n in turn, while the other side acts; then it resumes:

  - a release paused while the first waiter gives up (cancelled, killed
    or timed out): that waiter neither owns nor re-enters the primitive
    afterwards, a newcomer never barges in, the next waiter gets the
    permit;
  - the give-up path of a waiter paused while the holder releases;
  - a release and a new waiter paused in turn, then the release stepped
    line by line with a barging attempt at each line: the newcomer is
    always woken (no lost wake-up), nobody barges;
  - a non-blocking acquire paused: the other free permits stay takeable;
  - ``Event.set()`` and a new waiter; a ``Queue`` put and a getter that
    is cancelled meanwhile (each item reaches exactly one getter).

  After each run the primitive is idle, holds its initial permits, and
  exactly ``capacity`` of ``capacity + 1`` newcomers get in.
* Mixed stress. Plain threads, two asyncio loops, a trio run, a gevent hub
  and an eventlet hub (each in its own thread) use ONE primitive at once
  with random timeouts (0, tiny, small, none), cancellations and kills:
  a Semaphore, BoundedSemaphore, Lock, RLock, CapacityLimiter, Event or
  Queue. Checked during the run: never more holders than permits, the
  owner (or borrower) seen in the critical section is the holder, no
  ownership after a timed-out acquire, ``value`` within bounds. At the
  end: every acquire released exactly once, every task finished (no lost
  wake-up), the primitive idle with its initial permits; every waiter of
  an Event without timeout woken; every queue item put received exactly
  once (in order per producer with a single consumer).
* Leaks: waits leave no event, timer, watcher, thread or descriptor.

Errors that loops only log or print (asyncio callbacks, gevent and
eventlet hubs) fail the tests too. Every failure message names the seed:
``AIOLOGIC_STRESS_SEED=<seed>`` replays the random choices (the
interleaving is still up to the OS); ``AIOLOGIC_STRESS=N`` multiplies the
iterations and the exploration rounds.
"""

from __future__ import annotations

import collections
import gc
import importlib
import itertools
import logging
import os
import random
import sys
import threading
import time
import warnings

import pytest
import support
from support import stress, wait_until, wait_waiting

pytestmark = pytest.mark.timeout(120)

#: bound of every wait on a task of these tests (a lost wake-up shows as a
#: task that never finishes); AIOLOGIC_TASK_LIMIT raises it where everything
#: runs several times slower (.ci/sanitizers sets it under ThreadSanitizer)
TASK_LIMIT = float(os.environ.get("AIOLOGIC_TASK_LIMIT", "20"))

#: pytest timeout of the mixed stress tests: past their actors' deadline,
#: so that a stuck actor is reported as such (60 s by default)
MIXED_TIMEOUT = TASK_LIMIT + 40

#: how long a paused thread waits to be resumed before it gives up
PAUSE_LIMIT = 15.0

TIMEOUTS = (0, 0, 1e-6, 1e-5, 1e-4, 1e-3, 3e-3, 0.01, None)


def _have(lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(lib)
    except ImportError:
        return False
    return True


OPTIONAL_LIBS = tuple(
    lib for lib in ("trio", "gevent", "eventlet") if _have(lib)
)


def _base_seed():
    value = os.environ.get("AIOLOGIC_STRESS_SEED", "")
    if value:
        return int(value)
    return random.SystemRandom().randrange(2**32)


@pytest.fixture
def seed(request):
    value = _base_seed()
    request.node.user_properties.append(("seed", value))
    print(f"AIOLOGIC_STRESS_SEED={value}")
    return value


@pytest.fixture
def fast_switching():
    # more GIL hand-overs per second: more interleavings under the GIL
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@pytest.fixture
def no_loop_errors(caplog):
    """Fail on errors that event loops only log (asyncio callbacks)."""
    caplog.set_level(logging.ERROR)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    assert not errors, errors


def _assert_clean_stderr(capfd):
    # gevent and eventlet print errors of callbacks and greenlets
    err = capfd.readouterr().err
    for marker in ("Traceback", "Exception in callback"):
        assert marker not in err, err


# ---------------------------------------------------------------------------
# primitives under test


class Kind:
    """How to build, check and probe one kind of permit primitive."""

    def __init__(self, name, factory, capacity, owned=None):
        self.name = name
        self.factory = factory
        self.capacity = capacity
        self.owned = owned  # green_<owned>/async_<owned>, if any

    def __repr__(self):
        return self.name

    def make(self, aiologic):
        return self.factory(aiologic)

    @property
    def has_owner(self):
        return self.name in ("Lock", "RLock")

    @property
    def is_limiter(self):
        return "Limiter" in self.name

    def assert_idle(self, prim, context):
        message = f"{context}: not idle at the end: {prim!r}"
        assert prim.waiting == 0, message
        if self.has_owner:
            assert not prim.locked(), message
            assert prim.owner is None, message
        elif self.is_limiter:
            assert prim.available_tokens == self.capacity, message
            assert prim.borrowed_tokens == 0, message
            assert not prim.borrowers, message
        else:
            assert prim.value == self.capacity, message

    def probe(self, prim, context):
        """Exactly ``capacity`` of ``capacity + 1`` newcomers get in."""
        n = self.capacity + 1
        got = []
        release = threading.Event()
        done = threading.Barrier(n + 1)

        def newcomer():
            ok = prim.green_acquire(blocking=False)
            got.append(ok)
            done.wait(TASK_LIMIT)
            release.wait(TASK_LIMIT)
            if ok:
                prim.green_release()

        threads = [threading.Thread(target=newcomer) for _ in range(n)]
        for thread in threads:
            thread.start()
        done.wait(TASK_LIMIT)
        release.set()
        for thread in threads:
            thread.join(TASK_LIMIT)
        assert got.count(True) == self.capacity, (
            f"{context}: {got.count(True)} of {n} newcomers acquired"
            f" {prim!r}, expected {self.capacity}"
        )
        self.assert_idle(prim, context)


KINDS = {
    "Lock": Kind("Lock", lambda a: a.Lock(), 1, "owned"),
    "RLock": Kind("RLock", lambda a: a.RLock(), 1, "owned"),
    "Semaphore": Kind("Semaphore", lambda a: a.Semaphore(1), 1),
    "BoundedSemaphore": Kind(
        "BoundedSemaphore", lambda a: a.BoundedSemaphore(1), 1
    ),
    "CapacityLimiter": Kind(
        "CapacityLimiter", lambda a: a.CapacityLimiter(1), 1, "borrowed"
    ),
}


# ---------------------------------------------------------------------------
# interleaving exploration


def _pkg_dir(aiologic):
    return os.path.dirname(os.path.abspath(aiologic.__file__)) + os.sep


def _min_points(aiologic, pure):
    """How many paused lines an exploration must have reached.

    The pure core is Python: the races inside it are explored line by
    line. The compiled core runs its steps in C, out of the tracer's
    reach (the free-threaded stress tests race those), so only the lines
    of the primitives around it are explored, as many as there are.
    """
    if aiologic._impl.IMPLEMENTATION == "python":
        return pure
    return -1


class Pauser:
    """Pause the traced thread at its ``target``-th line of aiologic code.

    Install with ``sys.settrace(pauser.trace)`` in the thread to pause;
    it is paused once, until ``resume`` is set (or ``PAUSE_LIMIT``).
    """

    def __init__(self, target, pkg_dir):
        self.target = target
        self.pkg_dir = pkg_dir
        self.count = 0
        self.where = None
        self.paused = threading.Event()
        self.resume = threading.Event()

    def trace(self, frame, event, arg):
        if frame.f_code.co_filename.startswith(self.pkg_dir):
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event == "line" and self.where is None:
            if self.count == self.target:
                path = frame.f_code.co_filename[len(self.pkg_dir) :]
                self.where = f"{path}:{frame.f_lineno}"
                self.paused.set()
                self.resume.wait(PAUSE_LIMIT)
            else:
                self.count += 1
        return self._local


class Releaser(threading.Thread):
    """A thread that holds a primitive, then releases it on ``go()``.

    The release can be traced by a ``Pauser``.
    """

    def __init__(self, prim):
        super().__init__(name="releaser", daemon=True)
        self.prim = prim
        self.ready = threading.Event()
        self._go = threading.Event()
        self._pauser = None
        self.error = None

    def run(self):
        try:
            assert self.prim.green_acquire(blocking=False)
            self.ready.set()
            self._go.wait(TASK_LIMIT)
            pauser = self._pauser
            if pauser is not None:
                sys.settrace(pauser.trace)
            try:
                self.prim.green_release()
            finally:
                sys.settrace(None)
        except BaseException as exc:
            self.error = exc
        finally:
            self.ready.set()

    def go(self, pauser=None):
        self._pauser = pauser
        self._go.set()

    def finish(self, context):
        self.join(TASK_LIMIT)
        assert not self.is_alive(), f"{context}: the release hangs"
        if self.error is not None:
            raise AssertionError(f"{context}: release failed") from self.error


def waiter_body(world, kind, prim, obs, timeout=None, trace=None):
    """The waiter that gives up: acquire, then record what it sees."""
    ops = world.ops
    cancelled = () if world.cancelled_exc is None else world.cancelled_exc

    async def body():
        if trace is not None:
            sys.settrace(trace)
        try:
            try:
                if timeout is None:
                    ok = await ops.acquire(prim)
                else:
                    ok = await ops.acquire(prim, timeout=timeout)
            except cancelled:
                ok = None
            obs["ok"] = ok
            if kind.owned is not None:
                obs["owned"] = await ops.call(prim, kind.owned)
            if ok:
                await ops.release(prim)
            else:
                # a newcomer now: the next waiter holds or waits
                try:
                    again = await ops.acquire(prim, blocking=False)
                except RuntimeError as exc:
                    again = exc
                obs["again"] = again
                if again is True:
                    await ops.release(prim)
        except BaseException as exc:
            obs["error"] = exc
        finally:
            if trace is not None:
                sys.settrace(None)
            obs["done"] = True

    return body


def check_waiter_obs(kind, obs, context, next_waiter=True):
    assert "error" not in obs, f"{context}: waiter failed: {obs['error']!r}"
    assert obs.get("done"), f"{context}: waiter did not finish: {obs}"
    ok = obs["ok"]
    if kind.owned is not None:
        assert obs["owned"] == bool(ok), (
            f"{context}: acquire returned {ok!r} but"
            f" {kind.owned}() says {obs['owned']!r}"
        )
    if not ok and next_waiter:
        assert obs["again"] is False, (
            f"{context}: after giving up, a non-blocking acquire returned"
            f" {obs['again']!r} while the next waiter holds or waits"
        )
    elif not ok:
        assert not isinstance(obs["again"], BaseException), (
            f"{context}: after giving up, a non-blocking acquire raised"
            f" {obs['again']!r}"
        )


def _free_permits(prim):
    if hasattr(prim, "available_tokens"):
        return prim.available_tokens
    return prim.value


def _poll(predicate, timeout):
    """Wait until ``predicate()`` is true; tell whether it became so."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.0005)
    return True


def _wait_paused_or(pauser, done, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if pauser.paused.wait(0.0005) or done():
            return pauser.paused.is_set()
    return pauser.paused.is_set()


def _wait_paused_or_blocked(pauser, done, queued, quiet=0.05):
    """Wait until the traced waiter pauses (True), or is done or blocks
    in its wait (False): queued and no line run for ``quiet`` seconds."""
    deadline = time.monotonic() + TASK_LIMIT
    count, since = pauser.count, time.monotonic()
    while time.monotonic() < deadline:
        if pauser.paused.wait(0.0005):
            return True
        if done():
            return pauser.paused.is_set()
        now = time.monotonic()
        if pauser.count != count or not queued():
            count, since = pauser.count, now
        elif now - since > quiet:
            return pauser.paused.is_set()
    return pauser.paused.is_set()


#: more lines than any explored call runs
MAX_POINTS = 400


def _queue_two_waiters(aiologic, kind, world, threads, waiter_timeout):
    """A holder, then the waiter that will give up, then a second one.

    Returns ``None`` if the first waiter (a thread with a timeout) gave
    up before the second one was queued: the caller tries again.
    """
    prim = kind.make(aiologic)
    releaser = Releaser(prim)
    releaser.start()
    releaser.ready.wait(TASK_LIMIT)
    obs = {}
    task = world.spawn(waiter_body(world, kind, prim, obs, waiter_timeout))
    wait_until(lambda: prim.waiting == 1 or task.done())
    second = threads.spawn_hold(prim)
    wait_until(lambda: prim.waiting == 2 or task.done())
    if task.done():  # too slow a machine for the first waiter's timeout
        releaser.go()
        releaser.finish("a retry")
        assert second.wait_acquired(TASK_LIMIT)
        second.release()
        second.result(TASK_LIMIT)
        return None
    return prim, releaser, task, obs, second


def explore_releaser(aiologic, kind, world, waiter_timeout, seed):
    """Pause the release at each line; meanwhile the waiter gives up."""
    pkg_dir = _pkg_dir(aiologic)
    cancellable = world.cancelled_exc is not None
    with support.World("threading") as threads:
        for point in range(MAX_POINTS):
            context = (
                f"seed={seed} {kind} waiter in {world.lib},"
                f" release paused at point {point}"
            )
            for _ in range(20):
                queued = _queue_two_waiters(
                    aiologic, kind, world, threads, waiter_timeout
                )
                if queued is not None:
                    break
            else:
                pytest.fail(f"{context}: the waiters never queued up")
            prim, releaser, task, obs, second = queued
            pauser = Pauser(point, pkg_dir)
            releaser.go(pauser)
            paused = _wait_paused_or(
                pauser, lambda: not releaser.is_alive(), TASK_LIMIT
            )
            if paused:
                context += f" ({pauser.where})"
                if cancellable:
                    task.cancel()
                # the waiter may have to wait for the paused releaser
                task.wait(0.05 if cancellable else waiter_timeout + 0.05)
                barged = prim.green_acquire(blocking=False)
                pauser.resume.set()
                if barged:
                    prim.green_release()
                assert not barged, f"{context}: a newcomer barged in"
            releaser.finish(context)
            task.wait(TASK_LIMIT)
            check_waiter_obs(kind, obs, context)
            assert second.wait_acquired(TASK_LIMIT), context
            second.release()
            second.result(TASK_LIMIT)
            kind.assert_idle(prim, context)
            if not paused:
                kind.probe(prim, context)
                return point
    pytest.fail(f"seed={seed}: more than {MAX_POINTS} points")
    return None


def _arm_body(world, pauser, target):
    async def body():
        sys.settrace(pauser.trace)
        world.cancel_now(target)

    return body


def _untrace_body():
    async def body():
        sys.settrace(None)

    return body


def explore_waiter(aiologic, kind, world, seed):
    """Pause the give-up path of the waiter at each line.

    Meanwhile the holder releases. Threads give up by timeout (traced
    from the start of their acquire); async tasks by cancellation (traced
    from the cancellation on, with a second waiter queued behind).
    """
    pkg_dir = _pkg_dir(aiologic)
    cancellable = world.cancelled_exc is not None
    retries = 0
    with support.World("threading") as threads:
        point = 0
        while point < MAX_POINTS:
            context = (
                f"seed={seed} {kind} waiter in {world.lib},"
                f" waiter paused at point {point}"
            )
            prim = kind.make(aiologic)
            releaser = Releaser(prim)
            releaser.start()
            releaser.ready.wait(TASK_LIMIT)
            obs = {}
            second = None
            if cancellable:
                pauser = Pauser(point, pkg_dir)
                task = world.spawn(waiter_body(world, kind, prim, obs))
                wait_waiting(prim, 1)
                second = threads.spawn_hold(prim)
                wait_waiting(prim, 2)
                world.spawn(_arm_body(world, pauser, task))
            else:
                pauser = Pauser(point, pkg_dir)
                task = world.spawn(
                    waiter_body(
                        world, kind, prim, obs, 0.005, trace=pauser.trace
                    )
                )
            paused = _wait_paused_or(pauser, task.done, TASK_LIMIT)
            if paused:
                context += f" ({pauser.where})"
            releaser.go()
            releaser.finish(context)
            pauser.resume.set()
            task.wait(TASK_LIMIT)
            if cancellable:
                world.call(_untrace_body())
            check_waiter_obs(kind, obs, context, second is not None)
            if second is not None:
                assert second.wait_acquired(TASK_LIMIT), context
                second.release()
                second.result(TASK_LIMIT)
            kind.assert_idle(prim, context)
            if not paused:
                kind.probe(prim, context)
                if pauser.count >= point or retries == 3:
                    return point
                # fewer lines traced than the points already paused at:
                # the tracer missed this run (a green switch on PyPy can
                # drop it), not the end of the path; run this point again
                retries += 1
                continue
            point += 1
    pytest.fail(f"seed={seed}: more than {MAX_POINTS} points")
    return None


EXPLORE_LIBS = ("threading", "asyncio", *OPTIONAL_LIBS)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=repr)
@pytest.mark.parametrize("lib", EXPLORE_LIBS)
def test_release_paused_while_waiter_gives_up(
    impl, kind, lib, seed, no_loop_errors, capfd
):
    """Release paused at every line; the first waiter gives up meanwhile.

    The waiter must neither own nor re-enter the primitive after giving
    up, a newcomer never barges in, the second waiter gets the permit.
    """
    for _ in range(stress(1)):
        with support.World(lib) as world:
            timeout = 0.03 if lib == "threading" else None
            points = explore_releaser(impl, kind, world, timeout, seed)
        assert points > _min_points(impl, 10)
    _assert_clean_stderr(capfd)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=repr)
@pytest.mark.parametrize("lib", EXPLORE_LIBS)
def test_waiter_paused_while_giving_up(
    impl, kind, lib, seed, no_loop_errors, capfd
):
    """The waiter's give-up path paused at every line; a release runs."""
    for _ in range(stress(1)):
        with support.World(lib) as world:
            points = explore_waiter(impl, kind, world, seed)
        assert points > _min_points(impl, 5)
    _assert_clean_stderr(capfd)


def patient_body(world, acquire, release, obs, trace=None):
    """A waiter that must get in: ``acquire(ops)`` with a long timeout."""
    ops = world.ops

    async def body():
        if trace is not None:
            sys.settrace(trace)
        try:
            obs["ok"] = ok = await acquire(ops)
            if ok and release is not None:
                await release(ops)
        except BaseException as exc:
            obs["error"] = exc
        finally:
            if trace is not None:
                sys.settrace(None)

    return body


def _acquire_long(prim):
    def acquire(ops):
        return ops.acquire(prim, timeout=TASK_LIMIT)

    def release(ops):
        return ops.release(prim)

    return acquire, release


def _check_patient(obs, task, context):
    assert task.wait(TASK_LIMIT), f"{context}: the waiter hangs"
    assert "error" not in obs, f"{context}: waiter failed: {obs['error']!r}"
    assert obs.get("ok") is True, (
        f"{context}: a waiter that arrived during the release was not"
        f" woken (lost wake-up): {obs}"
    )


class Stepper:
    """Pause the traced thread at its ``target``-th line of aiologic code
    and then at every following one, until it is done.

    Install with ``sys.settrace(stepper.trace)`` in the thread to pause.
    """

    def __init__(self, target, pkg_dir):
        self.target = target
        self.pkg_dir = pkg_dir
        self.count = 0
        self.where = None
        self.running = True
        self._at_line = threading.Semaphore(0)
        self._go_on = threading.Semaphore(0)

    def trace(self, frame, event, arg):
        if frame.f_code.co_filename.startswith(self.pkg_dir):
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event == "line" and self.running:
            if self.count >= self.target:
                path = frame.f_code.co_filename[len(self.pkg_dir) :]
                self.where = f"{path}:{frame.f_lineno}"
                self._at_line.release()
                if not self._go_on.acquire(timeout=PAUSE_LIMIT):
                    self.running = False
            self.count += 1
        return self._local

    def next(self, done):
        """Wait until the thread pauses (True) or is done (False)."""
        deadline = time.monotonic() + TASK_LIMIT
        while time.monotonic() < deadline:
            if self._at_line.acquire(timeout=0.0005):
                return True
            if done():
                return self._at_line.acquire(blocking=False)
        pytest.fail("the traced thread neither paused nor finished")
        return False

    def step(self):
        self._go_on.release()

    def run_free(self):
        self.running = False
        self._go_on.release()


def explore_release_vs_newcomer(aiologic, kind, world, seed):
    """Pause the release at each line; a new waiter arrives meanwhile.

    From then on the release is stepped line by line, and at each line a
    barging newcomer must fail: the permit belongs to the new waiter.
    """
    pkg_dir = _pkg_dir(aiologic)
    for point in range(MAX_POINTS):
        context = (
            f"seed={seed} {kind} newcomer in {world.lib},"
            f" release paused at point {point}"
        )
        prim = kind.make(aiologic)
        releaser = Releaser(prim)
        releaser.start()
        releaser.ready.wait(TASK_LIMIT)
        stepper = Stepper(point, pkg_dir)
        releaser.go(stepper)

        def done():
            return not releaser.is_alive()

        paused = stepper.next(done)
        if paused:
            context += f" ({stepper.where})"
        holder = world.spawn_hold(prim, timeout=TASK_LIMIT)
        wait_until(
            lambda: holder.acquired is not None or prim.waiting,
            message=lambda: f"{context}: the newcomer neither queued nor ran",
        )
        at_line = paused
        while at_line:
            barged = prim.green_acquire(blocking=False)
            if barged:
                where = stepper.where
                stepper.run_free()
                releaser.finish(context)
                prim.green_release()
                pytest.fail(f"{context}: barged in at {where}")
            stepper.step()
            at_line = stepper.next(done)
        releaser.finish(context)
        assert holder.wait_acquired(TASK_LIMIT), (
            f"{context}: a waiter that arrived during the release was not"
            " woken (lost wake-up)"
        )
        holder.release()
        holder.result(TASK_LIMIT)
        kind.assert_idle(prim, context)
        if not paused:
            kind.probe(prim, context)
            return point
    pytest.fail(f"seed={seed}: more than {MAX_POINTS} points")
    return None


def explore_newcomer_vs_release(aiologic, kind, world, seed):
    """Pause a new waiter at each line; the holder releases meanwhile."""
    pkg_dir = _pkg_dir(aiologic)
    for point in range(MAX_POINTS):
        context = (
            f"seed={seed} {kind} newcomer in {world.lib},"
            f" newcomer paused at point {point}"
        )
        prim = kind.make(aiologic)
        releaser = Releaser(prim)
        releaser.start()
        releaser.ready.wait(TASK_LIMIT)
        pauser = Pauser(point, pkg_dir)
        obs = {}
        task = world.spawn(
            patient_body(world, *_acquire_long(prim), obs, pauser.trace)
        )
        paused = _wait_paused_or_blocked(
            pauser, task.done, lambda: prim.waiting
        )
        if paused:
            context += f" ({pauser.where})"
        releaser.go()
        releaser.finish(context)
        pauser.resume.set()
        _check_patient(obs, task, context)
        kind.assert_idle(prim, context)
        if not paused:
            kind.probe(prim, context)
            return point
    pytest.fail(f"seed={seed}: more than {MAX_POINTS} points")
    return None


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=repr)
@pytest.mark.parametrize("lib", EXPLORE_LIBS)
def test_release_and_newcomer_pass_each_other(
    impl, kind, lib, seed, no_loop_errors, capfd
):
    """A release and a new waiter, each paused at every line in turn.

    Whatever the interleaving, the newcomer gets the permit (no lost
    wake-up) and nothing is left over.
    """
    for _ in range(stress(1)):
        with support.World(lib) as world:
            points = explore_release_vs_newcomer(impl, kind, world, seed)
            assert points > _min_points(impl, 10)
            points = explore_newcomer_vs_release(impl, kind, world, seed)
            assert points > _min_points(impl, 10)
    _assert_clean_stderr(capfd)


def _event_wait_long(event):
    def wait(ops):
        return ops.wait(event, TASK_LIMIT)

    return wait


class Setter(threading.Thread):
    """A thread that sets an event on ``go()``, maybe traced."""

    def __init__(self, event):
        super().__init__(name="setter", daemon=True)
        self.event = event
        self._go = threading.Event()
        self._pauser = None
        self.error = None

    def run(self):
        try:
            self._go.wait(TASK_LIMIT)
            if self._pauser is not None:
                sys.settrace(self._pauser.trace)
            try:
                self.event.set()
            finally:
                sys.settrace(None)
        except BaseException as exc:
            self.error = exc

    def go(self, pauser=None):
        self._pauser = pauser
        self._go.set()

    finish = Releaser.finish


class Taker(threading.Thread):
    """A thread that acquires without blocking on ``go()``, maybe traced,
    and releases when told."""

    def __init__(self, prim):
        super().__init__(name="taker", daemon=True)
        self.prim = prim
        self._go = threading.Event()
        self._release = threading.Event()
        self._pauser = None
        self.result = None
        self.error = None

    def run(self):
        try:
            self._go.wait(TASK_LIMIT)
            if self._pauser is not None:
                sys.settrace(self._pauser.trace)
            try:
                self.result = self.prim.green_acquire(blocking=False)
            finally:
                sys.settrace(None)
            self._release.wait(TASK_LIMIT)
            if self.result:
                self.prim.green_release()
        except BaseException as exc:
            self.error = exc

    go = Setter.go

    def finish(self, context):
        self._release.set()
        Releaser.finish(self, context)


#: how many permits are taken before the race, to reach every way that
#: a core may store its free permits (powers of two and neighbours)
TAKEN = (0, 1, 2, 31, 32, 33, 63, 64, 65, 127, 128, 129)


@pytest.mark.parametrize(
    ("name", "taken"),
    [("Semaphore", n) for n in TAKEN] + [("CapacityLimiter", 0)],
)
def test_free_permits_are_never_hidden(impl, name, taken, seed):
    """Of several free permits, two takers both get one, whatever the line
    at which the first one is paused: a permit being taken never hides
    the others (a non-blocking acquire fails only when none is free)."""
    pkg_dir = _pkg_dir(impl)
    make = impl.Semaphore if name == "Semaphore" else impl.CapacityLimiter
    total = taken + 3
    for point in range(MAX_POINTS):
        context = (
            f"seed={seed} {name}({total}) with {taken} taken,"
            f" taker paused at point {point}"
        )
        prim = make(total)
        for _ in range(taken):
            assert prim.green_acquire(blocking=False), context
        first = Taker(prim)
        first.start()
        pauser = Pauser(point, pkg_dir)
        first.go(pauser)
        paused = _wait_paused_or(
            pauser, lambda: first.result is not None, TASK_LIMIT
        )
        if paused:
            context += f" ({pauser.where})"
        second = Taker(prim)
        second.start()
        second.go()
        # (it may wait for the paused one if that holds a short lock)
        _poll(lambda: second.result is not None, 0.02 if paused else 5)
        pauser.resume.set()
        wait_until(lambda: None not in (first.result, second.result))
        assert second.result is True, f"{context}: a free permit was hidden"
        assert first.result is True, context
        free = _free_permits(prim)
        second.finish(context)
        first.finish(context)
        for _ in range(taken):
            prim.green_release()
        assert prim.waiting == 0, context
        assert (free, _free_permits(prim)) == (total - taken - 2, total), (
            context
        )
        if not paused:
            assert point > _min_points(impl, 5), context
            break


@pytest.mark.parametrize("lib", EXPLORE_LIBS)
def test_event_set_and_waiter_pass_each_other(
    impl, lib, seed, no_loop_errors, capfd
):
    """``Event.set()`` and a new waiter, each paused at every line."""
    pkg_dir = _pkg_dir(impl)
    with support.World(lib) as world:
        for side in ("setter", "waiter"):
            for point in itertools.count():
                context = (
                    f"seed={seed} Event waiter in {lib},"
                    f" {side} paused at point {point}"
                )
                event = impl.Event()
                setter = Setter(event)
                setter.start()
                pauser = Pauser(point, pkg_dir)
                obs = {}
                wait = _event_wait_long(event)
                if side == "setter":
                    setter.go(pauser)
                    paused = _wait_paused_or(
                        pauser, lambda: not setter.is_alive(), TASK_LIMIT
                    )
                    task = world.spawn(patient_body(world, wait, None, obs))
                    wait_until(lambda: task.done() or event.waiting)
                    pauser.resume.set()
                    setter.finish(context)
                else:
                    task = world.spawn(
                        patient_body(world, wait, None, obs, pauser.trace)
                    )
                    paused = _wait_paused_or_blocked(
                        pauser, task.done, lambda: event.waiting
                    )
                    setter.go()
                    setter.finish(context)
                    pauser.resume.set()
                if paused:
                    context += f" ({pauser.where})"
                _check_patient(obs, task, context)
                assert event.waiting == 0, context
                if not paused:
                    assert point > _min_points(impl, 5), context
                    break
    _assert_clean_stderr(capfd)


class Putter(threading.Thread):
    """A thread that puts one item on ``go()``, maybe traced."""

    def __init__(self, queue, item):
        super().__init__(name="putter", daemon=True)
        self.queue = queue
        self.item = item
        self._go = threading.Event()
        self._pauser = None
        self.error = None

    def run(self):
        try:
            self._go.wait(TASK_LIMIT)
            if self._pauser is not None:
                sys.settrace(self._pauser.trace)
            try:
                self.queue.green_put(self.item)
            finally:
                sys.settrace(None)
        except BaseException as exc:
            self.error = exc

    go = Setter.go
    finish = Releaser.finish


def getter_body(world, queue, obs, trace=None):
    """A getter that may be cancelled: record the item it got, if any."""
    ops = world.ops
    cancelled = () if world.cancelled_exc is None else world.cancelled_exc

    async def body():
        if trace is not None:
            sys.settrace(trace)
        try:
            try:
                obs["item"] = await ops.call(queue, "get", timeout=TASK_LIMIT)
            except cancelled:
                obs["item"] = None
        except BaseException as exc:
            obs["error"] = exc
        finally:
            if trace is not None:
                sys.settrace(None)

    return body


def _barging_get(queue, QueueEmpty, box):
    def get():
        try:
            item = queue.green_get(blocking=False)
        except QueueEmpty:
            return
        box.append(item)

    return get


def _thread_getter(queue, box):
    def get():
        try:
            box.append(queue.green_get(timeout=TASK_LIMIT))
        except Exception as exc:
            box.append(repr(exc))

    return get


CANCEL_LIBS = tuple(lib for lib in EXPLORE_LIBS if lib != "threading")


@pytest.mark.parametrize("side", ["putter", "getter"])
@pytest.mark.parametrize("lib", CANCEL_LIBS)
def test_queue_put_and_cancelled_getter(
    impl, lib, side, seed, no_loop_errors, capfd
):
    """A put hands its item to a getter that is cancelled meanwhile.

    Either side is paused at every line in turn. The item reaches
    exactly one getter: the cancelled one (if it was woken first) or the
    next one; a barging non-blocking get fails while a getter waits.
    """
    pkg_dir = _pkg_dir(impl)
    with support.World(lib) as world:
        for point in itertools.count():
            context = (
                f"seed={seed} Queue getter in {lib}, {side} paused at"
                f" point {point}"
            )
            queue = impl.Queue(maxsize=1)
            obs = {}
            pauser = Pauser(point, pkg_dir)
            task = world.spawn(getter_body(world, queue, obs))
            wait_waiting(queue, 1)
            box = []
            barged = []
            second = threading.Thread(target=_thread_getter(queue, box))
            second.start()
            wait_waiting(queue, 2)
            putter = Putter(queue, "item")
            putter.start()
            if side == "putter":
                putter.go(pauser)
                paused = _wait_paused_or(
                    pauser, lambda: not putter.is_alive(), TASK_LIMIT
                )
                if paused:
                    task.cancel()
                    # (the getter blocks while the paused put holds the
                    # queue's lock: then it gives up after the put)
                    task.wait(0.02)
                    # in a thread: it blocks on that lock too
                    barger = threading.Thread(
                        target=_barging_get(queue, impl.QueueEmpty, barged)
                    )
                    barger.start()
                    barger.join(0.01)
                    pauser.resume.set()
                    barger.join(TASK_LIMIT)
                    assert not barged, f"{context}: a get barged in"
            else:
                world.spawn(_arm_body(world, pauser, task))
                paused = _wait_paused_or(pauser, task.done, TASK_LIMIT)
                putter.go()
                # the put blocks while the paused getter holds the lock
                putter.join(0.02)
                pauser.resume.set()
            if paused:
                context += f" ({pauser.where})"
            putter.finish(context)
            assert task.wait(TASK_LIMIT), f"{context}: the getter hangs"
            if side == "getter":
                world.call(_untrace_body())
            assert "error" not in obs, f"{context}: {obs['error']!r}"
            if obs["item"] is not None:
                # the cancelled getter won the item: feed the next one
                queue.green_put("dummy", timeout=TASK_LIMIT)
            second.join(TASK_LIMIT)
            got = sorted(x for x in (obs["item"], *box) if x is not None)
            expected = ["item"] if obs["item"] is None else ["dummy", "item"]
            assert got == expected, f"{context}: delivered {got}"
            assert len(queue) == 0, f"{context}: {queue!r}"
            assert queue.waiting == 0, f"{context}: {queue!r}"
            if not paused:
                assert point > _min_points(impl, 5), context
                break
    _assert_clean_stderr(capfd)


# ---------------------------------------------------------------------------
# mixed stress: every library on one primitive at once

#: worlds of a mixed run: plain threads, two asyncio loops, then what the
#: interpreter has of trio, gevent and eventlet
MIXED_LIBS = ("threading", "asyncio", "asyncio", *OPTIONAL_LIBS)

#: actors per world (threads: one OS thread each)
ACTORS = {"threading": 3}
DEFAULT_ACTORS = 2


def test_mixed_stress_has_every_library():
    """The mixed runs below include every library (reported, not hidden)."""
    missing = [
        lib for lib in ("trio", "gevent", "eventlet") if lib not in MIXED_LIBS
    ]
    if missing:
        pytest.skip(f"mixed stress runs without {', '.join(missing)}")


class Ledger:
    """What the actors of a run did, and what went wrong."""

    def __init__(self, seed, capacity=None):
        self.seed = seed
        self.capacity = capacity
        self.lock = threading.Lock()
        self.holders = 0
        self.max_holders = 0
        self.acquired = 0
        self.released = 0
        self.counts = collections.Counter()
        self.errors = []

    def error(self, message):
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(message)

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def enter(self, who):
        with self.lock:
            self.acquired += 1
            self.holders += 1
            holders = self.holders
            self.max_holders = max(self.max_holders, holders)
        if self.capacity is not None and holders > self.capacity:
            self.error(f"{holders} holders at once (capacity {self.capacity})")

    def leave(self):
        with self.lock:
            self.holders -= 1
            self.released += 1

    def context(self, prim=None):
        text = f"seed={self.seed} counts={dict(self.counts)}"
        if prim is not None:
            text += f" {prim!r}"
        return text

    def check(self, prim=None):
        assert not self.errors, f"{self.context(prim)}: {self.errors}"


def _guard_green(ledger, world, fn):
    # record unexpected failures (a greenlet's exception is only printed)
    cancelled = world.cancelled_exc or ()  # () catches nothing

    def guarded(*args):
        try:
            return fn(*args)
        except cancelled:
            raise
        except BaseException as exc:
            ledger.error(f"{world.lib}: {exc!r}")
            raise

    return guarded


class GreenActs:
    """Sleeping, timeouts and kills of one green world."""

    def __init__(self, world, ledger):
        self.world = world
        self.ledger = ledger
        self.lib = world.lib
        if self.lib == "gevent":
            import gevent

            self.lib_mod = gevent
        elif self.lib == "eventlet":
            self.lib_mod = support._import_eventlet()
        else:
            self.lib_mod = None

    def sleep(self, seconds):
        if self.lib_mod is None:
            if seconds:
                time.sleep(seconds)
            else:
                os.sched_yield() if hasattr(os, "sched_yield") else None
        else:
            self.lib_mod.sleep(seconds)

    def give_up(self, rng, unit):
        """Run ``unit(timeout)`` with a random way of giving up."""
        timeout = rng.choice(TIMEOUTS)
        style = rng.random()
        if self.lib_mod is None or style < 0.4:
            self.ledger.count("timeout")
            unit(timeout)
        elif style < 0.7:
            self.ledger.count("lib-timeout")
            with self.lib_mod.Timeout(timeout, False):
                unit(None)
        else:
            self.ledger.count("kill")
            child = self.lib_mod.spawn(
                _guard_green(self.ledger, self.world, unit), None
            )
            self.sleep(rng.choice((0, 0, 1e-4, 1e-3)))
            child.kill()
            if self.lib == "gevent":
                child.join()
            else:
                try:
                    child.wait()
                except self.world.cancelled_exc:
                    pass


class AsyncioActs:
    """Sleeping, timeouts and cancellation in an asyncio loop."""

    lib = "asyncio"

    def __init__(self, world, ledger):
        self.world = world
        self.ledger = ledger

    async def sleep(self, seconds):
        import asyncio

        await asyncio.sleep(seconds)

    async def give_up(self, rng, unit):
        import asyncio

        timeout = rng.choice(TIMEOUTS)
        style = rng.random()
        if style < 0.4:
            self.ledger.count("timeout")
            await unit(timeout)
        elif style < 0.7:
            self.ledger.count("wait_for")
            try:
                await asyncio.wait_for(unit(None), timeout)
            except asyncio.TimeoutError:
                pass
        else:
            self.ledger.count("cancel")
            task = asyncio.ensure_future(unit(None))
            delay = rng.choice((None, 0, 0, 1e-4, 1e-3))
            if delay is not None:
                await asyncio.sleep(delay)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass


class TrioActs:
    """Sleeping, timeouts and cancel scopes in a trio run."""

    lib = "trio"

    def __init__(self, world, ledger):
        self.world = world
        self.ledger = ledger

    async def sleep(self, seconds):
        import trio

        await trio.sleep(seconds)

    async def give_up(self, rng, unit):
        import math

        import trio

        timeout = rng.choice(TIMEOUTS)
        style = rng.random()
        if style < 0.4:
            self.ledger.count("timeout")
            await unit(timeout)
        elif style < 0.7:
            self.ledger.count("move_on_after")
            with trio.move_on_after(math.inf if timeout is None else timeout):
                await unit(None)
        else:
            self.ledger.count("scope.cancel")
            delay = rng.choice((0, 0, 1e-4, 1e-3))
            with trio.CancelScope() as scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(_cancel_after, scope, delay)
                    await unit(None)
                    nursery.cancel_scope.cancel()


async def _cancel_after(scope, delay):
    import trio

    if delay:
        await trio.sleep(delay)
    else:
        await trio.lowlevel.checkpoint()
    scope.cancel()


def _acts(world, ledger):
    if not world.is_async:
        return GreenActs(world, ledger)
    if world.backend == "asyncio":
        return AsyncioActs(world, ledger)
    return TrioActs(world, ledger)


def _gated(world, gate, body):
    if world.is_async:

        async def gated():
            await gate.wait()
            return await body()

    else:
        # portable: runs synchronously in a green world

        async def gated():
            await gate.wait()
            return body()

    return gated


def actors_of(world):
    return ACTORS.get(world.lib, DEFAULT_ACTORS)


def spawn_actors(worlds, ledger, make_body):
    """Spawn the actors of every world; they start together (gates).

    ``make_body(world, acts, rng, number)`` returns the body of the
    ``number``-th actor of ``world``.
    """
    tasks = []
    gates = []
    for index, world in enumerate(worlds):
        acts = _acts(world, ledger)
        gate = world.gate()
        gates.append(gate)
        for number in range(actors_of(world)):
            rng = random.Random(f"{ledger.seed}-{index}-{number}")
            body = make_body(world, acts, rng, number)
            tasks.append(world.spawn(_gated(world, gate, body)))
    for gate in gates:
        gate.open()
    return tasks


def run_actors(worlds, ledger, make_body, limit=TASK_LIMIT):
    """Run the actors of every world; return them and the stuck ones."""
    tasks = spawn_actors(worlds, ledger, make_body)
    return tasks, wait_actors(tasks, limit)


def wait_actors(tasks, limit=TASK_LIMIT):
    deadline = time.monotonic() + limit
    for task in tasks:
        if not task.wait(max(0.0, deadline - time.monotonic())):
            break
    return [task for task in tasks if not task.done()]


def finish_actors(tasks, stuck, ledger, prim):
    assert not stuck, (
        f"{ledger.context(prim)}: {len(stuck)} actors never finished"
        f" (lost wake-up or lost permit): {stuck}"
    )
    for task in tasks:
        exc = task.exception(0)
        assert exc is None, f"{ledger.context(prim)}: actor failed: {exc!r}"
    ledger.check(prim)


# -- permits ----------------------------------------------------------------


STRESS_KINDS = {
    "Semaphore": Kind("Semaphore", lambda a: a.Semaphore(2), 2),
    "BoundedSemaphore": Kind(
        "BoundedSemaphore", lambda a: a.BoundedSemaphore(3), 3
    ),
    "Lock": Kind("Lock", lambda a: a.Lock(), 1, "owned"),
    "RLock": Kind("RLock", lambda a: a.RLock(), 1, "owned"),
    "CapacityLimiter": Kind(
        "CapacityLimiter", lambda a: a.CapacityLimiter(2), 2, "borrowed"
    ),
}


def _inside(kind, prim, ledger, who):
    ledger.enter(who)
    if kind.has_owner:
        owner = prim.owner
        if owner != who:
            ledger.error(f"owner {owner!r} seen by the holder {who!r}")
        if kind.name == "RLock" and prim.count != 1:
            ledger.error(f"count {prim.count} seen by the holder {who!r}")
    elif kind.is_limiter and who not in prim.borrowers:
        ledger.error(f"{who!r} holds a token but is not a borrower")


def permit_body(kind, prim, ledger, iterations):
    """An actor that acquires and releases ``prim`` in random ways."""

    def make(world, acts, rng, number):
        if not world.is_async:
            return _green_permit_body(
                world, acts, rng, kind, prim, ledger, iterations
            )
        return _async_permit_body(
            world, acts, rng, kind, prim, ledger, iterations
        )

    return make


def _green_permit_body(world, acts, rng, kind, prim, ledger, iterations):
    def hold():
        who = world.current_ident()
        _inside(kind, prim, ledger, who)
        try:
            if rng.random() < 0.5:
                acts.sleep(0)
            if kind.name == "RLock" and rng.random() < 0.5:
                if prim.green_acquire():
                    prim.green_release()
                else:
                    ledger.error("reentrant acquire failed")
        finally:
            ledger.leave()
            prim.green_release()

    def unit(timeout):
        if timeout is None:
            ok = prim.green_acquire()
        else:
            ok = prim.green_acquire(timeout=timeout)
        if ok:
            hold()
        elif timeout is None:
            ledger.error("acquire without timeout returned False")
        elif kind.owned and getattr(prim, "green_" + kind.owned)():
            ledger.error(f"{kind.owned}() after a timed-out acquire")

    def body():
        for _ in range(iterations):
            if rng.random() < 0.1:
                ledger.count("non-blocking")
                if prim.green_acquire(blocking=False):
                    hold()
            else:
                acts.give_up(rng, unit)

    return body


def _async_permit_body(world, acts, rng, kind, prim, ledger, iterations):
    async def hold():
        who = world.current_ident()
        _inside(kind, prim, ledger, who)
        try:
            if rng.random() < 0.5:
                await acts.sleep(0)
            if kind.name == "RLock" and rng.random() < 0.5:
                if await prim.async_acquire():
                    prim.async_release()
                else:
                    ledger.error("reentrant acquire failed")
        finally:
            ledger.leave()
            prim.async_release()

    async def unit(timeout):
        if timeout is None:
            ok = await prim.async_acquire()
        else:
            ok = await prim.async_acquire(timeout=timeout)
        if ok:
            await hold()
        elif timeout is None:
            ledger.error("acquire without timeout returned False")
        elif kind.owned and getattr(prim, "async_" + kind.owned)():
            ledger.error(f"{kind.owned}() after a timed-out acquire")

    async def body():
        for _ in range(iterations):
            if rng.random() < 0.1:
                ledger.count("non-blocking")
                if await prim.async_acquire(blocking=False):
                    await hold()
            else:
                await acts.give_up(rng, unit)

    return body


class Monitor(threading.Thread):
    """Checks, while the actors run, that no permit appears from nowhere."""

    def __init__(self, kind, prim, ledger):
        super().__init__(name="monitor", daemon=True)
        self.kind = kind
        self.prim = prim
        self.ledger = ledger
        self.stop = threading.Event()
        self.samples = 0
        self.max_waiting = 0

    def run(self):
        kind, prim = self.kind, self.prim
        while not self.stop.wait(0.001):
            self.samples += 1
            self.max_waiting = max(self.max_waiting, prim.waiting)
            if kind.is_limiter:
                free = prim.available_tokens
                if not 0 <= free <= kind.capacity:
                    self.ledger.error(f"available_tokens={free}")
            elif not kind.has_owner:
                value = prim.value
                if not 0 <= value <= kind.capacity:
                    self.ledger.error(f"value={value}")


@pytest.mark.timeout(MIXED_TIMEOUT)
@pytest.mark.parametrize("name", list(STRESS_KINDS))
def test_mixed_permits(
    impl, name, seed, fast_switching, no_loop_errors, capfd
):
    """Every library at once on one Semaphore / Lock / limiter."""
    kind = STRESS_KINDS[name]
    prim = kind.make(impl)
    ledger = Ledger(seed, kind.capacity)
    monitor = Monitor(kind, prim, ledger)
    with support.open_worlds(*MIXED_LIBS) as worlds:
        monitor.start()
        try:
            tasks, stuck = run_actors(
                worlds, ledger, permit_body(kind, prim, ledger, stress(1500))
            )
        finally:
            monitor.stop.set()
            monitor.join(TASK_LIMIT)
        finish_actors(tasks, stuck, ledger, prim)
    assert ledger.acquired == ledger.released, ledger.context(prim)
    assert ledger.max_holders <= kind.capacity, ledger.context(prim)
    # the run did contend: tasks queued up
    assert monitor.max_waiting > 0, ledger.context(prim)
    kind.assert_idle(prim, ledger.context())
    kind.probe(prim, ledger.context())
    _assert_clean_stderr(capfd)


# -- events -------------------------------------------------------------------


def event_body(event, ledger, results, waits):
    """An actor that waits for ``event`` ``waits`` times, giving up at
    random; waits without a timeout must all be woken."""

    def make(world, acts, rng, number):
        if not world.is_async:

            def unit(timeout):
                if timeout is None:
                    result = event.wait()
                else:
                    result = event.wait(timeout)
                results.append((world.lib, timeout, result))

            def body():
                for _ in range(waits):
                    acts.give_up(rng, unit)

            return body

        async def unit(timeout):
            if timeout is None:
                result = await event
            else:
                result = await event.with_(timeout)
            results.append((world.lib, timeout, result))

        async def body():
            for _ in range(waits):
                await acts.give_up(rng, unit)

        return body

    return make


def _setter(event):
    async def body():
        event.set()

    return body


@pytest.mark.timeout(MIXED_TIMEOUT)
def test_mixed_event(impl, seed, fast_switching, no_loop_errors, capfd):
    """Waiters of every library on one Event, set from a random place."""
    rng = random.Random(seed)
    woken = 0
    with support.open_worlds(*MIXED_LIBS) as worlds:
        for round_ in range(stress(150)):
            event = impl.Event()
            ledger = Ledger(f"{seed}/{round_}")
            results = []
            make = event_body(event, ledger, results, rng.randrange(1, 4))
            # the set races with the waiters starting, queueing, giving up
            delay = rng.choice((0, 1e-4, 1e-3, 5e-3))
            if rng.random() < 0.5:
                setter = threading.Timer(delay, event.set)
            else:
                world = rng.choice(worlds)
                setter = threading.Timer(delay, world.call, (_setter(event),))
            setter.start()
            tasks, stuck = run_actors(worlds, ledger, make)
            setter.join(TASK_LIMIT)
            finish_actors(tasks, stuck, ledger, event)
            context = ledger.context(event)
            assert event.is_set(), context
            assert event.waiting == 0, context
            lost = [r for r in results if r[1] is None and r[2] is not True]
            assert not lost, f"{context}: waiters not woken: {lost}"
            woken += sum(1 for r in results if r[2] is True)
    assert woken > 0
    _assert_clean_stderr(capfd)


# -- queues -------------------------------------------------------------------

_POISON = ("poison", -1)


class QueueRun:
    """Producers put tagged items, consumers get until a poison pill.

    ``consumer(world, number)`` tells the role of an actor. Producers put
    ``items`` items each; both give up at random.
    """

    def __init__(self, aiologic, queue, ledger, items, consumer):
        self.queue = queue
        self.ledger = ledger
        self.items = items
        self.consumer = consumer  # (world, number) -> bool
        self.QueueEmpty = aiologic.QueueEmpty
        self.QueueFull = aiologic.QueueFull
        self.attempted = set()
        self.stored = set()  # the put returned: certainly stored
        self.received = []
        self.producers_done = 0

    def _attempt(self, item):
        with self.ledger.lock:
            self.attempted.add(item)

    def _stored(self, item):
        with self.ledger.lock:
            self.stored.add(item)

    def _got(self, state, item):
        if item == _POISON:
            state["done"] = True
        else:
            with self.ledger.lock:
                self.received.append(item)

    def _produced(self):
        with self.ledger.lock:
            self.producers_done += 1

    def make(self, world, acts, rng, number):
        queue, QueueFull, QueueEmpty = (
            self.queue,
            self.QueueFull,
            self.QueueEmpty,
        )
        tag = f"{world.lib}-{id(world):x}-{number}"
        consumes = self.consumer(world, number)
        state = {"item": None, "done": False}

        if not world.is_async:

            def put(timeout):
                item = state["item"]
                self._attempt(item)
                try:
                    if timeout is None:
                        queue.green_put(item)
                    else:
                        queue.green_put(item, timeout=timeout)
                except QueueFull:
                    return
                self._stored(item)

            def get(timeout):
                try:
                    if timeout is None:
                        item = queue.green_get()
                    else:
                        item = queue.green_get(timeout=timeout)
                except QueueEmpty:
                    return
                self._got(state, item)

            def body():
                if not consumes:
                    for seq in range(self.items):
                        state["item"] = (tag, seq)
                        acts.give_up(rng, put)
                    self._produced()
                    return
                while not state["done"]:
                    acts.give_up(rng, get)

            return body

        async def aput(timeout):
            item = state["item"]
            self._attempt(item)
            try:
                if timeout is None:
                    await queue.async_put(item)
                else:
                    await queue.async_put(item, timeout=timeout)
            except QueueFull:
                return
            self._stored(item)

        async def aget(timeout):
            try:
                if timeout is None:
                    item = await queue.async_get()
                else:
                    item = await queue.async_get(timeout=timeout)
            except QueueEmpty:
                return
            self._got(state, item)

        async def abody():
            if not consumes:
                for seq in range(self.items):
                    state["item"] = (tag, seq)
                    await acts.give_up(rng, aput)
                self._produced()
                return
            while not state["done"]:
                await acts.give_up(rng, aget)

        return abody


@pytest.mark.timeout(MIXED_TIMEOUT)
@pytest.mark.parametrize("consumers", ["all", "one"])
def test_mixed_queue(
    impl, consumers, seed, fast_switching, no_loop_errors, capfd
):
    """Producers and consumers of every library on one bounded Queue.

    Every item whose put returned is received exactly once, no item is
    received twice or made up; with a single consumer, the items of each
    producer arrive in the order they were put.
    """
    rng = random.Random(seed)
    queue = impl.Queue(maxsize=rng.choice((1, 2, 3)))
    ledger = Ledger(seed)
    with support.open_worlds(*MIXED_LIBS) as worlds:
        if consumers == "one":
            chosen = rng.choice(worlds)

            def consumer(world, number):
                return world is chosen and number == 0

        else:

            def consumer(world, number):
                return number % 2 == 1

        roles = [
            consumer(world, number)
            for world in worlds
            for number in range(actors_of(world))
        ]
        run = QueueRun(impl, queue, ledger, stress(600), consumer)
        tasks = spawn_actors(worlds, ledger, run.make)
        # all items are in before the pills
        wait_until(
            lambda: run.producers_done == roles.count(False),
            TASK_LIMIT,
            message=lambda: f"{ledger.context(queue)}: producers stuck",
        )
        for _ in range(roles.count(True)):
            queue.green_put(_POISON, timeout=TASK_LIMIT)
        finish_actors(tasks, wait_actors(tasks), ledger, queue)
    context = ledger.context(queue)
    assert len(queue) == 0, context
    assert queue.waiting == 0, context
    counts = collections.Counter(run.received)
    twice = [item for item, n in counts.items() if n > 1]
    assert not twice, f"{context}: received twice: {twice[:5]}"
    made_up = set(counts) - run.attempted
    assert not made_up, f"{context}: never put: {sorted(made_up)[:5]}"
    lost = run.stored - set(counts)
    assert not lost, f"{context}: put but never received: {sorted(lost)[:5]}"
    assert run.stored, context
    if consumers == "one":
        last = {}
        for tag, seq in run.received:
            assert seq > last.get(tag, -1), (
                f"{context}: items of one producer out of order: {tag}"
            )
            last[tag] = seq
    _assert_clean_stderr(capfd)


# ---------------------------------------------------------------------------
# waiters left behind in a loop or hub that is gone


def _abandon_gevent_waiter(prim):
    import gevent

    hub = gevent.get_hub()
    gevent.spawn(prim.green_acquire)
    deadline = time.monotonic() + TASK_LIMIT
    while prim.waiting != 1 and time.monotonic() < deadline:
        gevent.sleep(0.001)
    # the thread ends with its greenlet still waiting
    hub.destroy(destroy_loop=True)


def test_release_to_waiter_of_destroyed_gevent_hub(impl):
    """A release that hands the permit to a greenlet of a destroyed hub.

    Nobody is left to wake; the release must not fail in the releaser
    (as for a closed asyncio loop or a finished trio run).
    """
    support.require("gevent")
    lock = impl.Lock()
    assert lock.green_acquire()
    thread = threading.Thread(target=_abandon_gevent_waiter, args=(lock,))
    thread.start()
    thread.join(TASK_LIMIT)
    assert lock.waiting == 1
    lock.green_release()  # must not raise
    assert lock.waiting == 0


# ---------------------------------------------------------------------------
# leaks


def _live_waiter_events():
    gc.collect()
    events = []
    for obj in gc.get_objects():
        cls = type(obj)
        module = cls.__module__
        if (
            isinstance(module, str)
            and module.startswith("aiologic.lowlevel._waiters.")
            and cls.__name__.endswith("Event")
        ):
            events.append(obj)
    return events


def _fd_count():
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


class _Counts:
    """File descriptors, threads and live events (that were not alive
    before), after a warm-up and at the end, in the waiting thread."""

    def __init__(self, known):
        self.known = known
        self.values = []

    def live(self):
        return [e for e in _live_waiter_events() if id(e) not in self.known]

    def take(self):
        live = len(self.live())
        self.values.append((_fd_count(), threading.active_count(), live))


def _leak_round(impl, lib, sem, other, counts, rounds):
    """Woken, timed-out and cancelled waits in the current thread."""
    if lib == "asyncio":
        import asyncio

        async def main():
            for n in range(rounds):
                if n == 1:
                    counts.take()
                timer = threading.Timer(0.001, sem.release)
                timer.start()
                assert await sem.async_acquire(timeout=TASK_LIMIT)
                timer.join()
                assert not await other.async_acquire(timeout=0.001)
                task = asyncio.ensure_future(other.async_acquire())
                await asyncio.sleep(0.001)
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            counts.take()

        asyncio.run(main())
    elif lib == "trio":
        import trio

        async def main():
            for n in range(rounds):
                if n == 1:
                    counts.take()
                timer = threading.Timer(0.001, sem.release)
                timer.start()
                assert await sem.async_acquire(timeout=TASK_LIMIT)
                timer.join()
                assert not await other.async_acquire(timeout=0.001)
                with trio.move_on_after(0.001):
                    await other.async_acquire()
            counts.take()

        trio.run(main)
    else:
        if lib == "gevent":
            import gevent as green
        elif lib == "eventlet":
            green = support._import_eventlet()
        else:
            green = None
        for n in range(rounds):
            if n == 1:
                counts.take()
            timer = threading.Timer(0.001, sem.release)
            timer.start()
            assert sem.green_acquire(timeout=TASK_LIMIT)
            timer.join()
            assert not other.green_acquire(timeout=0.001)
            if green is not None:
                child = green.spawn(other.green_acquire)
                green.sleep(0.001)
                child.kill()
                del child
        counts.take()
        if lib == "gevent":
            green.get_hub().destroy(destroy_loop=True)


@pytest.mark.parametrize("lib", EXPLORE_LIBS)
def test_waits_leave_nothing_behind(impl, lib, seed, no_loop_errors, capfd):
    """Many woken, timed-out and cancelled waits leave no event, timer,
    watcher, file descriptor or thread behind."""
    sem = impl.Semaphore(0)
    other = impl.Semaphore(0)  # never released: its waits time out
    before = _live_waiter_events()  # (kept alive: their ids stay theirs)
    counts = _Counts({id(event) for event in before})
    failure = []

    def run():
        try:
            _leak_round(impl, lib, sem, other, counts, 40)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(TASK_LIMIT * 2)
    assert not thread.is_alive()
    if failure:
        raise failure[0]
    (fds, threads, events), (fds_end, threads_end, events_end) = counts.values
    context = f"seed={seed} {lib}"
    # (other tests' threads may still be finishing: only growth counts)
    if fds is not None:  # (counted where /proc/self/fd exists)
        assert fds_end <= fds, f"{context}: {fds_end - fds} descriptors"
    assert threads_end <= threads, f"{context}: threads left behind"
    # (a hub may keep its last greenlet's frames: one wait at most)
    assert events_end <= events + 1, f"{context}: events kept by the loop"
    assert sem.waiting == other.waiting == 0, context
    assert sem.value == other.value == 0, context
    live = counts.live()
    assert len(live) <= 1, f"{context}: {len(live)} events kept: {live}"
    _assert_clean_stderr(capfd)
