"""How fast the synthetic source writes frames, in one process, against the issue's targets.

    .venv/bin/python -m benchmarks.synthetic_speed            # 5 timed blocks per figure
    .venv/bin/python -m benchmarks.synthetic_speed --quick    # 3 shorter blocks

Four figures, each frames per second (median of the timed blocks): `fakechain.generate_range`
and the `SyntheticSource` partition's `next_batch` (rate 0, one partition), at launch ratio 0.01
and 1.0. The targets (issue 12, item 2): 150,000 frames/s at 1 % launches, 40,000 with every
frame a launch. Before the timed blocks, a warm-up run pays what a generator builds once (trade
and swap bodies, module-launch encodings, frame templates); its own rate is reported beside
(`warm_up_frames_per_second`), the price of the first seconds of a run.

Because this machine is noisy, each block also times a baseline in the same run: `orjson.dumps`
of a frame-sized logsNotification dict (about 40 log lines), the least a frame writer could do
if it built the JSON from a dict. The ratio to it says more than the raw figure.
Writes benchmarks/results/synthetic_speed.json (synthetic_speed-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.record import machine, results_file, write_results
from fakechain import SyntheticSource, generate_range
from fakechain import generator as _generator

TARGETS = {0.01: 150_000.0, 1.0: 40_000.0}
SEED = 7


def _baseline_frame() -> dict[str, Any]:
    """A dict the size and shape of a pump.fun trade's logsNotification."""
    program = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
    logs = [f"Program {program} invoke [1]", "Program log: Instruction: Buy"]
    logs += [f"Program 11111111111111111111111111111111 invoke [{2 + i % 2}]" for i in range(30)]
    logs += ["Program data: " + "vdt/007mYe" + "A" * 300]
    logs += [f"Program {program} consumed 41230 of 200000 compute units", "Program success"]
    return {
        "jsonrpc": "2.0",
        "method": "logsNotification",
        "params": {
            "result": {
                "context": {"slot": 400_000_000},
                "value": {"signature": "5" * 88, "err": None, "logs": logs},
            },
            "subscription": 4242,
        },
    }


def _forget_generators() -> None:
    """Drop this thread's cached generators, so that each figure's warm-up builds its own."""
    cache = getattr(_generator._local, "cache", None)
    if cache is not None:
        cache.clear()


def _time(run: Callable[[int], int], frames: int) -> float:
    """Frames per second of one call of `run` asked for `frames` frames."""
    start = time.perf_counter()
    made = run(frames)
    return made / (time.perf_counter() - start)


def _generate_range(ratio: float) -> Callable[[int], int]:
    position = [0]

    def run(frames: int) -> int:
        start = position[0]
        position[0] += frames
        count = 0
        for _ in generate_range(SEED, start + frames, ratio, start=start):
            count += 1
        return count

    return run


def _next_batch(ratio: float) -> Callable[[int], int]:
    source = SyntheticSource(rate=0.0, launch_ratio=ratio, seed=SEED)
    part = source.build_part("bench", "synthetic-0", None)

    def run(frames: int) -> int:
        count = 0
        while count < frames:
            count += len(part.next_batch())
        return count

    return run


def _baseline() -> Callable[[int], int]:
    frame = _baseline_frame()

    def run(frames: int) -> int:
        dumps = orjson.dumps
        for _ in range(frames):
            dumps(frame)
        return frames

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 shorter blocks per figure")
    args = parser.parse_args()
    blocks = 3 if args.quick else 5
    scale = 0.4 if args.quick else 1.0
    print(f"synthetic source speed, one process, seed {SEED}, {blocks} blocks per figure")
    rows: list[dict[str, Any]] = []
    baseline = _baseline()
    base_fps: list[float] = []
    for ratio, target in TARGETS.items():
        frames = int((40_000 if ratio < 0.5 else 8_000) * scale)
        warm_up = int((100_000 if ratio < 0.5 else 30_000) * scale)
        for name, make in (("generate_range", _generate_range), ("next_batch", _next_batch)):
            _forget_generators()
            run = make(ratio)
            warm_fps = _time(run, warm_up)
            figures, ratios = [], []
            for _ in range(blocks):
                fps = _time(run, frames)
                base = _time(baseline, 20_000)
                base_fps.append(base)
                figures.append(fps)
                ratios.append(fps / base)
            fps = statistics.median(figures)
            row = {
                "entry": name,
                "launch_ratio": ratio,
                "frames_per_block": frames,
                "frames_per_second": round(fps),
                "blocks": [round(x) for x in figures],
                "warm_up_frames": warm_up,
                "warm_up_frames_per_second": round(warm_fps),
                "target": target,
                "meets_target": fps >= target,
                "ratio_to_orjson_dumps": round(statistics.median(ratios), 4),
            }
            rows.append(row)
            mark = "ok" if fps >= target else "BELOW"
            print(
                f"  {name:<15} launch ratio {ratio:<5} {fps:>10,.0f} frames/s   "
                f"target {target:>8,.0f}  {mark:<5}  "
                f"({row['ratio_to_orjson_dumps']:.3f}x orjson.dumps of a frame dict; "
                f"first {warm_up:,}: {warm_fps:,.0f}/s)"
            )
    base = statistics.median(base_fps)
    print(f"  baseline: orjson.dumps of a frame-sized dict {base:,.0f} /s")
    results = {
        "machine": machine(),
        "seed": SEED,
        "baseline_orjson_dumps_per_second": round(base),
        "figures": rows,
    }
    path = results_file("synthetic_speed", args.quick)
    write_results(path, results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
