#!/usr/bin/env python3
"""Crash safety: an acknowledged registration survives a SIGKILL of the server.

For SQLite and for PostgreSQL:

1. start `appeals serve` on a fresh database, create a clerk;
2. send 1,000 registrations (POST /api/v1/appeals) from 32 threads and SIGKILL the server
   once ~400 responses are in, so the kill lands while requests are in flight;
3. restart the server on the same database and data directory, then check that
   - every registration answered 201 is there and complete (GET /api/v1/appeals/{id}: same
     reg_number, applicant, summary, question) -- "acknowledged but missing" is the failure;
   - the whole registry (GET /api/v1/appeals?limit=100&cursor=... to the end) holds no duplicate
     registration numbers, no duplicate ids, no appeal registered twice, and no half-written
     appeal (every one has its applicant and its question);
   - appeals committed but never acknowledged (the server died before answering) are allowed,
     counted and printed, and each belongs to a request that did lose its connection;
   - registrations made after the restart get numbers no appeal already has;
   - no request was refused with an HTTP error and none failed before the kill.

Standard library only. Run from the repository root: `python3 .ci/crash.py`.
Env: CRASH_PG_ADMIN (default postgres://postgres@127.0.0.1:5432/postgres) is the database
used to create and drop a scratch database; when PostgreSQL cannot be reached the backend is
skipped, or failed when CI is set. Exit 0 only when every backend that ran passed.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "debug", "appeals")

TOTAL = 1000  # registrations sent
THREADS = 32  # concurrent senders
KILL_AFTER = 400  # responses received before the SIGKILL
MIN_ACKED = 300  # acknowledged registrations needed for the run to mean anything
AFTER_RESTART = 20  # registrations made after the restart
REQUEST_TIMEOUT = 10.0
HEALTH_TIMEOUT = 60.0
PG_ADMIN_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"

# Never route 127.0.0.1 through an http_proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

CHILDREN: list[subprocess.Popen] = []  # every server started, killed in the end if still alive


class Check:
    """Collects failures and notes of one backend."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.notes: list[str] = []

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def expect(self, cond: bool, msg: str) -> bool:
        if not cond:
            self.fail(msg)
        return cond


class Fatal(Exception):
    """A step that makes the rest of a backend's run pointless."""


# ---------------------------------------------------------------------------------------- HTTP


def request(method: str, url: str, token: str | None = None, body: object = None, timeout: float = REQUEST_TIMEOUT):
    """Returns (status, parsed JSON or text or None, error); status is None on a transport error."""
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return resp.status, _parse(resp.read()), None
    except urllib.error.HTTPError as e:
        try:
            raw = e.read()
        except Exception:  # noqa: BLE001 - the body of an error is best effort
            raw = b""
        return e.code, _parse(raw), None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        return None, None, reason


def _parse(raw: bytes):
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw[:300].decode("utf-8", "replace")


def is_timeout(err: object) -> bool:
    return isinstance(err, (TimeoutError, socket.timeout)) or "timed out" in str(err)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -------------------------------------------------------------------------------------- server


