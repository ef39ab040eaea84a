#!/usr/bin/env python3
"""Failover: no acknowledged registration is lost when the PostgreSQL primary dies.

1. pg_auto_failover (Debian's postgresql-15-auto-failover, on the machine's PostgreSQL 15) with a
   monitor and two nodes in synchronous replication, all on 127.0.0.1 on free ports in a
   temporary folder, run as the `postgres` user when this runs as root (postgres refuses root);
   the monitor's health checks and demotion timeout shortened so the run stays short;
2. `appeals serve` pointed at both nodes, libpq style:
   postgres://postgres@127.0.0.1:P1,127.0.0.1:P2/appeals?target_session_attrs=read-write;
3. 1,000 registrations from 8 clients; after 300 answers the primary node is SIGKILLed: its
   postmaster and its pg_auto_failover keeper (alive, the keeper would restart the postmaster in
   place and nothing would fail over), the loss of the machine;
4. once the secondary is promoted and takes writes, checks that
   - every registration answered 201 is on the new primary, complete, with its number;
   - every other one was answered 503 (problem+json `database_unavailable`, `Retry-After`) or
     lost its connection, and is either absent or complete there (never half-written);
   - registration numbers are unique and without gaps;
   - no request took longer than `[database] failover_timeout_seconds` (+2 s of slack);
   - the service registered again within 30 s of the promotion;
   and prints the seconds without writes.

Then a streaming replica (reads on a replica): a plain primary and a `pg_basebackup -R` replica
on two more ports, the service with DATABASE_READ_URL on the replica and a pool of 3
connections: 600 registrations from 4 clients, each card read back at once; statistics from the
replica (with «данные на …») catch up with them; they answer while two of the primary pool's
three connections are held by registrations stuck on a row lock (row locks do not reach the
replica); with the replica SIGKILLed they answer from the primary, with a warning in the log.
The replica's replay lag under the registrations is printed. `FAILOVER_ONLY=failover` or
`=replica` runs one of the two; `FAILOVER_DEFAULTS=1` keeps pg_auto_failover's own timeouts.

Standard library only; reuses .ci/crash.py's client. Run from the repository root:
`python3 .ci/failover.py`. Every process and folder it made is removed on exit.
"""

from __future__ import annotations

import concurrent.futures
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash  # noqa: E402  (the crash test's HTTP client, server wrapper and checks)
from crash import Check, Fatal, Server, request, registration, today_moscow  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
TOTAL = 1000
CLIENTS = 8
KILL_AFTER = 300
FAILOVER_TIMEOUT = 30  # seconds, the service's [database] failover_timeout_seconds
BACK_WITHIN = 30.0  # seconds after the promotion by which registrations must succeed again
SETUP_TIMEOUT = 90.0

GROUPS: list[int] = []  # process groups started here, SIGKILLed on exit


# --------------------------------------------------------------------------------- processes


