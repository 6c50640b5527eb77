"""The delivery benchmark's figures as text: one line per run while it goes, and the Markdown
tables at the end (the README's "Delivery benchmark" section is pasted from them)."""

from __future__ import annotations

from typing import Any

from domain.models import PRIORITIES


def throughput_line(row: dict[str, Any]) -> str:
    ideal = f", {row['share_of_ideal']:.0%} of ideal" if row["ideal_per_s"] else ""
    return (
        f"{row['mode']:5} {row['delay_ms']:>4.0f} ms: delivered {row['delivered_per_s']:>9,.0f}/s"
        f" ({row['ratio_to_baseline']:.2f} x baseline{ideal}), offered "
        f"{row['offered_per_s']:,.0f}/s, dropped {row['dropped_full_buffer']:,}"
    )


def memory_line(m: dict[str, Any]) -> str:
    return (
        f"memory {m['mode']:5} {m['policy']:11}: start {m['rss_at_start_mb']:.1f} MB, peak "
        f"{m['peak_rss_mb']:.1f} MB, growth {m['growth_mb']:.1f} MB over {m['seconds']:.0f} s "
        f"(offered {m['offered_per_s']:,.0f}/s, delivered {m['delivered_per_s']:,.0f}/s)"
    )


def render_table(report: dict[str, Any]) -> str:
    """The results as Markdown tables (also pasted into README.md)."""
    lines = [
        f"Baseline (plain loop, no Bytewax): {report['baseline_candidates_per_s']:,.0f} "
        "candidates/s",
        "",
        "| mode | consumer delay | delivered/s | x baseline | ideal/s | share of ideal |"
        " offered/s | dropped (full buffer) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["throughput"]:
        ideal = "-" if r["ideal_per_s"] is None else f"{r['ideal_per_s']:,.0f}"
        share = "-" if r["share_of_ideal"] is None else f"{r['share_of_ideal']:.0%}"
        lines.append(
            f"| {r['mode']} | {r['delay_ms']:.0f} ms | {r['delivered_per_s']:,.0f} |"
            f" {r['ratio_to_baseline']:.2f} | {ideal} | {share} | {r['offered_per_s']:,.0f} |"
            f" {r['dropped_full_buffer']:,} |"
        )
    c = report["consumer_20ms_async"]
    lines += [
        "",
        "| async, 20 ms consumer, 10x overload | delivered/s | ideal/s | share |",
        "|---|---|---|---|",
    ]
    for p in PRIORITIES:
        lines.append(
            f"| {p} | {c['delivered_per_s_by_priority'][p]:,.0f} |"
            f" {c['ideal_per_s_per_priority']:,.0f} | {c['share_of_ideal'][p]:.1%} |"
        )
    j = report["consumer_20ms_async_whole_job"]
    for p in PRIORITIES:
        lines.append(
            f"| {p}, whole job, detection at full speed ({j['frames_per_s']:,.0f} frames/s) |"
            f" {j['delivered_per_s_by_priority'][p]:,.0f} | {j['ideal_per_s_per_priority']:,.0f} |"
            f" {j['share_of_ideal'][p]:.1%} |"
        )
    lines += [
        "",
        "| memory: mode | policy | overload | offered/s | delivered/s | RSS at start |"
        " peak RSS | growth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report["memory"]:
        lines.append(
            f"| {m['mode']} | {m['policy']} | {m['seconds']:.0f} s | {m['offered_per_s']:,.0f} |"
            f" {m['delivered_per_s']:,.0f} | {m['rss_at_start_mb']:.1f} MB |"
            f" {m['peak_rss_mb']:.1f} MB | {m['growth_mb']:.1f} MB |"
        )
    return "\n".join(lines)
