"""Targets of issue 7, and the README's table of the latest result per scale with the slope."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

SCALE_ORDER = ("small", "medium", "national")
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def evaluate_targets(r: dict) -> list[dict]:
    """Each target of issue 7 with the measured figure and whether it holds."""
    budget = 2 * r["floor_s"] + 30
    return [
        {
            "target": "full run <= 2 x floor + 30 s",
            "measured": f"{r['pipeline_s']:.1f} s vs {budget:.1f} s",
            "met": r["pipeline_s"] <= budget,
        },
        {
            "target": "full run faster than pandas (at national scale)",
            "measured": f"{r['pipeline_s']:.1f} s vs {r['pandas_s']:.1f} s",
            "met": r["pipeline_s"] < r["pandas_s"],
        },
        {
            "target": "full run peak memory <= half of pandas'",
            "measured": f"{r['peak_rss_mb']:.0f} MB vs {r['pandas_rss_mb'] / 2:.0f} MB",
            "met": r["peak_rss_mb"] <= r["pandas_rss_mb"] / 2,
        },
        {
            "target": "peak memory <= 4 GB",
            "measured": f"{max(r['peak_rss_mb'], r['incremental_rss_mb']):.0f} MB",
            "met": max(r["peak_rss_mb"], r["incremental_rss_mb"]) <= 4096,
        },
        {
            "target": "incremental run <= 25 % of the full run",
            "measured": f"{r['incremental_s'] / r['pipeline_s']:.0%}",
            "met": r["incremental_s"] <= 0.25 * r["pipeline_s"],
        },
        *_sample_targets(r),
    ]


def _sample_targets(r: dict) -> list[dict]:
    """Issue 13's targets on the shipped sample, when the result has them."""
    if "sample_cli_s" not in r:
        return []
    cli, launched = r["sample_cli_s"], r["sample_launched_s"]
    return [
        {
            "target": "stv run on the shipped sample <= 25 s",
            "measured": f"{cli:.1f} s",
            "met": cli <= 25,
        },
        {
            "target": "a run launched by the sensor <= stv run + 10 %",
            "measured": f"{launched:.1f} s vs {1.1 * cli:.1f} s",
            "met": launched <= 1.1 * cli,
        },
    ]


def latest_per_scale(results_dir: Path) -> dict[str, dict]:
    """The newest result file of each scale (`<date>-<scale>.json`; dates sort as text)."""
    latest: dict[str, dict] = {}
    for path in sorted(results_dir.glob("*-*.json")):
        result = json.loads(path.read_text())
        latest[result["scale"]] = result
    return {s: latest[s] for s in SCALE_ORDER if s in latest}


def without_disclosure_control(result: dict) -> float:
    """The full run's seconds less its suppression and audit, whose time follows how many cells
    hold 1-4 persons (most at the smallest scale), not the rows."""
    return result["pipeline_s"] - (result.get("disclosure_s") or 0.0)


def slope(
    results: dict[str, dict], seconds: Callable[[dict], float] = without_disclosure_control
) -> tuple[float, float] | None:
    """Least-squares seconds per million rows over the scales, and R² (1 = linear)."""
    points = [(r["rows"] / 1e6, seconds(r)) for r in results.values()]
    if len(points) < 2:
        return None
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    b = sxy / sxx
    ss_tot = sum((y - my) ** 2 for _, y in points)
    ss_res = sum((y - (my + b * (x - mx))) ** 2 for x, y in points)
    return b, (1 - ss_res / ss_tot) if ss_tot else 1.0


def markdown_table(results: dict[str, dict]) -> str:
    lines = [
        "| scale | rows (person-weeks) | pipeline_s | floor_s | pandas_s | incremental_s "
        "| peak_rss_mb | pandas_rss_mb | run date |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results.values():
        lines.append(
            f"| {r['scale']} | {r['rows']:,} | {r['pipeline_s']:.1f} | {r['floor_s']:.1f} "
            f"| {r['pandas_s']:.1f} | {r['incremental_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {r['pandas_rss_mb']:.0f} | {r['date']} |"
        )
    fitted = slope(results)
    if fitted:
        lines += [
            "",
            f"Without disclosure control (its suppression and audit take what the cells "
            f"holding 1-4 persons take, most at the smallest scale), pipeline time grows by "
            f"{fitted[0]:.2f} s per million person-weeks (least squares over "
            f"{', '.join(results)}; R² = {fitted[1]:.3f}).",
        ]
    if "national" in results:
        lines += ["", "Targets at national scale:", ""]
        for t in evaluate_targets(results["national"]):
            lines.append(
                f"- {'met' if t['met'] else '**missed**'}: {t['target']} ({t['measured']})"
            )
    return "\n".join(lines)


def update_readme(readme: Path, results_dir: Path) -> None:
    """Replace the text between the bench markers of the README with the current table."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text:
        return
    table = markdown_table(latest_per_scale(results_dir))
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    readme.write_text(
        pattern.sub(lambda _: f"{README_START}\n{table}\n{README_END}", text), encoding="utf-8"
    )