def as_pg_user() -> list[str]:
    """The prefix that runs a command as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def pg_env(top: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "APPEALS_"))}
    env.update(
        PATH=f"{PG_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        XDG_CONFIG_HOME=os.path.join(top, "xdg-config"),
        XDG_DATA_HOME=os.path.join(top, "xdg-data"),
        XDG_RUNTIME_DIR=os.path.join(top, "xdg-run"),
        HOME=top,
    )
    return env


def run(top: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(as_pg_user() + ["env"] + [f"{k}={v}" for k, v in pg_env(top).items()] + args, cwd=top, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def spawn(top: str, args: list[str], log: str) -> subprocess.Popen:
    with open(os.path.join(top, log), "wb") as out:
        p = subprocess.Popen(
            as_pg_user() + ["env"] + [f"{k}={v}" for k, v in pg_env(top).items()] + args,
            cwd=top,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    GROUPS.append(p.pid)
    return p


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def psql(port: int, sql: str, db: str = "appeals", timeout: float = 10) -> tuple[bool, str]:
    try:
        out = subprocess.run(
            ["psql", f"postgres://postgres@127.0.0.1:{port}/{db}?connect_timeout=3", "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, "timed out"
    return out.returncode == 0, (out.stdout if out.returncode == 0 else out.stderr).strip()


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait_for(what: str, cond, timeout: float = SETUP_TIMEOUT, every: float = 0.3, log: str | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(every)
    tail = ""
    if log and os.path.exists(log):
        with open(log, encoding="utf-8", errors="replace") as f:
            tail = "\n    " + "\n    ".join(f.read().splitlines()[-12:])
    raise Fatal(f"{what}: not within {timeout:.0f} s{tail}")


def postmaster_pid(pgdata: str) -> int | None:
    try:
        with open(os.path.join(pgdata, "postmaster.pid"), encoding="ascii") as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------- cluster


class Cluster:
    """A pg_auto_failover formation: a monitor and two nodes."""

    def __init__(self, top: str) -> None:
        self.top = top
        self.mon_port, self.p1, self.p2 = free_ports(3)
        self.keepers: dict[str, subprocess.Popen] = {}

    def pgdata(self, name: str) -> str:
        return os.path.join(self.top, name)

    def create(self) -> None:
        common = ["--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl"]
        self.keepers["monitor"] = spawn(self.top, ["pg_autoctl", "create", "monitor", "--pgdata", self.pgdata("monitor"), "--pgport", str(self.mon_port), *common, "--run"], "monitor.log")
        wait_for("the monitor accepts connections", lambda: psql(self.mon_port, "select 1", db="pg_auto_failover")[0], log=self.log("monitor"))
        # Failure detection in about two seconds, and the old primary given up for demoted after
        # five (default 20 s and 30 s: production keeps those, see the README).
        # FAILOVER_DEFAULTS=1 keeps pg_auto_failover's own timeouts (production's; a longer run).
        tuned = [] if os.environ.get("FAILOVER_DEFAULTS") else [
            ("health_check_period", 1000),
            ("health_check_timeout", 1000),
            ("health_check_max_retries", 1),
            ("health_check_retry_delay", 500),
            ("node_considered_unhealthy_timeout", 2000),
            ("primary_demote_timeout", 5000),
        ]
        for setting, value in tuned:
            ok, out = psql(self.mon_port, f"alter system set pgautofailover.{setting} = {value}", db="pg_auto_failover")
            if not ok:
                raise Fatal(f"monitor setting {setting}: {out}")
        psql(self.mon_port, "select pg_reload_conf()", db="pg_auto_failover")
        monitor = f"postgres://autoctl_node@127.0.0.1:{self.mon_port}/pg_auto_failover?sslmode=disable"
        for name, port in [("node1", self.p1), ("node2", self.p2)]:
            self.keepers[name] = spawn(self.top, ["pg_autoctl", "create", "postgres", "--pgdata", self.pgdata(name), "--pgport", str(port), "--dbname", "appeals", "--monitor", monitor, *common, "--run"], f"{name}.log")
            if name == "node1":
                wait_for("node1 becomes the primary", lambda: self.writable(self.p1), log=self.log("node1"))
            else:
                # pg_basebackup waits for a spread checkpoint on the primary; ask for it now.
                def standby_ready() -> bool:
                    psql(self.p1, "checkpoint")
                    return self.states().get(2) == ("secondary", "secondary")

                wait_for("node2 becomes a synchronous secondary", standby_ready, every=1.0, log=self.log("node2"))
        ok, names = psql(self.p1, "show synchronous_standby_names")
        if not ok or "pgautofailover_standby_2" not in names:
            raise Fatal(f"node1 does not replicate synchronously to node2: synchronous_standby_names = {names!r}")

    def log(self, name: str) -> str:
        return os.path.join(self.top, f"{name}.log")

    def states(self) -> dict[int, tuple[str, str]]:
        ok, out = psql(self.mon_port, "select nodeid, reportedstate, goalstate from pgautofailover.node", db="pg_auto_failover")
        if not ok:
            return {}
        states = {}
        for line in out.splitlines():
            nodeid, reported, goal = line.split("|")
            states[int(nodeid)] = (reported, goal)
        return states

    def writable(self, port: int) -> bool:
        ok, out = psql(port, "select not pg_is_in_recovery() and current_setting('default_transaction_read_only') = 'off'", timeout=3)
        return ok and out == "t"

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.p1},127.0.0.1:{self.p2}/appeals?target_session_attrs=read-write"

    def kill_primary(self) -> None:
        """SIGKILL of node1's keeper and postmaster (the keeper first: alive, it restarts postgres)."""
        pid = postmaster_pid(self.pgdata("node1"))
        kill_group(self.keepers["node1"].pid)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ------------------------------------------------------------------------------------- load


