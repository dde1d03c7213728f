# SPDX-License-Identifier: MIT

"""Low-level green events on threading, gevent and eventlet."""

from __future__ import annotations

import pickle
import random
import re
import signal
import sys
import threading
import time
import weakref

import pytest
from _lowlevel_harness import (
    GREEN_LIBS,
    GreenOps,
    call_in_thread,
    import_eventlet,
    run_green,
    spin,
    wait_until,
)

from aiologic.lowlevel import (
    CANCELLED_EVENT,
    DUMMY_EVENT,
    SET_EVENT,
    CancelledEvent,
    DummyEvent,
    SetEvent,
    create_green_event,
    create_green_waiter,
)

pytestmark = pytest.mark.timeout(30)

HUB_LIBS = ("gevent", "eventlet")


@pytest.fixture(params=GREEN_LIBS)
def lib(request):
    if request.param == "gevent":
        pytest.importorskip("gevent")
    elif request.param == "eventlet":
        import_eventlet()
    return request.param


@pytest.fixture(params=HUB_LIBS)
def hub_lib(request):
    if request.param == "gevent":
        pytest.importorskip("gevent")
    else:
        import_eventlet()
    return request.param


class Boom(Exception):
    pass


def test_set_before_wait(lib):
    def scenario():
        ev = create_green_event()
        assert ev.set() is True
        assert ev.set() is False
        assert ev.cancel() is False
        assert ev.wait() is True
        assert ev.wait(0) is True
        return ev.is_set(), ev.cancelled()

    assert run_green(lib, scenario) == (True, False)


def test_set_from_another_thread_while_waiting(lib):
    def scenario():
        ev = create_green_event()
        results = []

        def setter():
            wait_until(lambda: ev._used)
            results.append(ev.set())

        thread = call_in_thread(setter)
        assert ev.wait() is True
        thread.join()
        return results, ev.is_set(), ev.cancelled()

    assert run_green(lib, scenario) == ([True], True, False)


def test_set_from_another_thread_with_timeout(lib):
    def scenario():
        for _ in range(20):
            ev = create_green_event()
            thread = call_in_thread(ev.set)
            assert ev.wait(10) is True
            thread.join()
        return True

    assert run_green(lib, scenario)


def test_set_from_same_hub(hub_lib):
    ops = GreenOps(hub_lib)

    def scenario():
        ev = create_green_event()
        setter = ops.spawn(ev.set)
        assert ev.wait() is True
        assert ops.join(setter) is True
        return ev.is_set()

    assert run_green(hub_lib, scenario)


def test_timeout_cancels(lib):
    def scenario():
        ev = create_green_event()
        start = time.monotonic()
        result = ev.wait(0.05)
        elapsed = time.monotonic() - start
        return result, elapsed, ev.is_set(), ev.cancelled(), ev.set()

    result, elapsed, is_set, cancelled, set_result = run_green(lib, scenario)
    assert result is False
    assert elapsed >= 0.04
    assert (is_set, cancelled, set_result) == (False, True, False)


def test_zero_timeout_polls(lib):
    def scenario():
        ev = create_green_event()
        result = ev.wait(0)
        return result, ev.cancelled(), ev.wait(0), ev.wait()

    assert run_green(lib, scenario) == (False, True, False, False)


def test_huge_timeout(lib):
    def scenario():
        ev = create_green_event()
        thread = call_in_thread(
            lambda: (wait_until(lambda: ev._used), ev.set())
        )
        assert ev.wait(1e300) is True
        thread.join()
        return True

    assert run_green(lib, scenario)


@pytest.mark.parametrize("seed", range(3))
def test_set_racing_timeout_never_loses(lib, seed):
    def scenario():
        rng = random.Random(seed)
        outcomes = set()

        for _ in range(150):
            ev = create_green_event()
            delay = rng.randrange(0, 3000)
            results = []

            def setter(ev=ev, delay=delay, results=results):
                spin(delay)
                results.append(ev.set())

            thread = call_in_thread(setter)
            waited = ev.wait(rng.choice((0, 1e-5, 1e-4, 5e-4)))
            thread.join()

            assert waited is results[0], (waited, results)
            assert ev.is_set() is waited
            assert ev.cancelled() is not waited
            outcomes.add(waited)

        return outcomes

    assert run_green(lib, scenario)


def test_public_cancel_wakes_the_waiter(lib):
    def scenario():
        ev = create_green_event()
        results = []

        def canceller():
            wait_until(lambda: ev._used)
            results.append(ev.cancel())

        thread = call_in_thread(canceller)
        waited = ev.wait()
        thread.join()
        return waited, results, ev.cancelled(), ev.set()

    assert run_green(lib, scenario) == (False, [True], True, False)


def test_double_wait_raises(lib):
    def scenario():
        ev = create_green_event()
        errors = []

        def second():
            wait_until(lambda: ev._used)
            try:
                ev.wait(0)
            except RuntimeError as exc:
                errors.append(str(exc))
            ev.set()

        thread = call_in_thread(second)
        assert ev.wait() is True
        thread.join()
        return errors

    assert run_green(lib, scenario) == ["this event is already in use"]


