"""Where a danlu workload spends its time: cProfile over a few steps, in ms per step.

    python benchmarks/where_time_goes.py lenet_train [--steps 20] [--top 15] [--quick]

Same environment as ``run.py`` (thread count, malloc thresholds).  BLAS calls and numba kernels
show up inside the Python function that calls them (``tottime`` of e.g. ``conv.py:forward``
is mostly its GEMM); ``cumtime`` is shown for orientation.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workload")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    run._reexec_with_env(args.threads)
    import danlu
    from workloads import WORKLOADS

    step = WORKLOADS[args.workload](danlu, "cpu", args.quick)
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.steps):
        step()
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt / args.steps * 1e3
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:args.top]
    print(f"{args.workload}: {total:.2f} ms per step under the profiler ({args.steps} steps)")
    print(f"{'tottime ms/step':>16} {'%':>5} {'calls/step':>10} {'cumtime ms/step':>16}  function")
    for (file, line, fn), (_, ncalls, tt, ct, _) in rows:
        where = f"{os.path.relpath(file) if file.startswith('/') else file}:{line}({fn})"
        print(f"{tt / args.steps * 1e3:16.3f} {100 * tt / st.total_tt:5.1f} {ncalls / args.steps:10.1f} "
              f"{ct / args.steps * 1e3:16.3f}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
