"""Benchmark the validator against plain PyYAML on the same files.

Generates N co-ops with 5 openings each (default N = 10,000), then, each in a fresh process so
peak memory is its own, times:

* baseline: ``yaml.load(text, Loader=yaml.SafeLoader)`` (PyYAML's pure-Python loader) per file;
* baseline-c: the same with ``yaml.CSafeLoader`` (libyaml), for reference;
* baseline-kept: libyaml, keeping every file's data (what any build must hold in memory), so
  the memory ratio compares like with like;
* coopdir: ``check_paths`` — read, parse with positions, schema, every check, typed models.

Prints the median wall time and peak RSS of R runs (default 3) and the ratios to the baseline.
Target (issue 2): coopdir at most 2x the pure-Python baseline.

    .venv/bin/python bench/validate.py [--coops 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
mode, folder = sys.argv[1], Path(sys.argv[2])
files = sorted(folder.glob("*.yaml"))
start = time.perf_counter()
if mode.startswith("baseline"):
    import yaml
    loader = yaml.SafeLoader if mode == "baseline" else yaml.CSafeLoader
    kept = []
    for path in files:
        data = yaml.load(path.read_text("utf-8"), Loader=loader)
        if mode == "baseline-kept":
            kept.append(data)
    count = len(files)
else:
    import datetime as dt
    from coopdir.load import check_paths
    coops, problems = check_paths([folder], today=dt.date(2026, 11, 1))
    assert not problems, problems[:5]
    count = len(coops)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "count": count}))
"""


def measure(mode: str, folder: Path) -> dict:
    """Run one measurement in a fresh interpreter and return its figures."""
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(folder)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    """Generate the data, run every mode R times, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--coops", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from generate import write_coops

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        paths = write_coops(folder, args.coops, openings=5)
        size = sum(path.stat().st_size for path in paths)
        print(f"generated {len(paths):,} co-ops x 5 openings ({size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.1f} s")
        modes = ("baseline", "baseline-c", "baseline-kept", "coopdir")
        results: dict[str, list[dict]] = {mode: [] for mode in modes}
        for _ in range(args.runs):
            for mode in results:  # interleaved, so drift in machine load hits every mode alike
                results[mode].append(measure(mode, folder))
        base = statistics.median(r["seconds"] for r in results["baseline"])
        base_mb = statistics.median(r["peak_mb"] for r in results["baseline"])
        header = ("mode", "median s", "runs (s)", "peak MB", "x time", "x mem")
        print(f"{header[0]:<14}{header[1]:>10}{header[2]:>28}{header[3]:>10}"
              f"{header[4]:>8}{header[5]:>8}")
        for mode, runs in results.items():
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            each = "/".join(f"{r['seconds']:.2f}" for r in runs)
            print(f"{mode:<14}{seconds:>10.2f}{each:>28}{peak:>10.0f}"
                  f"{seconds / base:>8.2f}{peak / base_mb:>8.2f}")
        ratio = statistics.median(r["seconds"] for r in results["coopdir"]) / base
        verdict = "meets" if ratio <= 2 else "misses"
        print(f"coopdir / pure-Python safe_load = {ratio:.2f} ({verdict} the 2x target)")


if __name__ == "__main__":
    main()
