#!/usr/bin/env python3
"""Import benchmark: portail vs a reference loader on the same file, in the same run.

portail: `portail dataset import` of the generator's CSV (typed, Parquet written, full-text
index built, version published). Reference: DuckDB's CSV reader writing the same file to
Parquet (`COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT PARQUET)`), which types the
columns and writes Parquet but builds no full-text index.

Reports wall time, rows/s and peak RSS (ru_maxrss of the child) for each, and the ratio.

    python3 bench/import_bench.py 1000000 [5000000 ...]
Environment: PORTAIL_BIN (default: release binary in $CARGO_TARGET_DIR or ~/.cache/portail-target),
BENCH_DIR (work files, default /tmp/portail-bench), SHARED (default ../shared beside the repo).
"""
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(REPO), "shared"))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/portail-target"))
BIN = os.environ.get("PORTAIL_BIN", os.path.join(TARGET, "release", "portail"))
WORK = os.environ.get("BENCH_DIR", "/tmp/portail-bench")


def run_measured(cmd, env=None):
    """Runs cmd in a fresh process; returns (seconds, peak RSS in MiB, stdout)."""
    wrapper = [sys.executable, "-c", (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'rc': p.returncode, 's': dt, 'rss': rss, 'out': p.stdout, 'err': p.stderr}))\n"
    )] + cmd
    import json
    res = json.loads(subprocess.run(wrapper, capture_output=True, text=True, env=env, check=True).stdout)
    if res["rc"] != 0:
        raise SystemExit(f"{cmd[0]} failed: {res['err']}")
    return res["s"], res["rss"], res["out"]


def ensure_csv(rows):
    path = os.path.join(WORK, f"equipements_{rows}.csv")
    if not os.path.exists(path):
        print(f"generating {path} …", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_dataset.py"), str(rows), "-o", path], check=True)
    return path


def bench_portail(csv):
    data = os.path.join(WORK, "portail-data")
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run([BIN, "portal", "create", "bench", "--name", "Bench", "--data-dir", data], check=True, capture_output=True)
    s, rss, out = run_measured([BIN, "dataset", "import", "--portal", "bench", csv, "--id", "equipements", "--publish", "--data-dir", data])
    return s, rss, out.splitlines()[0]


def bench_duckdb(csv):
    try:
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "duckdb"], check=True)
    out = os.path.join(WORK, "duckdb.parquet")
    script = (
        "import duckdb, sys\n"
        "con = duckdb.connect()\n"
        "con.execute(\"SET threads TO 2\")\n"
        "con.execute(\"SET enable_progress_bar = false\")\n"
        f"con.execute(\"COPY (SELECT * FROM read_csv('{csv}', delim=';', header=true)) TO '{out}' (FORMAT PARQUET)\")\n"
        f"print(con.execute(\"SELECT count(*) FROM '{out}'\").fetchone()[0])\n"
    )
    s, rss, stdout = run_measured([sys.executable, "-c", script])
    return s, rss, stdout.strip().splitlines()[-1]


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1_000_000]
    os.makedirs(WORK, exist_ok=True)
    load = os.getloadavg()
    print(f"# import benchmark ({os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print("| rows | portail import | portail rows/s | portail peak RSS | DuckDB CSV→Parquet | DuckDB peak RSS | portail / DuckDB time |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for rows in sizes:
        csv = ensure_csv(rows)
        p_s, p_rss, p_out = bench_portail(csv)
        d_s, d_rss, d_out = bench_duckdb(csv)
        assert str(rows) in p_out, p_out
        assert d_out == str(rows), d_out
        print(f"| {rows:,} | {p_s:.2f} s | {rows / p_s:,.0f} | {p_rss:.0f} MiB | {d_s:.2f} s | {d_rss:.0f} MiB | {p_s / d_s:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
