"""Benchmark: the portal's pages over HTTP against a bare Flask app served the same way (issue 16).

    .venv/bin/python bench/bench_http.py [--seconds 10] [--connections 16] [--rounds 3]

Both run under gunicorn as `make run` serves (3 gthread workers × 4 threads, production settings) on
127.0.0.1, loaded by wrk (Debian's package; installed when missing) with a Lua script that rotates over
realistic URLs. The portal reads ./gunicorn.conf.py as `make run` does; the anchor gets an empty config.
Data: one catalogue of 3,000 entries and one hospital with 3,000 assessments (bench_queue's data set) in a
SQLite file, with the search index built. Every page is requested for 2 s before the measured runs, so
each worker's first-request costs are not counted. Measured in rounds (the anchor, then every page), each page
against its round's anchor; reported per round and as the median over the rounds: requests per second of each
page and its share of the bare app's rate; the server's CPU time per request (master and workers, from
/proc), whose ratio to the anchor's is the share a quiet machine would show when other processes compete
for the cores; and each worker's memory (PSS and private) after the run.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_queue  # noqa: E402

from portal import create_app  # noqa: E402
from portal.search import indexer  # noqa: E402

QUERIES = ["磁共振", "关节", "国械注准2021", "支架", "机器人", "uMR", "康复", "导航", "冠脉", "成像系统"]
PAGES = {
    "public search page": [f"/search?q={urllib.parse.quote(q)}" for q in QUERIES],
    "entries API search": [f"/api/v1/entries?q={urllib.parse.quote(q)}" for q in QUERIES],
    "entry page": [f"/entries/{i}" for i in range(1, 200, 7)],
    "home (anonymous)": ["/"],
    "hospital queue page": ["/assessments", "/assessments?state=overdue", "/assessments?page=5"],
}
LOGGED_IN = {"hospital queue page"}


def ensure_wrk() -> str:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def serve(app_spec: str, port: int, env: dict, config: str) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "--config", config, "--bind", f"127.0.0.1:{port}", "--workers", "3",
        "--worker-class", "gthread", "--threads", "4", "--log-level", "warning", app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310
            return process
        except Exception:  # noqa: BLE001  (not up yet)
            time.sleep(0.1)
    raise RuntimeError(f"{app_spec} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def cpu_seconds(process: subprocess.Popen) -> float:
    """User + system CPU of the gunicorn master and its workers so far."""
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    pids = [str(process.pid), *children]
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measured(binary, port, process, paths, seconds, connections, cookie="") -> tuple[float, float]:
    """(requests per second, server CPU milliseconds per request) of one wrk run."""
    before = cpu_seconds(process)
    rate = wrk(binary, port, paths, seconds, connections, cookie)
    return rate, 1000 * (cpu_seconds(process) - before) / (rate * seconds)


def worker_memory_mb(process: subprocess.Popen) -> list[tuple[float, float]]:
    """(PSS, private) of each worker: RSS would count the pages the workers share with the master in full."""
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0]) / 1024
        sizes.append((fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"]))
    return sizes


def describe(sizes) -> str:
    return ", ".join(f"{pss:.0f}/{private:.0f}" for pss, private in sizes)


def login_cookie(port: int, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or re.search(
        r'name="csrf_token" value="([^"]+)"', form)
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token.group(1)}).encode()
    opener.open(f"http://127.0.0.1:{port}/login", data=data)
    # Login starts a fresh session; its first page adds the CSRF secret, as a browser's cookie would then
    # carry. wrk replays one cookie, so without this every request would make a new secret and a new cookie.
    opener.open(f"http://127.0.0.1:{port}/")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(binary: str, port: int, paths: list[str], seconds: int, connections: int, cookie: str = "") -> float:
    quoted = ", ".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    header = f'wrk.headers["Cookie"] = "{cookie}"\n' if cookie else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(header + f"local paths = {{{quoted}}}\nlocal i = 0\n"
                     "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n")
    out = subprocess.run(
        [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name,
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} error responses from {paths[0]}…:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run_rounds(binary, bare, portal, cookie, args) -> dict[str, list[tuple[float, float]]]:
    """Each round measures the anchor, then every page against it: a stretch of noise from other machines
    lowers one round's figures, not all of them. Per page, each round's (share of the anchor's rate, share
    by CPU per request)."""
    shares: dict[str, list[tuple[float, float]]] = {label: [] for label in PAGES}
    for round_number in range(1, args.rounds + 1):
        anchor, anchor_cpu = measured(binary, 8811, bare, ["/"], args.seconds, args.connections)
        print(f"round {round_number}: bare Flask {anchor:,.0f} req/s, {anchor_cpu:.2f} ms CPU per request")
        for label, paths in PAGES.items():
            rate, cpu = measured(binary, 8812, portal, paths, args.seconds, args.connections,
                                 cookie if label in LOGGED_IN else "")
            shares[label].append((100 * rate / anchor, 100 * anchor_cpu / cpu))
            print(f"  {label:<22} {rate:8,.0f} req/s  {100 * rate / anchor:5.1f}%;"
                  f" {cpu:6.2f} ms CPU per request, {100 * anchor_cpu / cpu:5.1f}% by CPU")
    print(f"median over {args.rounds} rounds ({args.connections} connections, {args.seconds} s each; range):")
    return shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="anchor and pages measured this many times")
    args = parser.parse_args()
    binary = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        env = {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": "b" * 64,
               "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "PORTAL_SEARCH_INDEX_DIR": f"{tmp}/index",
               "PORTAL_UPLOAD_DIR": f"{tmp}/uploads", "PORTAL_MAIL_SERVER": ""}
        app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                          "PORTAL_SEARCH_INDEX_DIR": env["PORTAL_SEARCH_INDEX_DIR"]})
        email = bench_queue.build(app)
        with app.app_context():
            indexer.rebuild(app)
        empty_config = Path(tmp) / "bare.conf.py"
        empty_config.write_text("")
        bare = serve("bench._bare_app:app", 8811, env, str(empty_config))
        portal = serve("wsgi:app", 8812, env, str(ROOT / "gunicorn.conf.py"))
        try:
            cookie = login_cookie(8812, email, bench_queue.PASSWORD)
            # Unmeasured warm-up: each worker's first requests fill its caches (SQL compilation, index readers).
            wrk(binary, 8811, ["/"], 2, args.connections)
            for label, paths in PAGES.items():
                wrk(binary, 8812, paths, 2, args.connections, cookie if label in LOGGED_IN else "")
            shares = run_rounds(binary, bare, portal, cookie, args)
            for label, rounds in shares.items():
                rate_shares, cpu_shares = sorted(r[0] for r in rounds), sorted(r[1] for r in rounds)
                print(f"  {label:<22} {statistics.median(rate_shares):5.1f}% of bare Flask's rate"
                      f" ({rate_shares[0]:.1f}–{rate_shares[-1]:.1f});"
                      f" {statistics.median(cpu_shares):5.1f}% by CPU ({cpu_shares[0]:.1f}–{cpu_shares[-1]:.1f})")
            print(f"worker memory after the run, PSS/private MB: portal {describe(worker_memory_mb(portal))}; "
                  f"bare Flask {describe(worker_memory_mb(bare))}")
        finally:
            stop(portal)
            stop(bare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
