# SPDX-License-Identifier: MIT

"""The benchmark suite runs and reports, at the smallest sizes.

``benchmarks/bench.py`` runs the stdlib candidate and one core of this
project (the ``impl`` param) on a few scenarios, one round, in worker
processes of this interpreter; the peers (janus, culsans, 0.17.1) are not
given, so they must show as not run. Nothing here is timed.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import support

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
SCENARIOS = [
    "sync_lock",
    "asyncio_rlock",
    "queue_sync_async_unbounded",
    "pingpong_thread_asyncio",
    "memory_queue",
    "server",
]


def test_bench_runs_and_reports(impl, tmp_path):
    core = impl.lowlevel.IMPLEMENTATION
    args = [sys.executable, str(BENCH), "--candidates", f"stdlib,{core}"]
    args += ["--rounds", "1", "--scale", "0.0001", "--out", str(tmp_path)]
    for name in SCENARIOS:
        args += ["--only", name]
    done = subprocess.run(
        args,
        env=support.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Targets (compiled core):" in done.stdout

    (path,) = tmp_path.glob("*.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["cores"] == {"stdlib": "stdlib", core: core}
    assert set(data["skipped"]) >= {"janus", "culsans", "0.17.1"}
    results = data["results"]
    assert set(results) == {
        *SCENARIOS[:-1],
        "server.rps",
        "server.p50",
        "server.p99",
    }
    for key in ("sync_lock", "queue_sync_async_unbounded", "server.rps"):
        for candidate in ("stdlib", core):
            assert results[key][candidate]["median"] > 0, (key, candidate)
    # nothing to compare with: shown as "-", not dropped
    assert results["asyncio_rlock"]["stdlib"] is None
    assert results["asyncio_rlock"][core]["median"] > 0
    assert results["queue_sync_async_unbounded"]["janus"] is None
    if sys.implementation.name == "cpython":
        assert results["memory_queue"][core]["median"] > 0

    markdown = path.with_suffix(".md").read_text(encoding="utf-8")
    assert "| scenario | candidate | median |" in markdown
    assert path.with_suffix(".rst").exists()
