"""Run the benchmarks on demand (not part of the test suite; CI does not run them).

    .venv/bin/python bench/run.py all            # the three, about 3-4 minutes on 2 cores
    .venv/bin/python bench/run.py push           # 1: 10,000 queued deposits pushed by client_sync
    .venv/bin/python bench/run.py many           # 1b: 200 devices x 50 mutations at once vs one device
    .venv/bin/python bench/run.py decode         # 1c: decoding one push body, before/after (in process)
    .venv/bin/python bench/run.py pull           # 2: fresh device pulls ~100,000 rows
    .venv/bin/python bench/run.py idle           # 3: 200 clients pulling with nothing new
    options: --profile (py-spy on the server, pyinstrument on the client; needs both in the venv)
             --quick (smaller counts, for trying the harness), --no-extras, --httpx (idle: no wrk)

Each figure is printed next to a baseline measured in the same run, as a ratio; a JSON summary goes to
bench/results/<name>-<timestamp>.json (and <name>-latest.json). See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_decode, bench_idle, bench_pull, bench_push, bench_push_many  # noqa: E402
from bench.common import write_results  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("which", choices=["push", "many", "decode", "pull", "idle", "all"])
    parser.add_argument("--profile", action="store_true", help="profile server (py-spy) and client (pyinstrument)")
    parser.add_argument("--quick", action="store_true", help="smaller counts and shorter runs (harness check)")
    parser.add_argument("--no-extras", action="store_true", help="skip the extra lines (NORMAL, batch size, ...)")
    parser.add_argument("--httpx", action="store_true", help="idle: use the httpx load generator instead of wrk")
    args = parser.parse_args(argv)
    extras = not args.no_extras
    chosen = ["push", "many", "decode", "pull", "idle"] if args.which == "all" else [args.which]
    results = {}
    started = time.perf_counter()
    for name in chosen:
        t0 = time.perf_counter()
        if name == "push":
            results[name] = bench_push.main(1_000 if args.quick else 10_000, profile=args.profile, extras=extras)
        elif name == "many":
            results[name] = bench_push_many.main(
                40 if args.quick else 200,
                25 if args.quick else 50,
                rounds=1 if args.quick else 3,
                profile=args.profile,
                extras=extras,
            )
        elif name == "decode":
            results[name] = bench_decode.main()
        elif name == "pull":
            results[name] = bench_pull.main(10_000 if args.quick else 100_000, profile=args.profile, extras=extras)
        else:
            results[name] = bench_idle.main(
                seconds=3 if args.quick else 10,
                rounds=1 if args.quick else 2,
                loadgen="httpx" if args.httpx else "auto",
                profile=args.profile,
            )
        results[name]["seconds"] = round(time.perf_counter() - t0, 1)
        print(f"  ({name} took {results[name]['seconds']} s)")
    write_results(
        args.which if args.which != "all" else "all",
        {"benchmarks": results, "quick": args.quick, "seconds": round(time.perf_counter() - started, 1)},
    )
    print("\nfigure                                              ours        baseline     ratio   goal")
    for name in chosen:
        for f in results[name]["figures"]:
            if f["primary"]:
                goal = (
                    ""
                    if f["goal_ratio"] is None
                    else f">= {f['goal_ratio']:.3g} {'MET' if f['goal_met'] else 'NOT MET'}"
                )
                print(f"{f['label'][:48]:<48} {f['ours']:>10,.0f} {f['baseline']:>12,.0f} {f['ratio']:>9.3f}   {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