class Server:
    """`appeals serve` on one database and data directory; start, SIGKILL, restart."""

    def __init__(self, binary: str, workdir: str, database_url: str, backend: str) -> None:
        self.binary = binary
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.database_url = database_url
        self.backend = backend
        self.proc: subprocess.Popen | None = None
        self.base = ""
        self.starts = 0
        self.logs: list[str] = []

    def env(self, listen: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("APPEALS_")}
        env.update(
            DATABASE_URL=self.database_url,
            APPEALS_DATA_DIR=self.data_dir,
            APPEALS_CONFIG_DIR=os.path.join(ROOT, "config"),
            RUST_LOG="warn",
        )
        if listen:
            env["APPEALS_LISTEN"] = listen
        return env

    def start(self) -> None:
        self.starts += 1
        port = free_port()
        log_path = os.path.join(self.workdir, f"server-{self.starts}.log")
        self.logs.append(log_path)
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "serve"],
                cwd=ROOT,
                env=self.env(f"127.0.0.1:{port}"),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        CHILDREN.append(self.proc)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fatal(f"server exited with {self.proc.returncode} during start {self.starts}:\n{self.log_tail()}")
            status, body, _ = request("GET", self.base + "/health", timeout=2)
            if status == 200:
                if not (isinstance(body, dict) and body.get("database") == self.backend):
                    raise Fatal(f"/health answered {body!r}, expected database {self.backend!r}")
                return
            time.sleep(0.1)
        raise Fatal(f"no 200 from /health within {HEALTH_TIMEOUT:.0f} s (start {self.starts}):\n{self.log_tail()}")

    def sigkill(self) -> bool:
        """SIGKILLs the server; False when it was already gone (it died on its own)."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            return False
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def wait_dead(self) -> None:
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def add_user(self, login: str, role: str, name: str) -> str:
        out = subprocess.run(
            [self.binary, "user", "add", "--login", login, "--role", role, "--name", name],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        token = out.stdout.strip()
        if out.returncode != 0 or not token or "\n" in token:
            raise Fatal(f"`appeals user add --login {login}` exited {out.returncode}: stdout={out.stdout!r} stderr={out.stderr.strip()!r}")
        return token

    def admin_token(self) -> str:
        path = os.path.join(self.data_dir, "admin-token")
        try:
            with open(path, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            raise Fatal(f"no admin token after first start: {e}") from e
        if not token:
            raise Fatal(f"{path} is empty")
        return token

    def log_text(self, index: int) -> str:
        try:
            with open(self.logs[index], encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, IndexError):
            return ""

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text(-1).splitlines()[-lines:])


# ------------------------------------------------------------------------------------ the test


def today_moscow() -> str:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3)).date().isoformat()


def registration(i: int, received_on: str) -> dict:
    return {
        "channel": "post",
        "form": "written",
        "kind": "complaint",
        "received_on": received_on,
        "applicants": [{"full_name": f"Заявитель {i}", "postal_address": f"169300, г. Ухта, ул. Ленина, д. {i}"}],
        "summary": f"Обращение {i}",
        "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт"}],
        "reply_channel": "post",
    }


def card_problems(card: object, i: int, list_item: bool = False) -> list[str]:
    """What is wrong with a card that should hold registration `i` (empty when nothing). A list
    item carries no contacts (personal data is read card by card), so there the address must be
    absent rather than equal."""
    if not isinstance(card, dict):
        return [f"not a card: {card!r:.200}"]
    out = []
    if card.get("summary") != f"Обращение {i}":
        out.append(f"summary {card.get('summary')!r}")
    apps = card.get("applicants")
    if not (isinstance(apps, list) and len(apps) == 1 and isinstance(apps[0], dict)):
        out.append(f"applicants {apps!r:.200}")
    elif apps[0].get("full_name") != f"Заявитель {i}" or apps[0].get("postal_address") != (None if list_item else f"169300, г. Ухта, ул. Ленина, д. {i}"):
        out.append(f"applicant {apps[0]!r:.200}")
    qs = card.get("questions")
    if not (isinstance(qs, list) and len(qs) == 1 and isinstance(qs[0], dict)):
        out.append(f"questions {qs!r:.200}")
    elif qs[0].get("code") != "0003.0009.0097.0699" or qs[0].get("text") != "ремонт":
        out.append(f"question {qs[0]!r:.200}")
    if not card.get("reg_number"):
        out.append("no reg_number")
    return out


def index_of(card: dict) -> int | None:
    """The registration index `i` a card was sent with, read from its summary."""
    s = card.get("summary")
    if isinstance(s, str) and s.startswith("Обращение "):
        try:
            return int(s[len("Обращение "):])
        except ValueError:
            return None
    return None


def load_and_kill(server: Server, token: str, check: Check) -> dict:
    """Sends TOTAL registrations, SIGKILLs the server after KILL_AFTER responses."""
    url = server.base + "/api/v1/appeals"
    received_on = today_moscow()
    lock = threading.Lock()
    responded = 0
    enough = threading.Event()
    all_done = threading.Event()
    kill = {"at": None, "responses": None, "ok": None}
    results: list[dict | None] = [None] * TOTAL

    def send(i: int) -> None:
        nonlocal responded
        t0 = time.monotonic()
        status, body, err = request("POST", url, token, registration(i, received_on))
        t1 = time.monotonic()
        results[i] = {"i": i, "status": status, "body": body, "err": err, "t0": t0, "t1": t1}
        with lock:
            responded += 1
            if responded >= KILL_AFTER:
                enough.set()

    def killer() -> None:
        while not enough.wait(0.05):
            if all_done.is_set():
                return
        with lock:
            kill["responses"] = responded
            # Taken before the signal: a request that failed earlier than this failed on its own.
            kill["at"] = time.monotonic()
            kill["ok"] = server.sigkill()

    kt = threading.Thread(target=killer, name="killer", daemon=True)
    kt.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(send, range(TOTAL)))
    all_done.set()
    kt.join(timeout=10)
    server.wait_dead()

    if kill["at"] is None:
        raise Fatal(f"the kill never happened ({responded} responses)")
    if not kill["ok"]:
        raise Fatal(f"the server was already dead when the kill came:\n{server.log_tail()}")

    acked: dict[int, dict] = {}
    lost: set[int] = set()  # transport errors once the server was dead: expected
    in_flight = 0  # of those, sent before the kill
    for r in results:
        assert r is not None
        i = r["i"]
        if r["status"] == 201 and isinstance(r["body"], dict) and r["body"].get("id") and r["body"].get("reg_number"):
            acked[i] = r["body"]
        elif r["status"] is not None:
            check.fail(f"registration {i}: HTTP {r['status']} {r['body']!r:.300}")
        elif r["t1"] < kill["at"]:
            what = "timed out" if is_timeout(r["err"]) else "failed"
            check.fail(f"registration {i} {what} before the kill: {r['err']!r}")
        else:
            lost.add(i)
            if r["t0"] < kill["at"]:
                in_flight += 1
    before = sum(1 for r in results if r and r["i"] in acked and r["t1"] < kill["at"])
    check.expect(before >= MIN_ACKED, f"only {before} registrations acknowledged before the kill (need {MIN_ACKED})")
    check.expect(kill["responses"] < TOTAL and lost, f"the kill did not land mid-run ({kill['responses']} responses, {len(lost)} lost)")
    return {"acked": acked, "lost": lost, "in_flight": in_flight, "kill_responses": kill["responses"]}


def parallel(fn, items, workers: int = 8):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def verify(server: Server, admin: str, clerk: str, run: dict, check: Check) -> dict:
    acked: dict[int, dict] = run["acked"]
    lost: set[int] = run["lost"]

    # Every acknowledged registration reads back whole, with the number it was given.
    def read(item):
        i, card = item
        return i, card, request("GET", f"{server.base}/api/v1/appeals/{card['id']}", admin)

    missing = 0
    for i, card, (status, body, err) in parallel(read, sorted(acked.items())):
        if status == 404:
            missing += 1
            check.fail(f"acknowledged registration {i} ({card['reg_number']}, {card['id']}) is missing")
        elif status != 200:
            check.fail(f"GET acknowledged registration {i} ({card['id']}): {status} {err or body!r:.300}")
        else:
            problems = card_problems(body, i)
            if body.get("id") != card["id"]:
                problems.append(f"id {body.get('id')!r}")
            if body.get("reg_number") != card["reg_number"]:
                problems.append(f"reg_number {body.get('reg_number')!r}, acknowledged as {card['reg_number']!r}")
            if problems:
                check.fail(f"acknowledged registration {i} ({card['id']}) came back different: {'; '.join(problems)}")
    acked_numbers = [c["reg_number"] for c in acked.values()]
    dup = {n for n in acked_numbers if acked_numbers.count(n) > 1}
    check.expect(not dup, f"one number acknowledged for several registrations: {sorted(dup)[:10]}")

    # New registrations after the crash get numbers nobody has.
    received_on = today_moscow()
    fresh_idx = list(range(TOTAL, TOTAL + AFTER_RESTART))
    fresh: dict[int, dict] = {}
    for i, (status, body, err) in zip(fresh_idx, parallel(lambda i: request("POST", server.base + "/api/v1/appeals", clerk, registration(i, received_on)), fresh_idx)):
        if status == 201 and isinstance(body, dict) and body.get("reg_number"):
            fresh[i] = body
        else:
            check.fail(f"registration {i} after the restart: {status} {err or body!r:.300}")

    # The whole registry, page by page.
    items: list[dict] = []
    cursor = None
    seen_cursors = set()
    pages = 0
    while True:
        q = {"limit": "100"}
        if cursor:
            q["cursor"] = cursor
        status, body, err = request("GET", f"{server.base}/api/v1/appeals?{urllib.parse.urlencode(q)}", admin, timeout=30)
        pages += 1
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("items"), list):
            check.fail(f"registry page {pages}: {status} {err or body!r:.300}")
            break
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            break
        if cursor in seen_cursors or pages > 10 * (TOTAL + AFTER_RESTART) // 100 + 10:
            check.fail(f"registry walk does not end (page {pages}, cursor {cursor!r})")
            break
        seen_cursors.add(cursor)

    ids = [c.get("id") for c in items]
    numbers = [c.get("reg_number") for c in items]
    distinct_numbers = len(set(numbers))
    if len(set(ids)) != len(ids):
        check.fail(f"the registry walk returns {len(ids) - len(set(ids))} appeals twice (paging)")
    if distinct_numbers != len(numbers):
        seen, dups = set(), set()
        for n in numbers:
            (dups if n in seen else seen).add(n)
        check.fail(f"duplicate registration numbers in the registry: {len(numbers) - distinct_numbers} ({sorted(dups)[:10]})")
    by_index: dict[int, list[dict]] = {}
    for c in items:
        i = index_of(c)
        if i is None:
            check.fail(f"appeal {c.get('id')} is not one of ours: summary {c.get('summary')!r}")
            continue
        by_index.setdefault(i, []).append(c)
        problems = card_problems(c, i, list_item=True)
        if problems:
            check.fail(f"appeal {c.get('id')} (registration {i}) is incomplete in the registry: {'; '.join(problems)}")
    twice = sorted(i for i, cs in by_index.items() if len(cs) > 1)
    check.expect(not twice, f"registrations stored more than once: {twice[:10]}")
    listed = set(ids)
    not_listed = [i for i, c in acked.items() if c["id"] not in listed]
    check.expect(not not_listed, f"{len(not_listed)} acknowledged registrations are not in the registry list: {sorted(not_listed)[:10]}")
    not_listed_fresh = [i for i, c in fresh.items() if c["id"] not in listed]
    check.expect(not not_listed_fresh, f"{len(not_listed_fresh)} post-restart registrations are not in the registry list")

    acked_ids = {c["id"] for c in acked.values()} | {c["id"] for c in fresh.values()}
    unacked = [c for c in items if c.get("id") not in acked_ids]
    for c in unacked:
        i = index_of(c)
        if i is not None and i not in lost:
            check.fail(f"appeal {c.get('id')} (registration {i}) is stored, but its request did not lose its connection")
    return {
        "missing": missing,
        "registry": len(items),
        "distinct": distinct_numbers,
        "unacked": len(unacked),
        "fresh": len(fresh),
        "pages": pages,
    }


def check_logs(server: Server, check: Check) -> None:
    for n, path in enumerate(server.logs, 1):
        text = server.log_text(n - 1)
        if "panicked" in text:
            line = next(l for l in text.splitlines() if "panicked" in l)
            check.fail(f"server start {n} panicked: {line[:300]}")
        errors = [l for l in text.splitlines() if " ERROR " in l]
        if errors:
            check.notes.append(f"server start {n} logged {len(errors)} ERROR lines, first: {errors[0][:300]}")


def run_backend(backend: str, binary: str, database_url: str, workdir: str) -> tuple[bool, str, Check]:
    check = Check()
    started = time.monotonic()
    server = Server(binary, workdir, database_url, backend)
    stats: dict = {}
    try:
        server.start()
        admin = server.admin_token()
        clerk = server.add_user("clerk", "clerk", "Клерк")
        run = load_and_kill(server, clerk, check)
        server.start()
        stats = verify(server, admin, clerk, run, check)
        stats["acked"] = len(run["acked"])
        stats["lost"] = len(run["lost"])
        stats["kill_responses"] = run["kill_responses"]
        stats["in_flight"] = run["in_flight"]
    except Fatal as e:
        check.fail(str(e))
    finally:
        server.stop()
    check_logs(server, check)
    if check.failures:
        for n in range(len(server.logs)):
            tail = "\n    ".join(server.log_text(n).splitlines()[-8:])
            check.notes.append(f"server start {n + 1} log tail:\n    {tail}")
    seconds = time.monotonic() - started
    ok = not check.failures
    if stats:
        line = (
            f"{backend}: {'PASS' if ok else 'FAIL'} - killed after {stats['kill_responses']} responses "
            f"with {stats['in_flight']} in flight; "
            f"acknowledged {stats['acked']}, acknowledged-but-missing {stats['missing']}, "
            f"registered-but-unacknowledged {stats['unacked']} (of {stats['lost']} lost requests), "
            f"after restart +{stats['fresh']}; registry {stats['registry']}, distinct numbers {stats['distinct']}; "
            f"{seconds:.1f} s"
        )
    else:
        line = f"{backend}: FAIL - {seconds:.1f} s"
    return ok, line, check


# ------------------------------------------------------------------------------------ backends


def psql(admin_url: str, sql: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def pg_reachable(admin_url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    if shutil.which("psql") is None:
        return "psql is not installed"
    try:
        out = psql(admin_url, "select 1", timeout=10)
    except subprocess.TimeoutExpired:
        return f"psql {admin_url} timed out"
    if out.returncode != 0 or out.stdout.strip() != "1":
        msg = " ".join((out.stderr.strip() or out.stdout.strip()).split())
        return f"psql {admin_url}: {msg}"
    return None


def report(ok: bool, line: str, check: Check) -> None:
    print(line, flush=True)
    for f in check.failures[:40]:
        print(f"  FAIL: {f}")
    if len(check.failures) > 40:
        print(f"  ... and {len(check.failures) - 40} more failures")
    for n in check.notes:
        print(f"  note: {n}")
    sys.stdout.flush()


def ensure_binary() -> None:
    if not os.path.exists(BINARY):
        print("crash-safety: target/debug/appeals is missing; running `cargo build`", flush=True)
        subprocess.run(["cargo", "build"], cwd=ROOT, check=False)
    if not os.path.exists(BINARY):
        print("crash-safety: FAIL: target/debug/appeals could not be built")
        sys.exit(1)


def main() -> int:
    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    ensure_binary()
    passed = failed = 0
    top = tempfile.mkdtemp(prefix="appeals-crash-")
    pg_db = None
    pg_admin = os.environ.get("CRASH_PG_ADMIN") or PG_ADMIN_DEFAULT
    try:
        # A private copy: a concurrent `cargo build` must not swap the binary between the kill and the restart.
        binary = os.path.join(top, "appeals")
        shutil.copy2(BINARY, binary)

        workdir = os.path.join(top, "sqlite")
        os.mkdir(workdir)
        ok, line, check = run_backend("sqlite", binary, f"sqlite://{workdir}/appeals.db", workdir)
        report(ok, line, check)
        passed, failed = passed + ok, failed + (not ok)

        why = pg_reachable(pg_admin)
        if why is not None:
            if os.environ.get("CI"):
                print(f"postgres: FAIL - CI is set but PostgreSQL cannot be reached ({why})")
                failed += 1
            else:
                print(f"postgres: SKIP - PostgreSQL not reachable ({why})")
        else:
            name = f"appeals_crash_{os.getpid()}"
            parts = urllib.parse.urlsplit(pg_admin)
            db_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
            out = psql(pg_admin, f"drop database if exists {name} with (force)")
            out = psql(pg_admin, f"create database {name}")
            if out.returncode != 0:
                print(f"postgres: FAIL - create database {name}: {out.stderr.strip()}")
                failed += 1
            else:
                pg_db = name
                workdir = os.path.join(top, "postgres")
                os.mkdir(workdir)
                ok, line, check = run_backend("postgres", binary, db_url, workdir)
                report(ok, line, check)
                passed, failed = passed + ok, failed + (not ok)
    finally:
        for p in CHILDREN:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        if pg_db is not None:
            out = psql(pg_admin, f"drop database if exists {pg_db} with (force)")
            if out.returncode != 0:
                print(f"crash-safety: warning: could not drop database {pg_db}: {out.stderr.strip()}")
        shutil.rmtree(top, ignore_errors=True)
    print(f"crash-safety: held on {passed} of {passed + failed} backends")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
