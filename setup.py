# SPDX-License-Identifier: MIT

"""Build logic; all metadata lives in pyproject.toml.

The compiled core (Cython, in ``_aiologic_core/``) becomes the extension
module ``aiologic._aiologic_core``. It is chosen by environment variables
(a non-empty value means "set"):

- ``AIOLOGIC_NO_EXTENSIONS``, or an interpreter other than CPython:
  pure-Python install;
- ``AIOLOGIC_REQUIRE_EXTENSIONS`` or ``CIBUILDWHEEL=1``: the compiled core
  must be built, or the build fails;
- otherwise the compiled core is built when Cython and a C compiler are
  there, and the install falls back to pure Python, saying so.

``AIOLOGIC_SANITIZE=address`` (or ``thread``, or both comma-separated)
builds the compiled core instrumented for that sanitizer, with debug info
and light optimisation; for ``.ci/sanitizers`` only, never for a release.
"""

from __future__ import annotations

import os
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NO_EXTENSIONS = (
    bool(os.environ.get("AIOLOGIC_NO_EXTENSIONS"))
    or sys.implementation.name != "cpython"
)
REQUIRE_EXTENSIONS = (
    bool(os.environ.get("AIOLOGIC_REQUIRE_EXTENSIONS"))
    or os.environ.get("CIBUILDWHEEL") == "1"
)
CORE_DIR = "_aiologic_core"
SANITIZE = os.environ.get("AIOLOGIC_SANITIZE", "")


def banner(reason: str) -> None:
    """Say loudly that this install is pure Python, and why."""
    line = "*" * 72
    print(
        f"{line}\naiologic: pure-Python install ({reason}).\n"
        "Everything works; the compiled core is several times faster.\n"
        f"{line}",
        file=sys.stderr,
    )


class OptionalBuildExt(build_ext):
    """Build the core; if that fails and it is optional, go pure."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            if REQUIRE_EXTENSIONS:
                raise
            banner(f"building the compiled core failed: {exc}")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            if REQUIRE_EXTENSIONS:
                raise
            banner(f"building {ext.name} failed: {exc}")


def sanitizer_flags() -> list:
    """Return the compiler flags that AIOLOGIC_SANITIZE asks for."""
    if not SANITIZE:
        return []
    kinds = [kind.strip() for kind in SANITIZE.split(",") if kind.strip()]
    unknown = set(kinds) - {"address", "thread", "undefined"}
    if unknown:
        sys.exit(f"aiologic: unknown AIOLOGIC_SANITIZE value(s): {unknown}")
    # -O1 and frame pointers: readable stacks at a bearable slowdown; the
    # later -O1 wins over the interpreter's own -O3
    return [
        f"-fsanitize={','.join(kinds)}",
        "-g",
        "-O1",
        "-fno-omit-frame-pointer",
    ]


def ext_modules() -> list:
    """Return the extension modules to build (none, in a pure install)."""
    if NO_EXTENSIONS:
        banner(
            "AIOLOGIC_NO_EXTENSIONS is set or the interpreter is not CPython"
        )
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE_EXTENSIONS:
            sys.exit(
                "aiologic: AIOLOGIC_REQUIRE_EXTENSIONS is set, but Cython is"
                " not installed"
            )
        banner("Cython is not installed")
        return []

    macros = []
    if sysconfig.get_config_var("Py_GIL_DISABLED") and os.name == "nt":
        # free-threaded Windows builds do not define it in pyconfig.h
        macros.append(("Py_GIL_DISABLED", "1"))
    core = Extension(
        "aiologic._aiologic_core",
        [os.path.join(CORE_DIR, "_aiologic_core.pyx")],
        include_dirs=[CORE_DIR],
        define_macros=macros,
        extra_compile_args=sanitizer_flags(),
        extra_link_args=sanitizer_flags(),
    )
    return cythonize(
        [core],
        include_path=[CORE_DIR],
        compiler_directives={"language_level": 3},
    )


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
