# SPDX-License-Identifier: MIT

"""A real workload: an asyncio server whose work runs in worker threads.

An asyncio TCP server on loopback reads one request per line, hands it to
a pool of worker threads, awaits the worker's answer and writes it back.
The hand-off is what is compared:

- ``aiologic``: a ``SimpleQueue`` of requests that the workers take with
  ``green_get()``, and per connection a ``SimpleQueue`` for the answers
  that the handler awaits with ``async_get()``;
- ``janus`` and ``culsans``: the same with their queues (sync side in the
  workers, async side in the handler);
- ``executor``: ``loop.run_in_executor()`` on a thread pool of the same
  size, which is what asyncio offers.

A load generator runs in a second process: a fixed number of connections
send a bounded number of requests in all, one at a time per connection,
and it reports requests per second and the p50/p99 latency. Run alone:

    python benchmarks/server.py [--handoff NAME ...] [--requests N]

(aiologic here is whichever aiologic the interpreter imports.)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

HANDOFFS = ("aiologic", "janus", "culsans", "executor")
WORKERS = 4
CONCURRENCY = 32


def work(request: bytes) -> bytes:
    """The worker's job: a little CPU work on the request."""
    digest = request
    for _ in range(20):
        digest = hashlib.sha256(digest).digest()
    return digest.hex().encode()


class Executor:
    """``run_in_executor`` on a pool of worker threads."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(WORKERS)

    def connection(self) -> Any:
        return None

    async def call(self, conn: Any, request: bytes) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, work, request)

    def close(self) -> None:
        self.pool.shutdown()


class QueueHandoff:
    """A queue of requests to worker threads; a reply queue per connection.

    *kind* names the queue library: ``aiologic``, ``janus`` or
    ``culsans``. Made in the running loop (janus wants one).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.requests = self._queue()
        if kind == "aiologic":
            self._put_request = self.requests.put
            self._get_request = self.requests.green_get
        elif kind == "janus":
            self._put_request = self.requests.async_q.put_nowait
            self._get_request = self.requests.sync_q.get
        else:
            self._put_request = self.requests.put_nowait
            self._get_request = self.requests.green_get
        self.threads = [
            threading.Thread(target=self._work, daemon=True)
            for _ in range(WORKERS)
        ]
        for thread in self.threads:
            thread.start()

    def _queue(self) -> Any:
        if self.kind == "aiologic":
            import aiologic

            return aiologic.SimpleQueue()
        if self.kind == "janus":
            import janus

            return janus.Queue()
        import culsans

        return culsans.Queue()

    def _work(self) -> None:
        get = self._get_request
        while True:
            item = get()
            if item is None:
                return
            put_answer, request = item
            put_answer(work(request))

    def connection(self) -> Any:
        """(put for the worker, get for the handler) of a reply queue."""
        replies = self._queue()
        if self.kind == "aiologic":
            return replies.put, replies.async_get
        if self.kind == "janus":
            return replies.sync_q.put, replies.async_q.get
        return replies.green_put, replies.async_get

    async def call(self, conn: Any, request: bytes) -> bytes:
        put_answer, get_answer = conn
        self._put_request((put_answer, request))
        return await get_answer()  # type: ignore[no-any-return]

    def close(self) -> None:
        for _ in self.threads:
            self._put_request(None)
        for thread in self.threads:
            thread.join()


async def _serve(handoff_name: str, requests: int, concurrency: int) -> dict:
    handoff: Any = (
        Executor()
        if handoff_name == "executor"
        else QueueHandoff(handoff_name)
    )

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        conn = handoff.connection()
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(await handoff.call(conn, line) + b"\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        str(port),
        "--requests",
        str(requests),
        "--concurrency",
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await client.communicate()
    server.close()
    await server.wait_closed()
    handoff.close()
    if client.returncode:
        raise RuntimeError(f"the load generator failed ({client.returncode})")
    return json.loads(output)  # type: ignore[no-any-return]


def serve(
    handoff: str, requests: int, concurrency: int = CONCURRENCY
) -> dict[str, float]:
    """Serve one load run with *handoff*; requests/s, p50 and p99 (s)."""
    return asyncio.run(_serve(handoff, requests, concurrency))


# -- the load generator, in its own process -----------------------------


async def _load(port: int, requests: int, concurrency: int) -> dict:
    latencies: list[float] = []
    left = [requests]

    async def connection(number: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await ready.wait()
        request = b"request %d\n" % number
        while left[0] > 0:
            left[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            if not await reader.readline():
                raise ConnectionError("the server closed the connection")
            latencies.append(time.perf_counter() - start)
        writer.close()

    ready = asyncio.Event()
    tasks = [asyncio.ensure_future(connection(i)) for i in range(concurrency)]
    await asyncio.sleep(0.05)  # let the connections open before the clock
    start = time.perf_counter()
    ready.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument(
        "--handoff", action="append", choices=HANDOFFS, default=[]
    )
    args = parser.parse_args(argv)
    if args.client:
        result = asyncio.run(
            _load(args.client, args.requests, args.concurrency)
        )
        print(json.dumps(result))
        return
    for name in args.handoff or HANDOFFS:
        try:
            result = serve(name, args.requests, args.concurrency)
        except ImportError as exc:
            print(f"{name:10s} -  ({exc})")
            continue
        print(
            f"{name:10s} {result['rps']:9.0f} requests/s"
            f"  p50 {result['p50'] * 1e3:7.3f} ms"
            f"  p99 {result['p99'] * 1e3:7.3f} ms"
        )


if __name__ == "__main__":
    main()
