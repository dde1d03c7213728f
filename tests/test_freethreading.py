# SPDX-License-Identifier: MIT

"""On a free-threaded build, importing aiologic leaves the GIL disabled.

CPython re-enables the GIL, with a RuntimeWarning, when it loads an
extension module that has not declared that it runs safely without it.
The check runs in a fresh interpreter with that warning turned into an
error and without ``PYTHON_GIL``/``-X gil`` forcing the GIL off, for each
core.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig

import pytest
import support

pytestmark = pytest.mark.skipif(
    not sysconfig.get_config_var("Py_GIL_DISABLED"),
    reason="not a free-threaded build: the GIL is always enabled",
)

_PROBE = """
import json, sys
import aiologic
import aiologic.lowlevel

# the waiter backends that need no third-party library load lazily
event = aiologic.lowlevel.create_green_event()
event.set()
assert event.wait(0)
lock = aiologic.Lock()
with lock:
    pass
print(json.dumps({
    "implementation": aiologic.lowlevel.IMPLEMENTATION,
    "gil_enabled": sys._is_gil_enabled(),
}))
"""


@pytest.mark.parametrize(
    "core",
    [
        pytest.param("cython", marks=pytest.mark.cython),
        pytest.param("python", marks=pytest.mark.python),
    ],
)
def test_import_keeps_gil_disabled(core):
    env = support.subprocess_env()
    env.pop("PYTHON_GIL", None)
    env.pop("AIOLOGIC_NO_EXTENSIONS", None)
    env.pop("AIOLOGIC_REQUIRE_EXTENSIONS", None)
    if core == "cython":
        env["AIOLOGIC_REQUIRE_EXTENSIONS"] = "1"
    else:
        env["AIOLOGIC_NO_EXTENSIONS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", _PROBE],
        env=env,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"implementation": core, "gil_enabled": False}