def load(server: Server, token: str, cluster: Cluster, check: Check) -> dict:
    url = server.base + "/api/v1/appeals"
    received_on = today_moscow()
    lock = threading.Lock()
    next_i = 0
    answered = 0
    results: list[dict | None] = [None] * TOTAL
    kill = {"at": None}
    killed = threading.Event()

    def client() -> None:
        nonlocal next_i, answered
        while True:
            with lock:
                i = next_i
                next_i += 1
            if i >= TOTAL:
                return
            t0 = time.monotonic()
            status, body, err, headers = request_with_headers("POST", url, token, registration(i, received_on), timeout=FAILOVER_TIMEOUT + 15)
            t1 = time.monotonic()
            results[i] = {"i": i, "status": status, "body": body, "err": err, "t0": t0, "t1": t1, "retry_after": headers.get("retry-after"), "type": headers.get("content-type")}
            with lock:
                answered += 1
                if answered == KILL_AFTER and not killed.is_set():
                    kill["at"] = time.monotonic()
                    cluster.kill_primary()
                    killed.set()

    promoted = {"at": None}

    def watch() -> None:
        killed.wait()
        while time.monotonic() - kill["at"] < 120:
            if cluster.writable(cluster.p2):
                promoted["at"] = time.monotonic()
                return
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for f in [pool.submit(client) for _ in range(CLIENTS)]:
            f.result()
    watcher.join(timeout=130)
    if kill["at"] is None:
        raise Fatal("the primary was never killed")
    if promoted["at"] is None:
        raise Fatal(f"node2 was not promoted within 120 s of the kill:\n{tail(cluster.log('node2'))}")

    acked: dict[int, dict] = {}
    lost: set[int] = set()
    refused = transport = 0
    for r in results:
        assert r is not None
        i = r["i"]
        took = r["t1"] - r["t0"]
        if took > FAILOVER_TIMEOUT + 2:
            check.fail(f"registration {i} took {took:.1f} s (failover timeout {FAILOVER_TIMEOUT} s)")
        if r["status"] == 201 and isinstance(r["body"], dict) and r["body"].get("reg_number"):
            acked[i] = r["body"]
        elif r["status"] == 503:
            refused += 1
            lost.add(i)
            body = r["body"] if isinstance(r["body"], dict) else {}
            if body.get("code") != "database_unavailable" or not r["retry_after"] or "problem+json" not in (r["type"] or ""):
                check.fail(f"registration {i}: 503 without database_unavailable problem+json and Retry-After: {r['retry_after']!r} {r['body']!r:.300}")
        elif r["status"] is None:
            transport += 1
            lost.add(i)
        else:
            check.fail(f"registration {i}: HTTP {r['status']} {r['body']!r:.300}")
        if r["status"] != 201 and r["t1"] < kill["at"]:
            check.fail(f"registration {i} failed before the kill: {r['status']} {r['err'] or r['body']!r:.300}")
    before = [r["t1"] for r in results if r and r["i"] in acked and r["t1"] <= kill["at"]]
    after = [r["t1"] for r in results if r and r["i"] in acked and r["t0"] >= kill["at"]]
    if not after:
        raise Fatal("no registration succeeded after the kill")
    last_before = max(before) if before else kill["at"]
    first_after = min(after)
    check.expect(first_after - promoted["at"] <= BACK_WITHIN, f"first registration after the promotion came {first_after - promoted['at']:.1f} s after it (limit {BACK_WITHIN:.0f} s)")
    check.expect(len(after) > 100, f"only {len(after)} registrations after the failover")
    return {
        "acked": acked,
        "lost": lost,
        "refused": refused,
        "transport": transport,
        "without_writes": first_after - last_before,
        "promotion": promoted["at"] - kill["at"],
        "back_after_promotion": max(0.0, first_after - promoted["at"]),
        "slowest": max(r["t1"] - r["t0"] for r in results if r),
    }


