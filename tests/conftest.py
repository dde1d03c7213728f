# SPDX-License-Identifier: MIT

"""Fixtures shared by the whole suite.

- ``impl``: the aiologic implementation under test. Params are the entries of
  ``IMPLEMENTATIONS`` (today only ``python``, marker ``python``; the compiled
  core adds ``cython`` with marker ``cython``); ``--no-extensions``
  deselects ``cython``. The fixture yields the ``aiologic`` module.
- ``green_lib`` / ``async_lib`` / ``lib`` / ``cancellable_lib``: library
  names from ``support.GREEN_LIBS`` / ``ASYNC_LIBS`` / ``ALL_LIBS`` /
  ``CANCELLABLE_LIBS``; gevent and eventlet params skip, with the reason,
  only when the library cannot be imported.
- ``world``: a started ``support.World`` of ``lib`` (stopped afterwards).
- ``cancellable_world``: the same for ``cancellable_lib``.

Markers: ``differs_from_0171`` marks tests of behaviour that deliberately
differs from aiologic 0.17.1 (API.md section 3); run the suite against 0.17.1
with ``-m "not differs_from_0171"``. If ``AIOLOGIC_TEST_INSTALLED=1``, the
session checks that ``aiologic`` is imported from outside the source checkout.
"""

from __future__ import annotations

import os
import pathlib

import pytest
import support

# param id (also its marker) -> expected aiologic.lowlevel.IMPLEMENTATION
IMPLEMENTATIONS = {
    "python": "python",
}

_CHECKOUT = pathlib.Path(__file__).resolve().parent.parent

_MARKERS = (
    "python: runs against the pure-Python core",
    "cython: runs against the compiled core",
    (
        "differs_from_0171: behaviour that deliberately differs from"
        " aiologic 0.17.1 (API.md section 3)"
    ),
    "slow: takes more than a few seconds",
)


def pytest_addoption(parser):
    parser.addoption(
        "--no-extensions",
        action="store_true",
        default=False,
        help="do not run the tests against the compiled core",
    )


def pytest_configure(config):
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    if os.environ.get("AIOLOGIC_TEST_INSTALLED") == "1":
        import aiologic

        location = pathlib.Path(aiologic.__file__).resolve()
        # the venvs of `make test` may live inside the checkout: only the
        # checkout's own package directory is the source tree
        if location.parent == _CHECKOUT / "aiologic":
            raise pytest.UsageError(
                "AIOLOGIC_TEST_INSTALLED=1 but aiologic is imported from the"
                f" source checkout: {location}"
            )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--no-extensions"):
        return
    selected, deselected = [], []
    for item in items:
        if item.get_closest_marker("cython") is not None:
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(
    scope="session",
    params=[
        pytest.param(name, marks=getattr(pytest.mark, name))
        for name in IMPLEMENTATIONS
    ],
)
def impl(request):
    import aiologic

    expected = IMPLEMENTATIONS[request.param]
    lowlevel = getattr(aiologic, "lowlevel", None)
    actual = getattr(lowlevel, "IMPLEMENTATION", None)
    if actual is not None:
        assert actual == expected, (
            f"the {request.param} tests need the {expected} core,"
            f" but aiologic uses {actual!r}"
        )
    return aiologic


def _lib_param(request):
    support.require(request.param)
    return request.param


@pytest.fixture(params=support.GREEN_LIBS)
def green_lib(request):
    return _lib_param(request)


@pytest.fixture(params=support.ASYNC_LIBS)
def async_lib(request):
    return _lib_param(request)


@pytest.fixture(params=support.ALL_LIBS)
def lib(request):
    return _lib_param(request)


@pytest.fixture(params=support.CANCELLABLE_LIBS)
def cancellable_lib(request):
    return _lib_param(request)


@pytest.fixture
def world(lib):
    w = support.World(lib)
    w.start()
    yield w
    w.stop()


@pytest.fixture
def cancellable_world(cancellable_lib):
    w = support.World(cancellable_lib)
    w.start()
    yield w
    w.stop()
