"""danlu vs PyTorch: every workload in both libraries, in one process, alternating.

    python benchmarks/run.py            # full suite
    python benchmarks/run.py --quick    # under two minutes
    python benchmarks/run.py --only mlp_train,lenet_train --json out.json --threads 2
    python benchmarks/run.py --only dataloader    # the DataLoader benchmark (bench_data.py)

Protocol (honest on shared 2-core machines): both libraries get the same thread count; rounds
alternate A B / B A; within a round each library runs one untimed step after the switch (thread
pools spin-wait, so the first call after a switch is slow) and then a block of timed steps.  We
report each library's median step time (and min), the median of the per-round ratios
danlu/torch with its min-max, and the peak resident memory each library adds for the workload
(measured in a fresh subprocess).  glibc's mmap thresholds are raised before start-up, since
returning big buffers to the OS on every step costs both libraries several ms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

_ENV = {"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


# Some machines pin OpenBLAS to an older kernel for old OpenBLAS builds' sake (Haswell on this
# AVX-512 VM: 250 instead of 450 GFLOP/s); the protocol forbids a forced core type, so the
# benchmark lets OpenBLAS pick its own kernel unless --keep-blas-env is given.
_BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _reexec_with_env(threads: int, keep_blas_env: bool = False) -> None:
    """glibc reads the malloc thresholds, OpenBLAS its kernel and BLAS/OpenMP their thread counts
    at start-up: set them (and drop a forced OpenBLAS core type) and start again."""
    want = dict(_ENV, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads))
    drop = [] if keep_blas_env else [k for k in _BLAS_OVERRIDES if k in os.environ]
    if all(os.environ.get(k) == v for k, v in want.items()) and not drop:
        return
    os.environ.update(want)
    for k in drop:
        del os.environ[k]
    os.execv(sys.executable, [sys.executable] + sys.argv)


def blas_kernel() -> str:
    """The kernel (core type) numpy's OpenBLAS runs, e.g. 'SkylakeX' or 'Haswell'."""
    import ctypes
    import glob

    import numpy as np

    libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libdir, "libscipy_openblas*")) + glob.glob(
            os.path.join(libdir, "libopenblas*")):
        lib = ctypes.CDLL(path)
        for sym in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                    "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(lib, sym, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return "unknown"


def _libs(threads: int):
    import torch

    import danlu

    torch.set_num_threads(threads)
    return {"danlu": danlu, "torch": torch}


def _sync(lib, device):
    if device == "cuda":
        if lib.__name__ == "torch":
            lib.cuda.synchronize()
        else:
            lib.cuda.synchronize()


def _time_block(step, n, lib, device) -> list[float]:
    step()  # untimed: the first call after switching library pays for waking thread pools
    _sync(lib, device)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        _sync(lib, device)
        out.append(time.perf_counter() - t0)
    return out


