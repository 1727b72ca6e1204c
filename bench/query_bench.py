#!/usr/bin/env python3
"""Query benchmark: the shared scenarios (shared/bench/scenarios_ods.tsv) against `portail serve`,
with DuckDB on the same Parquet file as the reference measured in the same run.

For each `load` scenario: one checked request (HTTP 200, JSON), then `wrk -t2 -c4 -d{SECONDS}s
--latency` on 127.0.0.1; for each `export` scenario: one full download (wall time, bytes) while the
server's peak RSS is read from /proc. The reference runs the scenario's SQL in DuckDB over the
version's data.parquet (median of 5 runs, 2 threads).

    python3 bench/query_bench.py [ROWS]      # default 1000000; imports equipements if needed
Environment: PORTAIL_BIN, BENCH_DIR, SHARED, SECONDS (default 10).
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(REPO), "shared"))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/portail-target"))
BIN = os.environ.get("PORTAIL_BIN", os.path.join(TARGET, "release", "portail"))
WORK = os.environ.get("BENCH_DIR", "/tmp/portail-bench")
SECONDS = int(os.environ.get("SECONDS_PER_SCENARIO", os.environ.get("SECONDS", "10")))
PORT = 18777
HOST = f"bench.localhost:{PORT}"

# DuckDB equivalents over a view `e` (geo point split into lat/lon), from shared/bench/scenarios.md.
REFERENCE = {
    "S1_first_page": ["SELECT * FROM e LIMIT 20", "SELECT count(*) FROM e"],
    "S2_filter_sort": ["SELECT id, commune, equipment, capacity, amount FROM e WHERE category = 'Culture' AND capacity >= 1000 AND event_date >= DATE '2020-01-01' ORDER BY amount DESC NULLS LAST LIMIT 20",
                       "SELECT count(*) FROM e WHERE category = 'Culture' AND capacity >= 1000 AND event_date >= DATE '2020-01-01'"],
    "S3_deep_page": ["SELECT * FROM e ORDER BY id LIMIT 100 OFFSET 9900", "SELECT count(*) FROM e"],
    "S4_fulltext": ["SELECT * FROM e WHERE regexp_matches(lower(description), '\\blavoir\\b') ORDER BY id LIMIT 20",
                    "SELECT count(*) FROM e WHERE regexp_matches(lower(description), '\\blavoir\\b')"],
    "S5_facets": ["SELECT category, count(*) AS n FROM e GROUP BY category ORDER BY n DESC"],
    "S6_group_category": ["SELECT category, count(*) AS n, avg(amount) AS avg_amount FROM e GROUP BY category ORDER BY n DESC"],
    "S7_group_year": ["SELECT date_part('year', event_date) AS year, count(*) AS n, sum(capacity) AS total_capacity FROM e GROUP BY year ORDER BY year"],
    "S8_geo_distance": ["SELECT id FROM e WHERE lat BETWEEN 48.7666 AND 48.9466 AND lon BETWEEN 2.2155 AND 2.4889 AND 2 * 6371.0088 * asin(sqrt(power(sin(radians(lat - 48.8566) / 2), 2) + cos(radians(48.8566)) * cos(radians(lat)) * power(sin(radians(lon - 2.3522) / 2), 2))) <= 10 ORDER BY id LIMIT 20",
                        "SELECT count(*) FROM e WHERE lat BETWEEN 48.7666 AND 48.9466 AND lon BETWEEN 2.2155 AND 2.4889 AND 2 * 6371.0088 * asin(sqrt(power(sin(radians(lat - 48.8566) / 2), 2) + cos(radians(48.8566)) * cos(radians(lat)) * power(sin(radians(lon - 2.3522) / 2), 2))) <= 10"],
    "S9_record_by_id": ["SELECT * FROM e WHERE id = 123457"],
}


def scenarios():
    for line in open(os.path.join(SHARED, "bench", "scenarios_ods.tsv"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            name, kind, path = line.rstrip("\n").split("\t")
            yield name, kind, path.replace("{ds}", "equipements")


def encode(path):
    base, _, query = path.partition("?")
    parts = [p.split("=", 1) for p in query.split("&") if p]
    return base + ("?" + "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in parts) if parts else "")


def prepare(rows):
    data = os.path.join(WORK, f"query-data-{rows}")
    if not os.path.exists(os.path.join(data, "portail.db")):
        csv = os.path.join(WORK, f"equipements_{rows}.csv")
        if not os.path.exists(csv):
            subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_dataset.py"), str(rows), "-o", csv], check=True)
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run([BIN, "portal", "create", "bench", "--name", "Bench", "--data-dir", data], check=True, capture_output=True)
        subprocess.run([BIN, "dataset", "import", "--portal", "bench", csv, "--id", "equipements", "--publish", "--data-dir", data], check=True, capture_output=True)
    parquet = subprocess.run(["find", data, "-name", "data.parquet"], capture_output=True, text=True).stdout.split()[-1]
    return data, parquet


def get(path):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{encode(path)}", headers={"Host": HOST})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            body = r.read()
            return r.status, body, time.perf_counter() - t
    except urllib.error.HTTPError as e:
        return e.code, e.read(), time.perf_counter() - t


def wrk(path):
    out = subprocess.run(["wrk", "-t2", "-c4", f"-d{SECONDS}s", "--latency", "-H", f"Host: {HOST}", f"http://127.0.0.1:{PORT}{encode(path)}"],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {k: v for k, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0


def duckdb_ms(parquet, name):
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute(f"CREATE VIEW e AS SELECT * EXCLUDE (geo_point_2d), geo_point_2d.lat AS lat, geo_point_2d.lon AS lon FROM '{parquet}'")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for sql in REFERENCE[name]:
            con.execute(sql).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    os.makedirs(WORK, exist_ok=True)
    data, parquet = prepare(rows)
    try:
        import duckdb  # noqa: F401
        import pytz  # noqa: F401  (DuckDB needs it to hand timestamps with a zone to Python)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "duckdb", "pytz"], check=True)
    server = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORT}"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                get("/api/explore/v2.1/")
                break
            except OSError:
                time.sleep(0.1)
        load = os.getloadavg()
        print(f"# query benchmark, {rows:,} rows ({os.cpu_count()} cores, load average {load[0]:.2f}); wrk -t2 -c4 -d{SECONDS}s")
        print("| scenario | check | req/s | p50 | p90 | p99 | non-2xx | DuckDB same query | p50 / DuckDB |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, kind, path in scenarios():
            status, body, secs = get(path)
            if kind == "export" and status == 200:
                hwm = [l for l in open(f"/proc/{server.pid}/status") if l.startswith("VmHWM")][0].split()[1]
                print(f"| {name} | {status} | — | {secs:.2f} s (one download) | — | — | — | — | {len(body):,} bytes, server peak RSS {int(hwm) // 1024} MiB |", flush=True)
                continue
            if status != 200:
                print(f"| {name} | HTTP {status}: {body[:120].decode(errors='replace')} | — | — | — | — | — | — | — |", flush=True)
                continue
            check = json.loads(body).get("total_count", "")
            rps, lat, non2xx = wrk(path)
            ref = REFERENCE.get(name)
            ref_ms = duckdb_ms(parquet, name) if ref else None

            def ms(s):
                v = float(re.match(r"[\d.]+", s).group(0))
                return v / 1000 if s.endswith("us") else v * 1000 if s.endswith("s") and not s.endswith("ms") else v
            ratio = f"{ms(lat['50']) / ref_ms:.1f}×" if ref_ms else "—"
            ref_txt = f"{ref_ms:.1f} ms" if ref_ms else "—"
            print(f"| {name} | total_count {check} | {rps:,.0f} | {lat['50']} | {lat['90']} | {lat['99']} | {non2xx} | {ref_txt} | {ratio} |", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
