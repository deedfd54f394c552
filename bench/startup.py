#!/usr/bin/env python3
"""Whole-process start-up cost of the flopscope binary: wall time and peak RSS.

Runs each command RUNS times (after one untimed warm-up run, so the page cache is warm)
and prints the median and smallest wall time, the median CPU time (user + system: steadier
than wall time on a busy machine) and the largest peak resident set size (ru_maxrss of the
child, from wait4). Issue 12 sets the targets: under 20 ms and 30 MB for `count`, `report`
and `predict train`, with CUDA installed and without.

    bench/startup.py build/dev/flopscope            # table
    bench/startup.py build/dev/flopscope --json     # machine-readable
    bench/startup.py build/dev/flopscope --check    # exit 1 when a target is missed
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

COMMANDS = [
    ["--version"],
    ["count", "llama-3.1-8b"],
    ["report"],
    ["predict", "train", "llama-3.1-70b", "--hardware", "h100-sxm", "--seq", "4096"],
]
TARGET_MS = 20.0
TARGET_MB = 30.0
CHECKED = {"count", "report", "predict"}  # the commands the targets are for
GNU_TIME = "/usr/bin/time"  # Debian package `time`


def run_once(argv):
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one run.

    The child runs under GNU time, whose %M is the child's own peak RSS: spawned straight
    from Python, the child's ru_maxrss would start at this Python process's (Linux carries
    the high-water mark across exec). The wall and CPU times include GNU time's own start,
    about a millisecond.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            start = time.perf_counter()
            pid = os.posix_spawn(GNU_TIME, [GNU_TIME, "-f", "%M", "-o", rss_file.name] + argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
            _, status, usage = os.wait4(pid, 0)
            seconds = time.perf_counter() - start
        finally:
            os.close(devnull)
        # GNU time writes "Command exited with non-zero status N" before %M on failure.
        kib = int(rss_file.read().split()[-1])
    return seconds, usage.ru_utime + usage.ru_stime, kib / 1024.0, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", help="path to the flopscope binary")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", action="store_true", help=f"fail above {TARGET_MS} ms or {TARGET_MB} MB")
    a = ap.parse_args()
    rows = []
    # /bin/true first: the floor of starting any process on this machine, to read the rest by.
    for argv in [["/bin/true"]] + [[a.binary] + args for args in COMMANDS]:
        args = argv[1:] if argv[0] == a.binary else argv
        run_once(argv)  # warm-up
        walls, cpus, rss, codes = [], [], [], set()
        for _ in range(a.runs):
            s, cpu, mb, code = run_once(argv)
            walls.append(s * 1e3)
            cpus.append(cpu * 1e3)
            rss.append(mb)
            codes.add(code)
        rows.append({"command": " ".join(args), "ms_wall_median": statistics.median(walls),
                     "ms_wall_min": min(walls), "ms_cpu_median": statistics.median(cpus),
                     "mb_rss_peak": max(rss), "exit_codes": sorted(codes)})
    failed = [r for r in rows if r["command"].split()[0] in CHECKED and
              (r["ms_wall_median"] > TARGET_MS or r["mb_rss_peak"] > TARGET_MB or r["exit_codes"] != [0])]
    if a.json:
        print(json.dumps({"binary": a.binary, "runs": a.runs, "rows": rows}, indent=1))
    else:
        print(f"{'command':<54} {'wall ms':>8} {'min ms':>7} {'cpu ms':>7} {'peak MB':>8}  exit")
        for r in rows:
            print(f"{r['command']:<54} {r['ms_wall_median']:>8.1f} {r['ms_wall_min']:>7.1f} "
                  f"{r['ms_cpu_median']:>7.1f} {r['mb_rss_peak']:>8.1f}  {','.join(map(str, r['exit_codes']))}")
    if a.check and failed:
        for r in failed:
            print(f"startup: {r['command']}: over {TARGET_MS} ms / {TARGET_MB} MB or failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
