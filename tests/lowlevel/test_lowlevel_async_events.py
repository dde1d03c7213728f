# SPDX-License-Identifier: MIT

"""Low-level async events on asyncio and trio."""

from __future__ import annotations

import asyncio
import pickle
import random
import re
import threading
import time

import pytest
from _lowlevel_harness import (
    ASYNC_LIBS,
    call_in_thread,
    run_async,
    run_in_thread,
    spin,
    wait_until,
)

from aiologic.lowlevel import (
    CANCELLED_EVENT,
    SET_EVENT,
    AsyncLibraryNotFoundError,
    create_async_event,
    create_async_waiter,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(params=ASYNC_LIBS)
def lib(request):
    if request.param == "trio":
        pytest.importorskip("trio")
    return request.param


async def sleep(lib, seconds):
    if lib == "trio":
        import trio

        await trio.sleep(seconds)
    else:
        await asyncio.sleep(seconds)


async def until_waiting(lib, ev):
    # the order in which new tasks first run is unspecified (trio shuffles)
    while not ev._used:
        await sleep(lib, 0)


class TaskGroup:
    """A tiny task group over asyncio tasks or a trio nursery."""

    def __init__(self, lib):
        self.lib = lib

    async def __aenter__(self):
        if self.lib == "trio":
            import trio

            self._cm = trio.open_nursery()
            self._nursery = await self._cm.__aenter__()
        else:
            self._tasks = []
        return self

    async def __aexit__(self, *exc_info):
        if self.lib == "trio":
            return await self._cm.__aexit__(*exc_info)
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        return False

    def start_soon(self, afn, *args):
        """Start a task; return a handle whose ``cancel()`` cancels it."""
        if self.lib == "trio":
            import trio

            scope = trio.CancelScope()

            async def runner():
                with scope:
                    await afn(*args)

            self._nursery.start_soon(runner)
            return scope

        task = asyncio.ensure_future(afn(*args))
        self._tasks.append(task)
        return task


def cancelled_exc(lib):
    if lib == "trio":
        import trio

        return trio.Cancelled
    return asyncio.CancelledError


def test_set_before_wait(lib):
    async def scenario():
        ev = create_async_event()
        assert ev.set() is True
        assert ev.set() is False
        assert await ev is True
        assert await ev.with_(0) is True
        return ev.is_set(), ev.cancelled(), ev.cancel()

    assert run_async(lib, scenario) == (True, False, False)


def test_set_from_another_thread_while_waiting(lib):
    async def scenario():
        ev = create_async_event()
        results = []

        def setter():
            wait_until(lambda: ev._used)
            results.append(ev.set())

        thread = call_in_thread(setter)
        assert await ev is True
        thread.join()
        return results, ev.is_set()

    assert run_async(lib, scenario) == ([True], True)


def test_set_from_another_thread_many(lib):
    async def scenario():
        for _ in range(50):
            ev = create_async_event()
            thread = call_in_thread(ev.set)
            assert await ev.with_(10) is True
            thread.join()
        return True

    assert run_async(lib, scenario)


def test_set_from_same_loop(lib):
    async def scenario():
        ev = create_async_event()
        results = []

        async def setter():
            results.append(ev.set())

        async with TaskGroup(lib) as tg:
            tg.start_soon(setter)
            assert await ev is True

        return results

    assert run_async(lib, scenario) == [True]


def test_timeout_cancels(lib):
    async def scenario():
        ev = create_async_event()
        start = time.monotonic()
        result = await ev.with_(0.05)
        elapsed = time.monotonic() - start
        return result, elapsed, ev.is_set(), ev.cancelled(), ev.set()

    result, elapsed, is_set, cancelled, set_result = run_async(lib, scenario)
    assert result is False
    assert elapsed >= 0.04
    assert (is_set, cancelled, set_result) == (False, True, False)


def test_zero_timeout_polls(lib):
    async def scenario():
        ev = create_async_event()
        result = await ev.with_(0)
        return result, ev.cancelled(), await ev.with_(0), await ev

    assert run_async(lib, scenario) == (False, True, False, False)


def test_huge_timeout(lib):
    async def scenario():
        ev = create_async_event()
        thread = call_in_thread(
            lambda: (wait_until(lambda: ev._used), ev.set())
        )
        result = await ev.with_(1e300)
        thread.join()
        return result

    assert run_async(lib, scenario) is True


@pytest.mark.parametrize("seed", range(3))
def test_set_racing_timeout_never_loses(lib, seed):
    async def scenario():
        rng = random.Random(seed)
        outcomes = set()

        for _ in range(150):
            ev = create_async_event()
            delay = rng.randrange(0, 3000)
            results = []

            def setter(ev=ev, delay=delay, results=results):
                spin(delay)
                results.append(ev.set())

            thread = call_in_thread(setter)
            waited = await ev.with_(rng.choice((0, 1e-5, 1e-4, 5e-4)))
            thread.join()

            assert waited is results[0], (waited, results)
            assert ev.is_set() is waited
            assert ev.cancelled() is not waited
            outcomes.add(waited)

        return outcomes

    assert run_async(lib, scenario)


@pytest.mark.parametrize("seed", range(2))
def test_set_racing_cancellation_never_loses(lib, seed):
    # whatever the interleaving, set() returned True iff the event is set,
    # and a waiter that raised on a set event knows it
    async def scenario():
        rng = random.Random(seed)
        seen = set()

        for _ in range(100):
            ev = create_async_event()
            results = []
            outcome = []

            async def waiter(ev=ev, outcome=outcome):
                try:
                    outcome.append(await ev)
                except BaseException:
                    outcome.append("cancelled")
                    raise

            async with TaskGroup(lib) as tg:
                handle = tg.start_soon(waiter)
                await until_waiting(lib, ev)
                delay = rng.randrange(2000)
                thread = call_in_thread(
                    lambda ev=ev, results=results, delay=delay: (
                        spin(delay),
                        results.append(ev.set()),
                    )
                )
                spin(rng.randrange(2000))
                handle.cancel()

            thread.join()
            assert results[0] is ev.is_set()
            assert ev.cancelled() is not ev.is_set()
            if outcome[0] is True:
                assert ev.is_set()
            seen.add((outcome[0], ev.is_set()))

        return seen

    assert run_async(lib, scenario)


def test_cancellation_cancels_event(lib):
    async def scenario():
        ev = create_async_event()
        log = []

        async def waiter():
            try:
                await ev
            except cancelled_exc(lib):
                log.append("cancelled")
                raise

        async with TaskGroup(lib) as tg:
            handle = tg.start_soon(waiter)
            await until_waiting(lib, ev)
            handle.cancel()

        return log, ev.cancelled(), ev.is_set(), ev.set()

    assert run_async(lib, scenario) == (["cancelled"], True, False, False)


def test_already_cancelled_scope_trio():
    trio = pytest.importorskip("trio")

    async def scenario():
        ev = create_async_event()
        with trio.CancelScope() as scope:
            scope.cancel()
            await ev
        return ev.cancelled(), scope.cancelled_caught

    assert run_async("trio", scenario) == (True, True)


def test_asyncio_wait_for_cleans_up():
    async def scenario():
        ev = create_async_event()
        try:
            await asyncio.wait_for(ev.with_(), 0.01)
        except asyncio.TimeoutError:
            pass
        return ev.cancelled(), ev.set()

    assert run_async("asyncio", scenario) == (True, False)


def test_shield_defers_cancellation(lib):
    async def scenario():
        ev = create_async_event(shield=True)
        log = []

        async def waiter():
            try:
                log.append(await ev)
            except cancelled_exc(lib):
                log.append(("cancelled", ev.is_set()))
                raise
            if lib == "trio":
                import trio

                # trio delivers the cancellation at the next checkpoint
                try:
                    await trio.lowlevel.checkpoint()
                except trio.Cancelled:
                    log.append("cancelled at checkpoint")
                    raise

        async with TaskGroup(lib) as tg:
            handle = tg.start_soon(waiter)
            await until_waiting(lib, ev)
            handle.cancel()
            for _ in range(3):
                await sleep(lib, 0)
            assert log == []
            assert not ev.cancelled()
            assert ev.set() is True

        return log

    result = run_async(lib, scenario)
    if lib == "trio":
        assert result == [True, "cancelled at checkpoint"]
    else:
        assert result == [("cancelled", True)]


def test_shield_with_timeout_still_times_out(lib):
    async def scenario():
        ev = create_async_event(shield=True)
        return await ev.with_(0.01), ev.cancelled()

    assert run_async(lib, scenario) == (False, True)


def test_shield_trio_with_timeout_ignores_outer_cancel():
    trio = pytest.importorskip("trio")

    async def scenario():
        ev = create_async_event(shield=True)
        with trio.CancelScope() as scope:
            scope.cancel()
            result = await ev.with_(0.02)
        return result, ev.cancelled(), scope.cancelled_caught

    assert run_async("trio", scenario) == (False, True, False)


def test_double_wait_raises(lib):
    async def scenario():
        ev = create_async_event()
        errors = []

        async def second():
            try:
                await ev
            except RuntimeError as exc:
                errors.append(str(exc))
            ev.set()

        async with TaskGroup(lib) as tg:
            tg.start_soon(second)
            assert await ev is True

        return errors

    assert run_async(lib, scenario) == ["this event is already in use"]


def test_public_cancel_wakes_the_waiter(lib):
    async def scenario():
        ev = create_async_event()
        thread = call_in_thread(
            lambda: (wait_until(lambda: ev._used), ev.cancel())
        )
        result = await ev
        thread.join()
        return result, ev.cancelled()

    assert run_async(lib, scenario) == (False, True)


def test_set_after_loop_closed_is_ignored(lib):
    box = []

    async def scenario():
        ev = create_async_event()
        box.append(ev)
        return await ev.with_(0)

    assert run_async(lib, scenario) is False

    async def scenario2():
        ev = create_async_event()
        box.append(ev)

    run_async(lib, scenario2)
    # the loop/run of the event is gone: nothing raises, and set() says
    # that nobody was woken (the event is cancelled)
    assert run_in_thread(box[1].set) is False
    assert box[1].cancelled()
    assert box[1].set() is False


def test_created_outside_loop_binds_at_wait(lib):
    ev = create_async_event()
    assert re.fullmatch(
        r"<aiologic\.lowlevel\.AsyncEvent object at 0x[0-9a-f]+: unset>",
        repr(ev),
    )

    async def scenario():
        thread = call_in_thread(
            lambda: (wait_until(lambda: ev._used), ev.set())
        )
        result = await ev
        thread.join()
        return result

    assert run_async(lib, scenario) is True
    assert ev.is_set()
    assert ev.set() is False
    assert repr(ev).endswith(": set>")

    ev2 = create_async_event()
    ev2.set()

    async def poll():
        return await ev2.with_(0)

    assert run_async(lib, poll) is True

    ev3 = create_async_event()

    async def timeout():
        return await ev3.with_(0.001)

    assert run_async(lib, timeout) is False
    assert ev3.cancelled()
    assert ev3.set() is False


def test_repr_and_reduce():
    async def scenario():
        ev = create_async_event()
        pattern = r"<aiologic\.lowlevel\.AsyncEvent object at 0x[0-9a-f]+: {}>"
        assert re.fullmatch(pattern.format("unset"), repr(ev))
        ev.set()
        assert re.fullmatch(pattern.format("set"), repr(ev))
        ev2 = create_async_event()
        await ev2.with_(0)
        assert re.fullmatch(pattern.format("cancelled"), repr(ev2))
        with pytest.raises(TypeError, match="cannot reduce"):
            pickle.dumps(ev)
        return True

    assert run_async("asyncio", scenario)


def test_static_events_awaitable(lib):
    async def scenario():
        return (
            await SET_EVENT,
            await SET_EVENT.with_(0),
            await CANCELLED_EVENT,
            await CANCELLED_EVENT.with_(1),
        )

    assert run_async(lib, scenario) == (True, True, False, False)


def test_async_waiter(lib):
    async def scenario():
        waiter = create_async_waiter()
        assert repr(waiter).startswith("<aiologic.lowlevel.AsyncWaiter object")
        thread = call_in_thread(lambda: (waiter.wake(), waiter.wake()))
        result = await waiter
        thread.join()
        waiter2 = create_async_waiter(shield=True)
        assert waiter2.shield is True
        return result, await waiter2.with_(0.001)

    assert run_async(lib, scenario) == (True, False)


def test_async_waiter_outside_loop():
    with pytest.raises(AsyncLibraryNotFoundError):
        create_async_waiter()


def test_no_threads_leaked_by_timed_waits(lib):
    async def scenario():
        before = threading.active_count()
        for _ in range(200):
            await create_async_event().with_(0.0001)
        return before, threading.active_count()

    before, after = run_async(lib, scenario)
    assert after == before


def test_asyncio_no_handles_left_after_timed_waits():
    async def scenario():
        loop = asyncio.get_running_loop()
        for _ in range(100):
            ev = create_async_event()
            thread = call_in_thread(ev.set)
            await ev.with_(100)
            thread.join()
        await asyncio.sleep(0)
        return [h for h in loop._scheduled if not h.cancelled()]

    assert run_async("asyncio", scenario) == []
