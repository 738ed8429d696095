"""The ``survey`` command against a real database: in this process where a test is
about what a command prints, exits with or does (see cli_run), in real processes where
it is about the process (a signal, the embedded server, an unreachable database)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import Ran, survey
from fastdisk import memory_dir

from survey.config import load_settings
from survey.db import Conn

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str], stdin: str = "") -> Ran:
    return survey(args, env, stdin)


def process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m survey ARGS`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "survey", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


async def test_user_and_key_commands(database_url: str, conn: Conn) -> None:
    env = {"SURVEY_DATABASE_URL": database_url}
    assert run(["db", "upgrade"], env).returncode == 0
    await conn.execute("INSERT INTO programs (slug, name) VALUES ('king', 'King County')")
    added = run(
        [
            "user",
            "add",
            "pat@example.org",
            "--role",
            "grantee",
            "--program",
            "king",
            "--password-stdin",
        ],
        env,
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "created user" in added.stdout
    key = run(["key", "create", "--user", "pat@example.org", "--name", "cli"], env)
    assert key.returncode == 0, key.stderr
    token = key.stdout.strip()
    assert token.startswith("sk_") and "shown only this once" in key.stderr
    row = await conn.fetchrow(
        "SELECT u.role, m.program_id FROM api_keys k JOIN users u ON u.id = k.user_id "
        "JOIN program_members m ON m.user_id = u.id WHERE k.key_hash = sha256($1::text::bytea)",
        token,
    )
    assert row["role"] == "grantee"


async def test_errors_are_one_line_and_nonzero(database_url: str) -> None:
    env = {"SURVEY_DATABASE_URL": database_url}
    missing = run(
        ["user", "add", "x@example.org", "--role", "grantee", "--program", "nope", "--no-password"],
        env,
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == "survey: error: no program with slug 'nope'"
    bad_setting = run(["db", "status"], {**env, "SURVEY_PORT": "eighty"})
    assert bad_setting.returncode == 1
    assert bad_setting.stderr == "survey: error: SURVEY_PORT must be a whole number, not 'eighty'\n"


def _closed_port() -> int:
    """A port nothing listens on (the system's choice, released at once)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_misconfiguration_is_one_line_naming_the_setting() -> None:
    """No database is started: each mistake is caught before one would be needed."""
    import socket

    db_port = _closed_port()
    refused = f"postgresql://survey:secret@127.0.0.1:{db_port}/survey"
    base = {"SURVEY_DATABASE_URL": refused, "SURVEY_SECRET_KEY": "k" * 32,
            "SURVEY_HOST": "127.0.0.1", "SURVEY_PORT": str(_closed_port())}
    cannot_connect = (
        f"survey: error: cannot connect to the database at 127.0.0.1:{db_port} "
        "(SURVEY_DATABASE_URL): connection refused\n"
    )

    def fails(args: list[str], env: dict[str, str]) -> str:
        done = run(args, {**base, **env})
        assert done.returncode == 1, done.stderr
        return done.stderr

    def process_fails(args: list[str]) -> str:
        """A real process: with its database away, it must still end, one line said."""
        done = process(args, base)
        assert done.returncode == 1, done.stderr
        return done.stderr

    assert fails(["db", "status"], {"SURVEY_DATABASE_URL": "not a url"}) == (
        "survey: error: SURVEY_DATABASE_URL is not a valid PostgreSQL URL "
        "(postgresql://USER@HOST:PORT/DATABASE)\n"
    )
    assert process_fails(["db", "status"]) == cannot_connect
    assert process_fails(["serve"]) == cannot_connect
    assert fails(["serve"], {"SURVEY_PORT": "abc"}) == (
        "survey: error: SURVEY_PORT must be a whole number, not 'abc'\n"
    )
    assert fails(["serve", "--workers", "0"], {}) == (
        "survey: error: --workers must be a whole number >= 1, not 0\n"
    )
    assert fails(["serve", "--workers", "-3"], {}) == (
        "survey: error: --workers must be a whole number >= 1, not -3\n"
    )
    assert fails(["serve"], {"SURVEY_WORKERS": "0"}) == (
        "survey: error: SURVEY_WORKERS must be a whole number >= 1, not '0'\n"
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # Checked before the database: the refused URL would fail otherwise.
        assert fails(["serve"], {"SURVEY_PORT": str(port)}) == (
            f"survey: error: port {port} on 127.0.0.1 is already in use (SURVEY_PORT)\n"
        )
        assert fails(["serve", "--port", str(port)], {}) == (
            f"survey: error: port {port} on 127.0.0.1 is already in use (--port)\n"
        )


async def test_duplicate_user_is_a_clear_error(database_url: str) -> None:
    env = {"SURVEY_DATABASE_URL": database_url}
    args = ["user", "add", "sam@example.org", "--role", "admin", "--no-password"]
    assert run(args, env).returncode == 0
    again = run(args, env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "already exists" in again.stderr


@pytest.fixture
def pg_home() -> Iterator[Path]:
    """A data directory for an embedded server, outside pytest's private tmp root.

    pytest keeps /tmp/pytest-of-<user> at mode 0700 (and resets it whenever another
    session starts), but the server runs as its own system user and must traverse
    the path.
    """
    path = Path(tempfile.mkdtemp(prefix="survey-cli-test-", dir=memory_dir()))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_embedded_database_starts_and_keeps_data(pg_home: Path) -> None:
    tmp_path = pg_home
    """No database URL: the embedded server starts, seeds, and keeps data across restarts."""
    env = {"SURVEY_DATA_DIR": str(tmp_path / "data"), "SURVEY_DATABASE_URL": ""}
    env.pop("SURVEY_DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if k != "SURVEY_DATABASE_URL"}
    first = subprocess.run(
        [sys.executable, "-m", "survey", "demo", "--seed-only", "--port", "8012"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert first.returncode == 0, first.stderr[-2000:]
    assert "admin API key" in first.stdout and "open link (King County)" in first.stdout
    # The links follow the port the demo serves on when no public URL is set.
    links = [line.split()[-1] for line in first.stdout.splitlines() if "http" in line]
    assert len(links) >= 4 and all(u.startswith("http://127.0.0.1:8012/") for u in links)
    assert (tmp_path / "data" / "pgdata" / "PG_VERSION").exists()
    second = subprocess.run(
        [sys.executable, "-m", "survey", "demo", "--seed-only"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert second.returncode == 0, second.stderr[-2000:]
    assert "demo data already present" in second.stderr
    status = subprocess.run(
        [sys.executable, "-m", "survey", "db", "status"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "0001_init\tapplied" in status.stdout


def test_serve_stops_embedded_database_on_sigterm(pg_home: Path) -> None:
    tmp_path = pg_home
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k != "SURVEY_DATABASE_URL"}
    env = {**clean, "SURVEY_DATA_DIR": str(tmp_path), "SURVEY_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        proc.stderr.read() if proc.stderr else "no output"
                    ) from None
                time.sleep(0.3)
        assert (tmp_path / "pgdata" / "postmaster.pid").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    # pg_ctl removes postmaster.pid once the server has shut down cleanly.
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """Every command builds the whole parser; building it must not import the report,
    the web framework or the statistics stack, so `survey db status` answers at once."""
    code = (
        "import sys; from survey.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('scipy', 'numpy', 'matplotlib', 'pandas', 'litestar', "
        "'survey.report', 'survey.services.waves') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
        check=True,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"SURVEY_PORT": "8011"}, "http://127.0.0.1:8011"),
        ({"SURVEY_HOST": "0.0.0.0", "SURVEY_PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"SURVEY_HOST": "::1", "SURVEY_PORT": "9000"}, "http://[::1]:9000"),
        ({"SURVEY_HOST": "survey.lan"}, "http://survey.lan:8000"),
        ({"SURVEY_PORT": "8011", "SURVEY_PUBLIC_BASE_URL": "https://x.org/s"}, "https://x.org/s"),
        # A trailing slash would double the one every link path starts with.
        ({"SURVEY_PUBLIC_BASE_URL": "https://x.org/s/"}, "https://x.org/s"),
        ({"SURVEY_PUBLIC_BASE_URL": "https://x.org/"}, "https://x.org"),
    ],
)
def test_public_url_defaults_to_where_the_server_listens(
    env: dict[str, str], expected: str
) -> None:
    assert load_settings(env).public_base_url == expected


def test_report_checks_its_output_before_the_database(tmp_path: Path) -> None:
    """A database nobody can reach: the unwritable -o is named before one is needed,
    not after the whole report was built."""
    refused = {"SURVEY_DATABASE_URL": f"postgresql://survey:x@127.0.0.1:{_closed_port()}/s"}
    missing = tmp_path / "nonexistent" / "r.json"
    done = run(["report", "king", "-o", str(missing)], refused)
    assert done.returncode == 1
    assert done.stderr == (f"survey: error: -o {missing}: the directory {missing.parent} does "
                           "not exist; create it first or name a file in an existing directory\n")
    done = run(["report", "king", "-f", "text", "-o", str(tmp_path)], refused)
    assert done.returncode == 1
    assert done.stderr == (f"survey: error: -o {tmp_path}: is a directory; name a file in it, "
                           f"e.g. -o {tmp_path / 'report.txt'}\n")


def test_progress_prints_its_last_line_once(capsys: pytest.CaptureFixture[str]) -> None:
    from survey.cli.common import Progress

    bar = Progress("exporting wave.csv", 3)
    bar.advance(3)  # the last chunk of rows
    bar.advance(0)  # the writer's end
    assert capsys.readouterr().err == "· exporting wave.csv: 3/3 (100%)\n"