def request_with_headers(method: str, url: str, token: str, body: object, timeout: float):
    """crash.request, plus the response's headers (Retry-After of a 503)."""
    import http.client
    import json

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path, body=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        raw = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, crash._parse(raw), None, headers
    except (OSError, http.client.HTTPException) as e:
        return None, None, e, {}
    finally:
        conn.close()


def gapless(port: int, check: Check) -> int:
    """Registration numbers on the new primary: unique and 1..N without a gap."""
    ok, out = psql(port, "select reg_number from appeals")
    if not ok:
        check.fail(f"reading registration numbers from the new primary: {out}")
        return 0
    numbers = out.splitlines()
    seqs = []
    for n in numbers:
        m = re.search(r"(\d+)$", n)
        if not m:
            check.fail(f"registration number {n!r} has no sequence")
            continue
        seqs.append(int(m.group(1)))
    check.expect(len(set(numbers)) == len(numbers), f"duplicate registration numbers: {len(numbers) - len(set(numbers))}")
    missing = sorted(set(range(1, max(seqs, default=0) + 1)) - set(seqs))
    check.expect(not missing, f"gaps in the registration numbers: {missing[:20]} ({len(missing)} in all)")
    return len(numbers)


def tail(path: str, n: int = 12) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "\n    ".join(f.read().splitlines()[-n:])
    except OSError:
        return ""


def failover(top: str, binary: str) -> tuple[Check, str]:
    check = Check()
    cluster = Cluster(top)
    started = time.monotonic()
    cluster.create()
    setup = time.monotonic() - started
    work = os.path.join(top, "app")
    os.mkdir(work)
    server = Server(binary, work, cluster.url(), "postgres")
    server.start()
    try:
        admin = server.admin_token()
        clerk = server.add_user("clerk", "clerk", "Клерк")
        r = load(server, clerk, cluster, check)
        stats = crash.verify(server, admin, clerk, r, check)
        numbers = gapless(cluster.p2, check)
        crash.check_logs(server, check)
    finally:
        server.stop()
    line = (
        f"failover: {'PASS' if not check.failures else 'FAIL'} - {len(r['acked'])} acknowledged, {stats['missing']} of them lost; "
        f"{r['refused']} answered 503, {r['transport']} connection errors, {stats['unacked']} of those registered all the same (complete); "
        f"{numbers} registration numbers on the new primary, unique and gapless; "
        f"promotion {r['promotion']:.1f} s after the kill, first registration {r['back_after_promotion']:.1f} s after the promotion; "
        f"seconds without writes: {r['without_writes']:.1f}; slowest request {r['slowest']:.1f} s; "
        f"cluster set up in {setup:.0f} s, run {time.monotonic() - started:.0f} s"
    )
    return check, line


# -------------------------------------------------------------------------------------- main


