"""Shared helpers of the benchmarks: cached synthetic data, timing, machine description."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
sys.path.insert(0, str(ROOT))
# child processes (the RSS measurement) import the same reportgen as this one
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)


def dataset(items: int, papers: int = 50, seed: int = 7):
    """Synthetic CSV + log + JSONL for ``items`` items, generated once and cached in bench/.data/."""
    from reportgen.synth import generate, SynthResult
    out = DATA / f"synth-{items}-{papers}-{seed}"
    done = out / "done"
    name = "synthetic"
    if not done.exists():
        print(f"  generating {items:,} synthetic items in {out} ...", flush=True)
        generate(out, items=items, papers=papers, seed=seed, name=name)
        done.write_text("ok")
    return SynthResult(out / f"{name}.csv", out / f"{name}.judge.log", out / f"{name}.verdicts.jsonl", items, 0, 0)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def load() -> str:
    """The machine's 1-minute load average (2.0 = both of two cores busy), to say how busy it was."""
    return f"{os.getloadavg()[0]:.1f}"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import polars
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}, "
            f"duckdb {duckdb.__version__}, polars {polars.__version__}")


def peak_rss_mib(cmd: list[str]) -> float:
    """Run cmd in a child process and return its peak resident memory (MiB): GNU time's "Maximum
    resident set size" (/usr/bin/time -v) where it is installed, else the kernel's ru_maxrss."""
    if Path("/usr/bin/time").exists():
        out = subprocess.run(["/usr/bin/time", "-v", *cmd], check=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        for line in out.stderr.splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1]) / 1024
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024
