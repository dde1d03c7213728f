# SPDX-License-Identifier: MIT

"""The report: medians, ranges and ratios; text, markdown, RST, targets.

A ratio here is always "times better than the baseline": for a time or a
size it is baseline / candidate, for a rate candidate / baseline; so 2.0
means twice as fast (or half the bytes), 0.5 half as fast.
"""

from __future__ import annotations

import statistics
from typing import Any, Dict, Optional

Cell = Optional[Dict[str, Any]]  # None: the candidate has nothing here

#: (what, row, candidate, baseline, the ratio it must reach)
TARGETS: tuple[tuple[str, str, str, str, float], ...] = (
    (
        "Queue thread -> asyncio: >= 2x janus's throughput",
        "queue_sync_async_unbounded",
        "cython",
        "janus",
        2.0,
    ),
    (
        "Queue thread -> asyncio, bounded: >= 2x janus's throughput",
        "queue_sync_async_bounded",
        "cython",
        "janus",
        2.0,
    ),
    (
        "Queue thread -> asyncio: >= 10x aiologic 0.17.1's throughput",
        "queue_sync_async_unbounded",
        "cython",
        "0.17.1",
        10.0,
    ),
    (
        "Queue thread -> asyncio, bounded: >= 10x aiologic 0.17.1's",
        "queue_sync_async_bounded",
        "cython",
        "0.17.1",
        10.0,
    ),
    (
        "SimpleQueue thread -> asyncio: no slower than aiologic 0.17.1",
        "simplequeue_sync_async",
        "cython",
        "0.17.1",
        1.0,
    ),
    (
        "SimpleQueue asyncio -> thread: no slower than aiologic 0.17.1",
        "simplequeue_async_sync",
        "cython",
        "0.17.1",
        1.0,
    ),
    (
        "SimpleQueue thread -> thread: no slower than aiologic 0.17.1",
        "simplequeue_sync_sync",
        "cython",
        "0.17.1",
        1.0,
    ),
    (
        "server: more requests/s than run_in_executor",
        "server.rps",
        "cython",
        "stdlib",
        1.0,
    ),
    (
        "server: more requests/s than janus",
        "server.rps",
        "cython",
        "janus",
        1.0,
    ),
    (
        "sync `with Lock`: at most 1.3x threading.Lock's time",
        "sync_lock",
        "cython",
        "stdlib",
        1 / 1.3,
    ),
    (
        "asyncio `async with Lock`: faster than asyncio.Lock",
        "asyncio_lock",
        "cython",
        "stdlib",
        1.0,
    ),
)


def aggregate(
    rounds: dict[str, list[dict[str, Any]]], keys: list[str]
) -> dict[str, dict[str, Cell]]:
    """row -> candidate -> median/min/max/values (or error, or None)."""
    table: dict[str, dict[str, Cell]] = {}
    for key in keys:
        row: dict[str, Cell] = {}
        for candidate, results in rounds.items():
            values = [r["results"].get(key) for r in results]
            errors = [v for v in values if isinstance(v, str)]
            numbers = [v for v in values if isinstance(v, (int, float))]
            if errors:
                row[candidate] = {"error": errors[0]}
            elif numbers:
                row[candidate] = {
                    "median": statistics.median(numbers),
                    "min": min(numbers),
                    "max": max(numbers),
                    "values": numbers,
                }
            else:
                row[candidate] = None
        table[key] = row
    return table


def ratio(unit: str, value: Cell, base: Cell) -> float | None:
    """How many times *value* is better than *base* (medians)."""
    if not value or not base or "median" not in value or "median" not in base:
        return None
    mine, theirs = value["median"], base["median"]
    if not mine or not theirs:
        return None
    return mine / theirs if unit == "/s" else theirs / mine  # type: ignore