def test_interrupt_cancels_event(hub_lib):
    ops = GreenOps(hub_lib)

    def scenario():
        ev = create_green_event()

        def waiter():
            try:
                ev.wait()
            except Boom:
                return "interrupted"
            return "returned"

        task = ops.spawn(waiter)
        ops.sleep(0)  # let it start waiting
        assert ev._used
        ops.kill(task, Boom)
        outcome = ops.join(task)
        return outcome, ev.cancelled(), ev.is_set(), ev.set()

    assert run_green(hub_lib, scenario) == ("interrupted", True, False, False)


def test_library_timeout_cancels_event(hub_lib):
    ops = GreenOps(hub_lib)

    def scenario():
        ev = create_green_event()

        try:
            with ops.timeout(0.01, Boom):
                ev.wait()
        except Boom:
            pass
        else:
            raise AssertionError("no timeout")

        return ev.cancelled(), ev.set()

    assert run_green(hub_lib, scenario) == (True, False)


def test_interrupt_after_set_keeps_set(hub_lib):
    # the set wins the race against an exception thrown in: the waiter sees
    # the exception but the event reports set (so a permit can be passed on)
    ops = GreenOps(hub_lib)

    def scenario():
        ev = create_green_event()
        log = []

        def waiter():
            try:
                ev.wait()
            except Boom:
                log.append("interrupted")
            # a late wake must not switch into this unrelated sleep
            start = time.monotonic()
            ops.sleep(0.05)
            log.append(time.monotonic() - start >= 0.045)

        task = ops.spawn(waiter)
        ops.sleep(0)
        assert ev._used

        if hub_lib == "gevent":
            ops.kill(task, Boom)  # scheduled before the wake-up callback
            assert ev.set() is True
        else:
            assert ev.set() is True  # schedules the wake-up callback
            ops.kill(task, Boom)  # delivered at once

        ops.join(task)
        return log, ev.is_set(), ev.cancelled()

    assert run_green(hub_lib, scenario) == (["interrupted", True], True, False)


def test_shield_defers_interrupt(hub_lib):
    ops = GreenOps(hub_lib)

    def scenario():
        ev = create_green_event(shield=True)
        log = []

        def waiter():
            try:
                log.append(ev.wait())
            except Boom:
                log.append(("raised", ev.is_set()))

        task = ops.spawn(waiter)
        ops.sleep(0)
        ops.kill(task, Boom)
        ops.sleep(0)
        ops.sleep(0)
        assert log == []  # still waiting despite the exception
        assert ev.set() is True
        ops.join(task)
        return log

    assert run_green(hub_lib, scenario) == [("raised", True)]


def test_shield_with_timeout_still_times_out(lib):
    def scenario():
        ev = create_green_event(shield=True)
        return ev.wait(0.01), ev.cancelled()

    assert run_green(lib, scenario) == (False, True)


@pytest.mark.skipif(
    not hasattr(signal, "setitimer"), reason="needs signal.setitimer"
)
@pytest.mark.parametrize("shield", [False, True])
def test_threading_signal_interrupt(shield):
    # signal handlers run in the main thread, where pytest runs the test
    assert threading.current_thread() is threading.main_thread()
    ev = create_green_event(shield=shield)
    handled = threading.Event()

    def handler(signum, frame):
        handled.set()
        raise Boom

    def setter():
        handled.wait(10)
        ev.set()

    old = signal.signal(signal.SIGALRM, handler)
    try:
        thread = call_in_thread(setter) if shield else None
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        with pytest.raises(Boom):
            ev.wait(10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)

    if shield:
        thread.join()
        assert ev.is_set()
        assert not ev.cancelled()
    else:
        assert ev.cancelled()
        assert not ev.is_set()
        assert ev.set() is False


def test_no_threads_leaked_by_timed_waits(lib):
    def scenario():
        before = threading.active_count()
        for _ in range(200):
            create_green_event().wait(0.0001)
        for _ in range(50):
            ev = create_green_event()
            ev.set()
            ev.wait(0.0001)
        return before, threading.active_count()

    before, after = run_green(lib, scenario)
    assert after == before


def test_hub_left_clean_after_timed_waits(hub_lib):
    # timers and watchers are released: the hub has nothing pending
    def scenario():
        for _ in range(100):
            create_green_event().wait(0.0001)

        if hub_lib == "gevent":
            import gevent

            hub = gevent.get_hub()
            return hub.loop.activecnt
        eventlet = import_eventlet()
        hub = eventlet.hubs.get_hub()
        timers = hub.next_timers + hub.timers
        return len([t for t in timers if not t[-1].called])

    pending = run_green(hub_lib, scenario)
    assert pending <= 1


def test_gevent_no_loop_exit_while_waiting_for_thread():
    # nothing else keeps the hub of this thread busy: without a live
    # watcher, gevent would raise LoopExit instead of waiting
    pytest.importorskip("gevent")

    def scenario():
        ev = create_green_event()
        thread = call_in_thread(
            lambda: (wait_until(lambda: ev._used), time.sleep(0.05), ev.set())
        )
        result = ev.wait()
        thread.join()
        return result

    assert run_green("gevent", scenario) is True