def bench(name: str, libs: dict, device: str, rounds: int, block_s: float, quick: bool,
          builder=None) -> dict:
    """Alternate blocks of steps of danlu and torch; return the statistics of one workload."""
    from workloads import WORKLOADS

    builder = builder or WORKLOADS[name]
    steps = {k: builder(lib, device, quick) for k, lib in libs.items()}
    for s in steps.values():  # warm-up; also decides the block length
        for _ in range(1 if quick else 2):
            s()
    t1 = {k: min(_time_block(s, 1 if quick else 3, libs[k], device)) for k, s in steps.items()}
    n = max(1, min(500, int(block_s / max(t1.values()))))
    times = {k: [] for k in libs}
    ratios = []
    order = list(libs)
    for r in range(rounds):
        med = {}
        for k in (order if r % 2 == 0 else order[::-1]):
            blk = _time_block(steps[k], n, libs[k], device)
            times[k] += blk
            med[k] = statistics.median(blk)
        ratios.append(med["danlu"] / med["torch"])
    return {
        "workload": name,
        "steps_per_block": n,
        "rounds": rounds,
        "danlu_median_ms": 1e3 * statistics.median(times["danlu"]),
        "danlu_min_ms": 1e3 * min(times["danlu"]),
        "torch_median_ms": 1e3 * statistics.median(times["torch"]),
        "torch_min_ms": 1e3 * min(times["torch"]),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def bench_dataloader(rounds: int, quick: bool) -> dict:
    """The data issue's DataLoader benchmark (``bench_data.py``) as table rows: time per batch of
    128 images and the ratio danlu/torch, one row per ``num_workers``; rounds alternate inside
    ``bench_data`` (danlu then torch per worker count), repeated ``rounds`` times."""
    from bench_data import bench_data

    import torch

    batch = 128
    threads = torch.get_num_threads()
    try:
        runs = [bench_data(batch_size=batch, epochs=1, n=2048 if quick else None)
                for _ in range(max(1, rounds // 3))]
    finally:
        torch.set_num_threads(threads)  # bench_data pins torch to 1 thread (per-worker setting)
    rows = []
    for nw in runs[0]:
        d = [batch / r[nw]["danlu"] for r in runs]
        t = [batch / r[nw]["torch"] for r in runs]
        ratios = [a / b for a, b in zip(d, t)]
        rows.append({
            "workload": f"dataloader_w{nw}", "steps_per_block": None, "rounds": len(runs),
            "danlu_median_ms": 1e3 * statistics.median(d), "danlu_min_ms": 1e3 * min(d),
            "torch_median_ms": 1e3 * statistics.median(t), "torch_min_ms": 1e3 * min(t),
            "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "images_per_s": {"danlu": statistics.median([r[nw]["danlu"] for r in runs]),
                             "torch": statistics.median([r[nw]["torch"] for r in runs])},
        })
    return rows


def peak_memory_mb(name: str, lib: str, device: str, threads: int, quick: bool) -> float | None:
    """Peak RSS a workload adds over the imported library, in a fresh process (a few steps)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--_mem", name, lib, "--device", device,
           "--threads", str(threads)] + (["--quick"] if quick else [])
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
        return float(out.stdout.strip().splitlines()[-1])
    except Exception:
        return None


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _mem_child(name: str, libname: str, device: str, threads: int, quick: bool) -> None:
    """Print the peak RSS (MB) the workload adds to the process that has imported ``libname``.

    Linux: the high-water mark is reset after the imports (``/proc/self/clear_refs`` <- 5), so an
    import's transient peak does not hide the workload's; elsewhere ``ru_maxrss`` is the fallback."""
    import resource

    from workloads import WORKLOADS

    if libname == "torch":
        import torch as lib

        lib.set_num_threads(threads)
    else:
        import danlu as lib
    base = _status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    if not reset or base is None:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step = WORKLOADS[name](lib, device, quick)
    for _ in range(3):
        step()
    peak = _status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(max(0, peak - base) / 1024)


def _fmt_table(rows: list[dict], targets: dict) -> str:
    head = (f"{'workload':<18} {'danlu ms':>10} {'(min)':>9} {'torch ms':>10} {'(min)':>9} "
            f"{'ratio':>6} {'min-max':>11} {'target':>6} {'mem MB d/t':>12}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['workload']:<18} error: {r['error']}")
            continue
        tgt = targets.get(r["workload"])
        mark = "" if tgt is None else ("ok" if r["ratio_median"] <= tgt else "MISS")
        mem = r.get("peak_mb", {})
        mem_s = "/".join("-" if mem.get(k) is None else f"{mem[k]:.0f}" for k in ("danlu", "torch"))
        lines.append(
            f"{r['workload']:<18} {r['danlu_median_ms']:>10.4g} {r['danlu_min_ms']:>9.4g} "
            f"{r['torch_median_ms']:>10.4g} {r['torch_min_ms']:>9.4g} {r['ratio_median']:>6.2f} "
            f"{r['ratio_min']:>5.2f}-{r['ratio_max']:<5.2f} "
            f"{(f'{tgt:.1f} ' + mark) if tgt else '':>6} {mem_s:>12}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, smaller blocks (< 2 min)")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--threads", type=int, default=2, help="threads for both libraries (default 2)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    ap.add_argument("--json", default=None, help="write the results to this JSON file")
    ap.add_argument("--keep-blas-env", action="store_true",
                    help="keep a forced OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (default: drop them)")
    ap.add_argument("--_mem", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    _reexec_with_env(args.threads, args.keep_blas_env)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args._mem:
        _mem_child(args._mem[0], args._mem[1], args.device, args.threads, args.quick)
        return 0
    from workloads import TARGETS, WORKLOADS

    choices = list(WORKLOADS) + ["dataloader"]
    names = [n for n in args.only.split(",") if n] or choices
    unknown = [n for n in names if n not in choices]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; choose from {choices}")
    libs = _libs(args.threads)
    rounds = args.rounds or (3 if args.quick else 9)
    block_s = 0.08 if args.quick else 0.3
    memory = not (args.no_memory or args.quick)
    rows = []
    for name in names:
        if name == "dataloader":  # throughput of the input pipeline (CPU only, its own protocol)
            if args.device != "cpu":
                continue
            try:
                new = bench_dataloader(rounds, args.quick)
            except Exception as e:
                new = [{"workload": name, "error": f"{type(e).__name__}: {e}"}]
            for row in new:
                rows.append(row)
                print(_fmt_table([row], TARGETS).splitlines()[-1], flush=True)
            continue
        try:
            row = bench(name, libs, args.device, rounds, block_s, args.quick)
            if memory:
                row["peak_mb"] = {k: peak_memory_mb(name, k, args.device, args.threads, args.quick)
                                  for k in libs}
        except Exception as e:  # a missing layer must not hide the other workloads' numbers
            row = {"workload": name, "error": f"{type(e).__name__}: {e}"}
        rows.append(row)
        print(_fmt_table([row], TARGETS).splitlines()[-1], flush=True)
    import numpy as np
    import torch

    import danlu

    meta = {"date": time.strftime("%Y-%m-%d"), "device": args.device, "threads": args.threads,
            "quick": args.quick, "python": sys.version.split()[0], "numpy": np.__version__,
            "torch": torch.__version__, "danlu": danlu.__version__, "cpu": _cpu_name(),
            "openblas_kernel": blas_kernel()}
    print()
    print(" ".join(f"{k}={v}" for k, v in meta.items()))
    print(_fmt_table(rows, TARGETS))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=1)
    return 0


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