def main() -> int:
    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    if shutil.which("pg_autoctl") is None:
        print("failover: FAIL - pg_autoctl is not installed (apt-get install postgresql-15-auto-failover)")
        return 1
    # FAILOVER_BINARY=target/release/appeals measures the release build (the figures).
    if os.environ.get("FAILOVER_BINARY"):
        crash.BINARY = os.path.abspath(os.environ["FAILOVER_BINARY"])
    crash.ensure_binary()
    top = tempfile.mkdtemp(prefix="appeals-failover-")
    failed = 0
    chosen: list = []
    try:
        binary = os.path.join(top, "appeals")
        shutil.copy2(crash.BINARY, binary)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chmod(top, 0o755)
            for d in ("ha", "replica"):
                os.mkdir(os.path.join(top, d))
                os.chown(os.path.join(top, d), pg.pw_uid, pg.pw_gid)
        else:
            for d in ("ha", "replica"):
                os.mkdir(os.path.join(top, d))
        only = os.environ.get("FAILOVER_ONLY")
        chosen = [t for t in TESTS if not only or t[0] == only]
        for name, test in chosen:
            try:
                check, line = test(os.path.join(top, "ha" if name == "failover" else "replica"), binary)
            except Fatal as e:
                check, line = Check(), f"{name}: FAIL"
                check.fail(str(e))
            crash.report(not check.failures, line, check)
            failed += bool(check.failures)
    finally:
        for pgid in reversed(GROUPS):
            kill_group(pgid)
        for p in crash.CHILDREN:
            if p.poll() is None:
                p.kill()
        time.sleep(0.5)
        shutil.rmtree(top, ignore_errors=True)
    print(f"failover and replica: {len(chosen) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


# ------------------------------------------------------------------------------------ replica


def replica(top: str, binary: str) -> tuple[Check, str]:
    """A primary and a `pg_basebackup -R` streaming replica; the service reads reports there."""
    check = Check()
    started = time.monotonic()
    p1, p2 = free_ports(2)
    primary, standby = os.path.join(top, "primary"), os.path.join(top, "standby")
    out = run(top, ["initdb", "-D", primary, "-A", "trust", "-U", "postgres", "--no-sync"])
    if out.returncode != 0:
        raise Fatal(f"initdb: {out.stderr.strip()}")

    def start(pgdata: str, port: int, name: str) -> subprocess.Popen:
        p = spawn(top, ["postgres", "-D", pgdata, "-p", str(port), "-k", top, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"], f"{name}.log")
        wait_for(f"{name} accepts connections", lambda: psql(port, "select 1", db="postgres")[0], log=os.path.join(top, f"{name}.log"))
        return p

    start(primary, p1, "primary")
    ok, msg = psql(p1, "create database appeals", db="postgres")
    if not ok:
        raise Fatal(f"create database: {msg}")
    out = run(top, ["pg_basebackup", "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres", "-D", standby, "-R", "-X", "stream", "--checkpoint=fast"], timeout=120)
    if out.returncode != 0:
        raise Fatal(f"pg_basebackup -R: {out.stderr.strip()}")
    standby_proc = start(standby, p2, "standby")
    ok, rec = psql(p2, "select pg_is_in_recovery()")
    check.expect(ok and rec == "t", f"the replica is not in recovery: {rec}")

    work = os.path.join(top, "app")
    os.mkdir(work)
    server = Server(binary, work, f"postgres://postgres@127.0.0.1:{p1}/appeals", "postgres")
    read_url = f"postgres://postgres@127.0.0.1:{p2}/appeals"
    base_env = server.env

    def env(listen: str | None = None) -> dict[str, str]:
        e = base_env(listen)
        e.update(DATABASE_READ_URL=read_url, APPEALS_POOL_SIZE="3", RUST_LOG="warn,appeals=info")
        return e

    server.env = env  # type: ignore[method-assign]
    server.start()
    lags: list[float] = []
    took = 0.0
    try:
        admin = server.admin_token()
        clerk = server.add_user("clerk", "clerk", "Клерк")
        year = today_moscow()[:4]
        stats_url = f"{server.base}/api/v1/stats?from={year}-01-01&to={year}-12-31&compare=none"

        # Registrations from 4 clients; each card reads back at once (from the primary), and the
        # replica's lag is sampled meanwhile.
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                ok, v = psql(p1, "select coalesce(max(extract(epoch from replay_lag)), 0) from pg_stat_replication", db="postgres", timeout=3)
                if ok and v:
                    lags.append(float(v))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        received_on = today_moscow()

        def one(i: int) -> str | None:
            status, body, err = request("POST", server.base + "/api/v1/appeals", clerk, registration(i, received_on))
            if status != 201 or not isinstance(body, dict):
                return f"registration {i}: {status} {err or body!r:.200}"
            status, card, err = request("GET", f"{server.base}/api/v1/appeals/{body['id']}", clerk)
            if status != 200 or not isinstance(card, dict) or card.get("reg_number") != body.get("reg_number"):
                return f"card of registration {i} right after it: {status} {err or card!r:.200}"
            return None

        n = 600
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            for problem in pool.map(one, range(n)):
                if problem:
                    check.fail(problem)
        stop.set()
        sampler.join(timeout=5)

        # Statistics come from the replica, say how fresh, and catch up with the registrations.
        def caught_up():
            status, body, _ = request("GET", stats_url, admin)
            return body if status == 200 and isinstance(body, dict) and body.get("appeals", {}).get("current") == n else None

        try:
            body = wait_for("statistics on the replica count every registration", caught_up, timeout=30)
            check.expect(str(body.get("data_as_of", "")).startswith("данные на "), f"statistics read on the replica do not say how fresh: {body.get('data_as_of')!r}")
        except Fatal as e:
            check.fail(str(e))

        # Two of the primary pool's three connections held by registrations waiting on a row
        # lock (row locks do not reach the replica): statistics still answer, from the replica.
        locker = subprocess.Popen(
            ["psql", f"postgres://postgres@127.0.0.1:{p1}/appeals", "-v", "ON_ERROR_STOP=1", "-q"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert locker.stdin is not None
        locker.stdin.write("begin; select * from reg_counters for update;\n")
        locker.stdin.flush()
        time.sleep(1)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            stuck = [pool.submit(request, "POST", server.base + "/api/v1/appeals", clerk, registration(n + k, received_on), 60) for k in range(2)]
            time.sleep(1.5)
            t0 = time.monotonic()
            status, body, err = request("GET", stats_url, admin, timeout=20)
            took = time.monotonic() - t0
            check.expect(status == 200 and isinstance(body, dict) and "data_as_of" in body, f"statistics with the primary's pool held: {status} {err or body!r:.200}")
            check.expect(all(not f.done() for f in stuck), "the registrations meant to hold the primary's connections did not wait")
            locker.stdin.write("rollback;\n")
            locker.stdin.close()
            locker.wait(timeout=10)
            for f in stuck:
                st, b, e = f.result()
                check.expect(st == 201, f"a held registration after the lock went: {st} {e or b!r:.200}")

        # The replica gone: statistics fall back to the primary (no «данные на»), with a warning.
        kill_group(standby_proc.pid)
        standby_proc.wait(timeout=10)
        status, body, err = request("GET", stats_url, admin, timeout=20)
        check.expect(status == 200 and isinstance(body, dict) and "data_as_of" not in body and body.get("appeals", {}).get("current") == n + 2, f"statistics with the replica down: {status} {err or body!r:.200}")
        status, body, err = request("GET", f"{server.base}/health/ready", None)
        check.expect(status == 200, f"/health/ready with the replica down: {status} {err or body!r:.200}")
        time.sleep(0.5)
        check.expect("read replica not answering" in server.log_text(-1), "no warning in the log when the replica stopped answering")
        crash.check_logs(server, check)
    finally:
        server.stop()
    worst = max(lags, default=0.0)
    line = (
        f"replica: {'PASS' if not check.failures else 'FAIL'} - {len(lags)} samples of the replica's replay lag under {n} registrations "
        f"from 4 clients: max {worst * 1000:.0f} ms; statistics answered from the replica («данные на …») "
        f"in {took:.2f} s with the primary's pool held, and from the primary once the replica was killed; {time.monotonic() - started:.0f} s"
    )
    return check, line


TESTS = [("failover", failover), ("replica", replica)]


if __name__ == "__main__":
    sys.exit(main())