def fmt(unit: str, value: float) -> str:
    """A value with a readable unit."""
    if unit == "B":
        return f"{value:.0f} B"
    if unit == "/s":
        for scale, suffix in ((1e6, "M"), (1e3, "k")):
            if value >= scale * 0.9995:
                return f"{value / scale:.3g}{suffix}/s"
        return f"{value:.3g}/s"
    for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if value >= scale * 0.9995:
            return f"{value / scale:.3g} {suffix}"
    return f"{value * 1e9:.3g} ns"


def fmt_range(unit: str, cell: dict[str, Any]) -> str:
    return f"{fmt(unit, cell['min'])} - {fmt(unit, cell['max'])}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"x{value:.3g}"


def lines(
    table: dict[str, dict[str, Cell]],
    meta: dict[str, tuple[str, str, str]],
    labels: dict[str, str],
) -> list[list[str]]:
    """The long table: one line per scenario and candidate."""
    out = []
    for key, row in table.items():
        _, title, unit = meta[key]
        first = True
        for candidate, cell in row.items():
            name = labels.get(candidate, candidate)
            if cell is None:
                values = ["-", "", "", ""]
            elif "error" in cell:
                values = [cell["error"][:60], "", "", ""]
            else:
                values = [
                    fmt(unit, cell["median"]),
                    fmt_range(unit, cell),
                    fmt_ratio(ratio(unit, cell, row.get("stdlib"))),
                    fmt_ratio(ratio(unit, cell, row.get("0.17.1"))),
                ]
            out.append([title if first else "", name, *values])
            first = False
    return out


HEADER = ["scenario", "candidate", "median", "min - max", "vs stdlib"]
HEADER.append("vs 0.17.1")


def text(rows: list[list[str]]) -> str:
    """The long table as aligned text."""
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(6)]
    widths[0] = min(widths[0], 48)

    def line(cells: list[str]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            if i == 0 and len(cell) > widths[0]:
                return cell + "\n" + line(["", *cells[1:]])
            parts.append(cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    return "\n".join([line(HEADER)] + [line(r) for r in rows])


def markdown(rows: list[list[str]]) -> str:
    """The long table in markdown."""
    out = ["| " + " | ".join(HEADER) + " |"]
    out.append("|" + "|".join("---" for _ in HEADER) + "|")
    for row in rows:
        cells = [c.replace("|", "\\|") for c in row]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def summary_rst(
    table: dict[str, dict[str, Cell]],
    meta: dict[str, tuple[str, str, str]],
    labels: dict[str, str],
) -> str:
    """A wide RST table of the medians, one column per candidate."""
    candidates = list(next(iter(table.values())).keys()) if table else []
    head = ["scenario"] + [labels.get(c, c) for c in candidates]
    body = []
    for key, row in table.items():
        _, title, unit = meta[key]
        cells = [title.replace("`", "")]
        for candidate in candidates:
            cell = row[candidate]
            if cell is None:
                cells.append("-")
            elif "error" in cell:
                cells.append("error")
            else:
                cells.append(fmt(unit, cell["median"]))
        body.append(cells)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    rule = "  ".join("=" * w for w in widths)

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([rule, line(head), rule, *map(line, body), rule])


def targets(
    table: dict[str, dict[str, Cell]],
    meta: dict[str, tuple[str, str, str]],
) -> list[dict[str, Any]]:
    """Each target: its figure and whether it is met (None: not run)."""
    out = []
    for what, key, candidate, base, need in TARGETS:
        row = table.get(key)
        value = None
        if row is not None:
            value = ratio(meta[key][2], row.get(candidate), row.get(base))
        out.append(
            {
                "target": what,
                "row": key,
                "ratio": value,
                "needed": need,
                "met": None if value is None else value >= need,
            }
        )
    return out


def targets_text(found: list[dict[str, Any]]) -> str:
    """One line per target: figure and verdict."""
    out = []
    for item in found:
        if item["met"] is None:
            verdict = "not measured"
        else:
            verdict = "met" if item["met"] else "NOT MET"
        figure = fmt_ratio(item["ratio"])
        out.append(f"- {item['target']}: compiled core {figure} ({verdict})")
    return "\n".join(out)
