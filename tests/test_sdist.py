# SPDX-License-Identifier: MIT

"""The sdist holds what a build needs, and nothing generated or cached.

The sdist to check is named by ``AIOLOGIC_SDIST``; the release leg of
``.ci/run`` (``.ci/release``) sets it to the sdist it built and tests.
"""

from __future__ import annotations

import fnmatch
import os
import pathlib
import tarfile

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("AIOLOGIC_SDIST"),
    reason="no sdist to check: set AIOLOGIC_SDIST (.ci/release does)",
)

CHECKOUT = pathlib.Path(__file__).resolve().parent.parent

#: what a build from the sdist needs, as patterns in the checkout
NEEDED = (
    "setup.py",
    "pyproject.toml",
    "MANIFEST.in",
    "README.rst",
    "LICENSE",
    "aiologic/**/*.py",
    "aiologic/**/*.pyi",
    "aiologic/py.typed",
    "_aiologic_core/*.pyx",
    "_aiologic_core/*.pxd",
    "_aiologic_core/*.pxi",
    "_aiologic_core/*.h",
)

#: what must never be shipped: generated C, built objects, caches, builds
FORBIDDEN = (
    "*.c",
    "*.so",
    "*.pyd",
    "*.o",
    "*.py[cod]",
    "*/__pycache__/*",
    "*/.pytest_cache/*",
    "*/.hypothesis/*",
    "*/.mypy_cache/*",
    "*/.ruff_cache/*",
    "build/*",
    "dist/*",
    ".venv*",
    "*.html",
)


@pytest.fixture(scope="module")
def shipped():
    """The sdist's member files, relative to its top directory."""
    with tarfile.open(os.environ["AIOLOGIC_SDIST"]) as sdist:
        members = [m for m in sdist.getmembers() if m.isfile()]
    names = {m.name.split("/", 1)[1] for m in members if "/" in m.name}
    assert names, "the sdist is empty"
    return names


def needed_files():
    found = set()
    for pattern in NEEDED:
        for path in CHECKOUT.glob(pattern):
            if "__pycache__" not in path.parts:
                found.add(path.relative_to(CHECKOUT).as_posix())
    return found


def test_sdist_has_every_source(shipped):
    needed = needed_files()
    # the checkout must have them too, or this test checks nothing
    assert "_aiologic_core/_aiologic_core.pyx" in needed
    assert "aiologic/_pycore.py" in needed
    missing = sorted(needed - shipped)
    assert not missing, f"the sdist lacks {missing}"


def test_sdist_has_nothing_generated_or_cached(shipped):
    unwanted = sorted(
        name
        for name in shipped
        if any(fnmatch.fnmatch(name, pattern) for pattern in FORBIDDEN)
    )
    assert not unwanted, f"the sdist ships {unwanted}"


def test_sdist_metadata(shipped):
    assert "PKG-INFO" in shipped
    with tarfile.open(os.environ["AIOLOGIC_SDIST"]) as sdist:
        top = sdist.getnames()[0].split("/", 1)[0]
        info = sdist.extractfile(f"{top}/PKG-INFO")
        assert info is not None
        text = info.read().decode()
    assert "Name: aiologic" in text
    assert "Requires-Python: >=3.8" in text
