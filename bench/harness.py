"""What the load benchmarks and the fault tests share: a real gunicorn server in its own process group,
a small database ready for kiosk submissions, and clients that retry until the server confirms.

Nothing here is a stand-in: the server is `gunicorn 'sipas:create_app()'` as the README deploys it, the
database is SQLite (WAL) or PostgreSQL, and the clients speak HTTP over loopback.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = {"S0": 5, "S1": 4, "S2": 4, "S3": 5, "S4": 3, "S5": 4}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Target:
    """What a client needs to submit kiosk ratings: the round, agency, service point and a device token."""

    round: str
    agency: str
    service_point: str
    token: str

    def body(self, response_id: str, seq: int | None = None) -> dict:
        body = {"id": response_id, "round": self.round, "agency": self.agency, "service_point": self.service_point,
                "channel": "kiosk", "profile": "KIOSK_RT", "answers": ANSWERS}
        if seq is not None:
            body["device_seq"] = seq
        return body


def prepare_kiosk_round(url: str, *, code: str = "LOAD-2026") -> Target:
    """Create the schema (migrations), one agency with a service point, an open kiosk round and a device."""
    from datetime import date, timedelta

    from sipas import create_app, migrate
    from sipas.db import session_factory, session_scope
    from sipas.models import AdminMap, AdminUnit, Agency, AgencyKind, Level, Round, RoundStatus, ServicePoint
    from sipas.services import credentials

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "harness", "DEMO_ON_FIRST_START": False})
    with session_scope(app) as session:
        province = AdminUnit(code="98", name="Tỉnh Tải", admin_map=AdminMap.NEW_34, level=Level.PROVINCE)
        agency = Agency(code="L.A0", name="Sở Tải", kind=AgencyKind.DEPARTMENT, level=Level.PROVINCE, unit=province)
        agency.service_points.append(ServicePoint(code="L.A0.MC", name="Một cửa"))
        session.add(Round(code=code, name="Tải", year=2026, method_version="KIOSK_RT", profile_key="KIOSK_RT",
                          admin_map=AdminMap.NEW_34, jurisdiction=province, opens_on=date.today() - timedelta(days=1),
                          closes_on=date.today() + timedelta(days=30), status=RoundStatus.OPEN,
                          channels=["kiosk", "online"], agencies=[agency]))
        session.flush()
        _, token = credentials.enrol_kiosk(session, "L.A0.MC")
    session_factory(app).kw["bind"].dispose()
    return Target(code, "L.A0", "L.A0.MC", token)


class Server:
    """gunicorn in a process group of its own, so that kill() can take the master and all workers at once."""

    def __init__(self, app_spec: str, env: dict, *, workers: int = 2, threads: int = 1, port: int | None = None,
                 log: Path | None = None):
        self.app_spec, self.workers, self.threads = app_spec, workers, threads
        self.port = port or free_port()
        self.env = {**os.environ, "SIPAS_RATELIMIT_ENABLED": "false", "SIPAS_DEMO_ON_FIRST_START": "false", **env}
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> "Server":
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
               "--graceful-timeout", "5", "--log-level", "warning"]
        if self.threads > 1:
            cmd += ["-k", "gthread", "--threads", str(self.threads)]
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(cmd + [self.app_spec], cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            if self.log:
                out.close()  # the child holds its own descriptor
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode} (log: {self.log})")
            try:
                # The master listens before the workers have imported the app: wait for an answer.
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return self
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        raise RuntimeError("gunicorn did not start listening")

    def kill(self) -> None:
        """SIGKILL to the master and every worker: no cleanup, no graceful shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def post_json(port: int, path: str, body: dict, token: str, timeout: float = 10.0) -> tuple[int, dict]:
    """One POST; raises OSError/HTTPException when the connection fails."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json",
                                                     "Authorization": f"Bearer {token}"})
        reply = conn.getresponse()
        data = reply.read()
        try:
            return reply.status, json.loads(data or b"{}")
        except ValueError:
            return reply.status, {"raw": data[:200].decode(errors="replace")}
    finally:
        conn.close()


@dataclass
class ClientLog:
    """What the clients saw: the final status per response id and every failed attempt."""

    final: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0
    gave_up: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict:
        """Counts for the record: confirmed, statuses seen on every attempt, connection errors."""
        finals = list(self.final.values())
        return {"responses": len(finals), "confirmed_201": finals.count(201), "confirmed_200": finals.count(200),
                "attempt_statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "connection_errors": self.connection_errors, "gave_up": len(self.gave_up)}

    def saw(self, status: int | None) -> None:
        with self.lock:
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] = self.statuses.get(status, 0) + 1


def submit_until_confirmed(port_of, target: Target, ids: list[str], log: ClientLog, *, first_seq: int = 1,
                           deadline: float = 120.0, pause: float = 0.05) -> None:
    """Send each response until the server says 201 or 200, retrying (same id, same body) after a
    connection error or a 5xx, as the kiosk does. `port_of()` gives the port to use now (it may change
    when the server is restarted)."""
    stop_at = time.monotonic() + deadline
    for offset, response_id in enumerate(ids):
        body = target.body(response_id, first_seq + offset)
        while True:
            try:
                status, _ = post_json(port_of(), "/api/v1/responses", body, target.token)
            except (OSError, http.client.HTTPException):
                status = None
            log.saw(status)
            if status in (200, 201):
                with log.lock:
                    log.final[response_id] = status
                break
            if status is not None and status < 500:
                with log.lock:
                    log.final[response_id] = status
                break
            if time.monotonic() > stop_at:
                log.gave_up.append(response_id)
                break
            time.sleep(pause)


def start_clients(port_of, target: Target, batches: list[list[str]], log: ClientLog, *, deadline: float = 90,
                  pause: float = 0.05) -> list[threading.Thread]:
    """One thread per batch of ids, each submitting until confirmed (submit_until_confirmed); started."""
    per_client = len(batches[0]) if batches else 0
    threads = [threading.Thread(target=submit_until_confirmed, args=(port_of, target, ids, log),
                                kwargs={"first_seq": 1 + c * per_client, "deadline": deadline, "pause": pause})
               for c, ids in enumerate(batches)]
    for t in threads:
        t.start()
    return threads


def wait_for_confirmed(log: ClientLog, count: int, timeout: float = 30) -> int:
    """Block until `count` responses are confirmed (or the timeout); returns how many are."""
    stop_at = time.monotonic() + timeout
    while len(log.final) < count and time.monotonic() < stop_at:
        time.sleep(0.01)
    return len(log.final)


def record(name: str, figures: dict) -> None:
    """Append a fault run's figures to test-artifacts/reliability.jsonl (quoted in docs/reliability.md)."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    with open(folder / "reliability.jsonl", "a") as out:
        out.write(json.dumps({"test": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), **figures}) + "\n")


def new_ids(n: int, prefix: int) -> list[str]:
    """n UUIDs whose first 32 bits are `prefix`, so one run's responses can be counted in the database."""
    return [str(uuid.UUID(int=(prefix << 96) | (uuid.uuid4().int & ((1 << 96) - 1)))) for _ in range(n)]
