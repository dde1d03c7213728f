# SPDX-License-Identifier: MIT

"""Checkpoints: defaults, counts per library, runtime and env controls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import types

import pytest
import support
from _lowlevel_harness import call_in_thread, run_async, run_green, wait_until

from aiologic.lowlevel import (
    async_checkpoint,
    async_checkpoint_enabled,
    async_checkpoint_if_cancelled,
    create_async_event,
    create_green_event,
    disable_checkpoints,
    enable_checkpoints,
    green_checkpoint,
    green_checkpoint_enabled,
    green_checkpoint_if_cancelled,
)

pytestmark = pytest.mark.timeout(30)

CHECKPOINT_VARS = (
    "AIOLOGIC_ASYNC_CHECKPOINTS",
    "AIOLOGIC_GREEN_CHECKPOINTS",
    "AIOLOGIC_ASYNCIO_CHECKPOINTS",
    "AIOLOGIC_CURIO_CHECKPOINTS",
    "AIOLOGIC_TRIO_CHECKPOINTS",
    "AIOLOGIC_THREADING_CHECKPOINTS",
    "AIOLOGIC_EVENTLET_CHECKPOINTS",
    "AIOLOGIC_GEVENT_CHECKPOINTS",
)

# the tests below expect the defaults
if any(name in os.environ for name in CHECKPOINT_VARS):  # pragma: no cover
    pytestmark = [
        pytestmark,
        pytest.mark.skip(reason="AIOLOGIC_*_CHECKPOINTS set in environment"),
    ]


# --- counting ------------------------------------------------------------


@types.coroutine
def count_yields(awaitable, box):
    """Await *awaitable*, counting how often it yields to the loop."""
    iterator = awaitable.__await__()
    value = None

    while True:
        try:
            if value is None:
                request = next(iterator)
            else:
                request = iterator.send(value)
        except StopIteration as exc:
            return exc.value

        box[0] += 1
        value = yield request


async def asyncio_steps(awaitable):
    """Return (result, loop iterations the current task took)."""
    box = [0]
    result = await count_yields(awaitable, box)
    return result, box[0]


class StepCounter:
    """A trio instrument counting the steps of one task."""

    def __init__(self):
        self.task = None
        self.steps = 0

    def before_task_step(self, task):
        if task is self.task:
            self.steps += 1


async def trio_steps(awaitable):
    """Return (result, scheduler steps the current task took)."""
    import trio

    counter = StepCounter()
    counter.task = trio.lowlevel.current_task()
    trio.lowlevel.add_instrument(counter)
    try:
        result = await awaitable
    finally:
        trio.lowlevel.remove_instrument(counter)
    return result, counter.steps


def set_event(factory=create_async_event, **kwargs):
    ev = factory(**kwargs)
    ev.set()
    return ev


def test_defaults_outside_libraries():
    assert green_checkpoint_enabled() is False
    assert green_checkpoint() is None
    assert green_checkpoint_if_cancelled() is None


def test_asyncio_counts():
    async def scenario():
        counts = {}
        _, counts["checkpoint"] = await asyncio_steps(async_checkpoint())
        _, counts["forced"] = await asyncio_steps(async_checkpoint(force=True))
        _, counts["if_cancelled"] = await asyncio_steps(
            async_checkpoint_if_cancelled()
        )
        _, counts["set_event"] = await asyncio_steps(set_event())
        _, counts["forced_set_event"] = await asyncio_steps(
            set_event(force=True)
        )
        with enable_checkpoints():
            _, counts["enabled"] = await asyncio_steps(async_checkpoint())
            _, counts["enabled_set_event"] = await asyncio_steps(set_event())

        ev = create_async_event()
        asyncio.get_running_loop().call_soon(ev.set)
        result, counts["pending_event"] = await asyncio_steps(ev)
        assert result is True
        counts["enabled_flag"] = async_checkpoint_enabled()
        return counts

    assert run_async("asyncio", scenario) == {
        "checkpoint": 0,
        "forced": 1,
        "if_cancelled": 0,
        "set_event": 0,
        "forced_set_event": 1,
        "enabled": 1,
        "enabled_set_event": 1,
        "pending_event": 1,
        "enabled_flag": False,
    }


def test_asyncio_checkpoint_delivers_cancellation():
    async def scenario():
        task = asyncio.current_task()
        task.cancel()
        try:
            await async_checkpoint(force=True)
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"

    assert run_async("asyncio", scenario) == "cancelled"


def test_trio_counts():
    trio = pytest.importorskip("trio")

    async def scenario():
        counts = {}
        _, counts["checkpoint"] = await trio_steps(async_checkpoint())
        _, counts["if_cancelled"] = await trio_steps(
            async_checkpoint_if_cancelled()
        )
        _, counts["set_event"] = await trio_steps(set_event())
        with disable_checkpoints():
            _, counts["disabled"] = await trio_steps(async_checkpoint())
            _, counts["disabled_set_event"] = await trio_steps(set_event())
            _, counts["disabled_forced"] = await trio_steps(
                async_checkpoint(force=True)
            )

        async with trio.open_nursery() as nursery:
            ev = create_async_event()

            async def setter():
                ev.set()

            nursery.start_soon(setter)
            result, counts["pending_event"] = await trio_steps(ev)
            assert result is True

        ev = create_async_event()
        thread = call_in_thread(
            lambda: (wait_until(lambda: ev._used), ev.set())
        )
        result, counts["pending_event_thread"] = await trio_steps(ev)
        thread.join()
        assert result is True

        result, counts["timed_out"] = await trio_steps(
            create_async_event().with_(0)
        )
        assert result is False
        counts["enabled_flag"] = async_checkpoint_enabled()
        return counts

    assert run_async("trio", scenario) == {
        "checkpoint": 1,
        "if_cancelled": 0,
        "set_event": 1,
        "disabled": 0,
        "disabled_set_event": 0,
        "disabled_forced": 1,
        "pending_event": 1,
        "pending_event_thread": 1,
        "timed_out": 1,
        "enabled_flag": True,
    }


def test_trio_checkpoint_delivers_cancellation():
    trio = pytest.importorskip("trio")

    async def scenario():
        log = []
        with trio.CancelScope() as scope:
            scope.cancel()
            ev = set_event()
            try:
                await ev
            except trio.Cancelled:
                log.append(("event", ev.is_set()))
                raise
        with trio.CancelScope() as scope:
            scope.cancel()
            try:
                await async_checkpoint_if_cancelled()
            except trio.Cancelled:
                log.append("if_cancelled")
                raise
        return log

    assert run_async("trio", scenario) == [("event", True), "if_cancelled"]


def test_green_threading_counts(monkeypatch):
    from aiologic.lowlevel import _checkpoints

    calls = []
    monkeypatch.setattr(_checkpoints, "_sched_yield", lambda: calls.append(1))

    green_checkpoint()
    assert calls == []
    green_checkpoint(force=True)
    assert calls == [1]

    with enable_checkpoints() as value:
        assert value is True
        assert green_checkpoint_enabled() is True
        green_checkpoint()
        ev = set_event(create_green_event)
        assert ev.wait() is True
    assert calls == [1, 1, 1]

    assert set_event(create_green_event, force=True).wait() is True
    assert calls == [1, 1, 1, 1]


@pytest.mark.parametrize("lib", ["gevent", "eventlet"])
def test_green_hub_checkpoint_yields(lib):
    if lib == "gevent":
        pytest.importorskip("gevent")
    else:
        from _lowlevel_harness import import_eventlet

        import_eventlet()

    from _lowlevel_harness import GreenOps

    ops = GreenOps(lib)

    def scenario():
        log = []
        ops.spawn(log.append, "other")
        green_checkpoint()  # disabled: does not yield
        log.append("after disabled")
        green_checkpoint(force=True)
        log.append("after forced")
        return log, green_checkpoint_enabled()

    log, enabled = run_green(lib, scenario)
    assert log == ["after disabled", "other", "after forced"]
    assert enabled is False


# --- runtime control ------------------------------------------------------


def test_context_manager_values_and_nesting():
    assert green_checkpoint_enabled() is False
    with enable_checkpoints() as outer:
        assert outer is True
        assert green_checkpoint_enabled() is True
        with disable_checkpoints() as inner:
            assert inner is False
            assert green_checkpoint_enabled() is False
        assert green_checkpoint_enabled() is True
    assert green_checkpoint_enabled() is False


def test_setting_is_thread_scoped():
    seen = []
    with enable_checkpoints():
        thread = threading.Thread(
            target=lambda: seen.append(green_checkpoint_enabled())
        )
        thread.start()
        thread.join()
        assert green_checkpoint_enabled() is True
    assert seen == [False]


def test_value_from_another_thread_is_ignored():
    import contextvars

    with enable_checkpoints():
        ctx = contextvars.copy_context()

    with enable_checkpoints():
        ctx_enabled = contextvars.copy_context()
    assert ctx_enabled.run(green_checkpoint_enabled) is True

    with disable_checkpoints():
        ctx = contextvars.copy_context()

    # the copied context carries this thread's ident: elsewhere it is void
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(ctx_enabled.run(green_checkpoint_enabled))
    )
    thread.start()
    thread.join()
    assert seen == [False]
    assert ctx.run(green_checkpoint_enabled) is False


def test_green_decorator():
    @enable_checkpoints
    def enabled():
        return green_checkpoint_enabled()

    @disable_checkpoints
    def disabled():
        return green_checkpoint_enabled()

    assert enabled.__name__ == "enabled"
    assert enabled() is True
    with enable_checkpoints():
        assert disabled() is False
    assert green_checkpoint_enabled() is False


def test_async_decorator_and_proxy():
    async def probe():
        return async_checkpoint_enabled()

    async def scenario():
        results = {}
        results["default"] = await probe()
        results["decorated"] = await enable_checkpoints(probe)()
        results["proxy"] = await enable_checkpoints(probe())
        async with enable_checkpoints() as value:
            results["async_with"] = (value, await probe())
        results["after"] = await probe()
        return results

    assert asyncio.iscoroutinefunction(enable_checkpoints(probe))
    assert run_async("asyncio", scenario) == {
        "default": False,
        "decorated": True,
        "proxy": True,
        "async_with": (True, True),
        "after": False,
    }


def test_bad_argument():
    with pytest.raises(TypeError):
        enable_checkpoints(42)


# --- environment variables -------------------------------------------------

_PROBE = """
import json
from aiologic.lowlevel import _checkpoints as c
print(json.dumps({
    "asyncio": c._ASYNCIO_CHECKPOINTS_ENABLED,
    "trio": c._TRIO_CHECKPOINTS_ENABLED,
    "threading": c._THREADING_CHECKPOINTS_ENABLED,
    "gevent": c._GEVENT_CHECKPOINTS_ENABLED,
    "eventlet": c._EVENTLET_CHECKPOINTS_ENABLED,
}))
"""


def probe_env(env):
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in CHECKPOINT_VARS
    }
    environ.update(env)
    environ = support.subprocess_env(environ)
    output = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=environ,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(output)


DEFAULTS = {
    "asyncio": False,
    "trio": True,
    "threading": False,
    "gevent": False,
    "eventlet": False,
}


@pytest.mark.parametrize(
    ("env", "changes"),
    [
        ({}, {}),
        ({"AIOLOGIC_ASYNCIO_CHECKPOINTS": "1"}, {"asyncio": True}),
        ({"AIOLOGIC_ASYNCIO_CHECKPOINTS": "yes"}, {"asyncio": True}),
        ({"AIOLOGIC_ASYNCIO_CHECKPOINTS": "0"}, {}),
        ({"AIOLOGIC_TRIO_CHECKPOINTS": "0"}, {"trio": False}),
        ({"AIOLOGIC_TRIO_CHECKPOINTS": "False"}, {"trio": False}),
        ({"AIOLOGIC_TRIO_CHECKPOINTS": "NO"}, {"trio": False}),
        ({"AIOLOGIC_TRIO_CHECKPOINTS": "Off"}, {"trio": False}),
        ({"AIOLOGIC_TRIO_CHECKPOINTS": ""}, {"trio": False}),
        ({"AIOLOGIC_TRIO_CHECKPOINTS": "true"}, {}),
        (
            {"AIOLOGIC_ASYNC_CHECKPOINTS": "1"},
            {"asyncio": True, "trio": True},
        ),
        ({"AIOLOGIC_ASYNC_CHECKPOINTS": "0"}, {"trio": False}),
        (
            {
                "AIOLOGIC_ASYNC_CHECKPOINTS": "1",
                "AIOLOGIC_ASYNCIO_CHECKPOINTS": "0",
            },
            {"trio": True},
        ),
        (
            {
                "AIOLOGIC_ASYNC_CHECKPOINTS": "0",
                "AIOLOGIC_TRIO_CHECKPOINTS": "1",
            },
            {},
        ),
        (
            {"AIOLOGIC_GREEN_CHECKPOINTS": "on"},
            {"threading": True, "gevent": True, "eventlet": True},
        ),
        (
            {
                "AIOLOGIC_GREEN_CHECKPOINTS": "1",
                "AIOLOGIC_GEVENT_CHECKPOINTS": "off",
            },
            {"threading": True, "eventlet": True},
        ),
        ({"AIOLOGIC_THREADING_CHECKPOINTS": "2"}, {"threading": True}),
    ],
)
def test_env_vars(env, changes):
    assert probe_env(env) == {**DEFAULTS, **changes}


def test_env_var_read_at_import_is_used():
    code = """
import asyncio
from aiologic.lowlevel import async_checkpoint_enabled, async_checkpoint

async def main():
    loop = asyncio.get_running_loop()
    ticks = []
    def tick():
        ticks.append(1)
    loop.call_soon(tick)
    await async_checkpoint()
    return async_checkpoint_enabled(), len(ticks)

print(asyncio.run(main()))
"""
    environ = support.subprocess_env(
        dict(os.environ, AIOLOGIC_ASYNCIO_CHECKPOINTS="1")
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert output.strip() == "(True, 1)"
