# SPDX-License-Identifier: MIT

"""Draw the chart of a run: ratios to aiologic 0.17.1, one group a scenario.

Runs where matplotlib is installed (``make bench`` keeps it in a
virtualenv of its own):

    python benchmarks/chart.py RESULTS.json CHART.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def _ratio(unit: str, value: dict, base: dict) -> float | None:
    if not value or not base or "median" not in value or "median" not in base:
        return None
    if not value["median"] or not base["median"]:
        return None
    if unit == "/s":
        return value["median"] / base["median"]  # type: ignore[no-any-return]
    return base["median"] / value["median"]  # type: ignore[no-any-return]


def draw(data: dict, path: str) -> None:
    """Horizontal grouped bars, log scale, 1 = the baseline."""
    candidates = data["candidates"]
    base = "0.17.1" if "0.17.1" in candidates else "stdlib"
    keys = [k for k in data["results"] if data["rows"][k]["unit"]]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(keys) * 1.6 + 1.5))
    candidates = [c for c in candidates if c != base]
    bar = 0.8 / len(candidates)
    for i, candidate in enumerate(candidates):
        ys, xs = [], []
        for j, key in enumerate(keys):
            row = data["results"][key]
            unit = data["rows"][key]["unit"]
            value = _ratio(unit, row.get(candidate), row.get(base))
            if value is not None:
                ys.append(j + i * bar)
                xs.append(value)
        # bars start at 1 (the baseline): right is better, left worse
        widths = [x - 1.0 for x in xs]
        ax.barh(
            ys, widths, height=bar, left=1.0, label=data["labels"][candidate]
        )
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks([j + 0.4 - bar / 2 for j in range(len(keys))])
    ax.set_yticklabels(
        [data["rows"][k]["title"].replace("`", "") for k in keys], fontsize=7
    )
    ax.invert_yaxis()
    ax.set_xlabel(
        f"times better than {data['labels'][base]}"
        " (log scale; > 1: faster or smaller)"
    )
    ax.set_title(data["title"], fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=72)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as file:
        draw(json.load(file), sys.argv[2])