def test_eventlet_many_cross_thread_wakes():
    import_eventlet()

    def scenario():
        events = [create_green_event() for _ in range(50)]
        threads = [call_in_thread(ev.set) for ev in events]
        results = [ev.wait(10) for ev in events]
        for thread in threads:
            thread.join()
        return all(results)

    assert run_green("eventlet", scenario)


def test_blocking_in_hub_is_refused(hub_lib):
    def scenario():
        ev = create_green_event()
        errors = []

        if hub_lib == "gevent":
            import gevent

            def callback():
                try:
                    ev.wait(0)
                except Exception as exc:
                    errors.append(type(exc).__name__)

            gevent.get_hub().loop.run_callback(callback)
            gevent.sleep(0.01)
        else:
            eventlet = import_eventlet()

            def callback():
                try:
                    ev.wait(0)
                except Exception as exc:
                    errors.append(type(exc).__name__)

            eventlet.hubs.get_hub().schedule_call_global(0, callback)
            eventlet.sleep(0.01)
        return errors, ev.cancelled()

    errors, cancelled = run_green(hub_lib, scenario)
    assert len(errors) == 1
    assert not cancelled


# --- public surface ------------------------------------------------------


def test_repr_and_reduce():
    ev = create_green_event()
    pattern = r"<aiologic\.lowlevel\.GreenEvent object at 0x[0-9a-f]+: {}>"
    assert re.fullmatch(pattern.format("unset"), repr(ev))
    ev.set()
    assert re.fullmatch(pattern.format("set"), repr(ev))
    ev2 = create_green_event()
    ev2.wait(0)
    assert re.fullmatch(pattern.format("cancelled"), repr(ev2))

    with pytest.raises(TypeError, match="cannot reduce"):
        ev.__reduce__()
    with pytest.raises(TypeError):
        pickle.dumps(ev)
    with pytest.raises(AttributeError):
        ev.__dict__  # noqa: B018 - slots only
    if sys.implementation.name != "pypy":  # PyPy can weakref any object
        with pytest.raises(TypeError):
            weakref.ref(ev)


def test_attributes_writable():
    ev = create_green_event(shield=True, force=True)
    assert ev.shield is True
    assert ev.force is True
    ev.shield = False
    ev.force = False
    assert (ev.shield, ev.force) == (False, False)
    assert create_green_event(locking=True).wait(0) is False


@pytest.mark.parametrize(
    ("event", "cls", "name", "is_set"),
    [
        (SET_EVENT, SetEvent, "SET_EVENT", True),
        (DUMMY_EVENT, DummyEvent, "DUMMY_EVENT", True),
        (CANCELLED_EVENT, CancelledEvent, "CANCELLED_EVENT", False),
    ],
)
def test_static_events(event, cls, name, is_set):
    import copy

    assert type(event) is cls
    assert cls() is event
    assert repr(event) == f"aiologic.lowlevel.{name}"
    assert pickle.loads(pickle.dumps(event)) is event
    assert copy.copy(event) is event
    assert copy.deepcopy(event) is event
    assert event.is_set() is is_set
    assert event.cancelled() is (not is_set)
    assert event.set() is False
    assert event.cancel() is False
    assert event.wait() is is_set
    assert event.wait(0) is is_set
    assert (event.shield, event.force) == (False, False)

    with pytest.raises(AttributeError):
        event.force = True
    with pytest.raises(TypeError, match="not an acceptable base type"):
        type("Sub", (cls,), {})


def test_green_waiter():
    waiter = create_green_waiter()
    assert repr(waiter).startswith("<aiologic.lowlevel.GreenWaiter object")
    assert waiter.shield is False
    waiter.shield = True
    assert waiter.shield is True
    assert waiter.wake() is None
    assert waiter.wake() is None
    assert waiter.wait(0) is True

    waiter = create_green_waiter()
    assert waiter.wait(0.001) is False
    waiter.wake()  # no effect, no error
    with pytest.raises(TypeError):
        pickle.dumps(waiter)


def test_green_waiter_woken_from_thread(lib):
    def scenario():
        waiter = create_green_waiter()
        thread = call_in_thread(waiter.wake)
        result = waiter.wait(10)
        thread.join()
        return result

    assert run_green(lib, scenario) is True


def test_event_created_in_thread_is_bound_to_it(hub_lib):
    # a green event created in a plain thread waits by blocking the thread
    # even if the program uses a green library elsewhere
    def scenario():
        from aiologic.lowlevel import current_green_library

        results = []

        def plain():
            results.append(current_green_library())
            ev = create_green_event()
            results.append(type(ev).__module__.rsplit(".", 1)[-1])
            results.append(ev.wait(0.001))

        call_in_thread(plain).join()
        return results

    assert run_green(hub_lib, scenario) == ["threading", "_threading", False]
