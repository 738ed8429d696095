"""``survey export`` and ``survey import responses`` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from cli_run import asurvey
from seeding import HEADER, seed_wave

from survey import export as exporting
from survey.cli import main
from survey.db import Conn


async def _survey(database_url: str, *args: str) -> tuple[int, str, str]:
    """The command in this process (see cli_run): what it prints, writes and exits
    with, without importing the app again in a new process each time."""
    ran = await asurvey(
        args, {"SURVEY_DATABASE_URL": database_url, "SURVEY_SECRET_KEY": "cli-test"})
    return ran.returncode, ran.stdout, ran.stderr


async def test_export_and_paper_import(conn: Conn, resources: Any, actors: Any,
                                       database_url: str, tmp_path: Path) -> None:
    seeded = await seed_wave(conn, resources, actors.programs["own"])
    target = tmp_path / "wave.dta"
    code, out, err = await _survey(database_url, "export", str(seeded.wave_id), "--format",
                                   "dta", "--output", str(target))
    assert code == 0, err
    assert "15 responses" in out and "exporting wave.dta: 15/15 (100%)" in err
    assert err.count("(100%)") == 1, err  # the last line once, not once per writer step
    df, meta = pyreadstat.read_dta(str(target))
    assert len(df) == 15 and meta.variable_value_labels["gender"][1] == "Woman"
    code, out, err = await _survey(database_url, "export", str(seeded.wave_id), "--lang", "zz",
                                   "--output", str(tmp_path / "zz.csv"))
    assert code == 1 and err.startswith("survey: error: --lang zz: not a language we have; "
                                         "use one of en, es"), err
    assert not (tmp_path / "zz.csv").exists()

    bad = tmp_path / "paper.csv"
    bad.write_text(f"{HEADER}\nBig,en,,2,3,woman,asian,no,,,\nBig,xx,,9,3,woman,,no,,,\n"
                   "Big,en,,1,1,man,white,no,meeting,,\n", encoding="utf-8")
    code, out, err = await _survey(database_url, "import", "responses", str(bad), "--wave",
                                   str(seeded.wave_id))
    assert code == 1
    assert "row 3: language" in err and "row 3: safety_dark" in err
    # Its own reason only, not also "should be blank" from the skip rule.
    assert err.count("row 3: safety_dark") == 1, err
    assert "row 4: participate_kinds" in err  # skip logic: only asked when aware
    assert await conn.fetchval("SELECT count(*) FROM responses WHERE channel = 'paper'") == 15

    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nSmall,es,2026-04-02,2,3,woman,asian,no,,,\n", encoding="utf-8")
    code, out, err = await _survey(database_url, "import", "responses", str(good), "--wave",
                                   str(seeded.wave_id))
    assert code == 0, err
    assert "imported 1 paper response" in out, out
    row = await conn.fetchrow(
        "SELECT language, status, submitted_at::date AS day FROM responses "
        "WHERE channel = 'paper' ORDER BY id DESC LIMIT 1")
    assert (row["language"], row["status"], str(row["day"])) == ("es", "complete", "2026-04-02")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_output_and_lang_are_checked_before_the_database(tmp_path: Path) -> None:
    """A database nobody can reach: each mistake is named before one would be needed."""
    refused = f"postgresql://survey:x@127.0.0.1:{_closed_port()}/survey"
    code, _, err = await _survey(refused, "export", "4", "-o", str(tmp_path))
    assert code == 1
    assert err == (f"survey: error: -o {tmp_path}: is a directory; name a file in it, "
                   f"e.g. -o {tmp_path / 'wave-4.csv'}\n")
    assert list(tmp_path.parent.glob(f"{tmp_path.name}*")) == [tmp_path]
    missing = tmp_path / "nonexistent" / "x.csv"
    code, _, err = await _survey(refused, "export", "4", "-o", str(missing))
    assert code == 1
    assert err == (f"survey: error: -o {missing}: the directory {missing.parent} does not "
                   "exist; create it first or name a file in an existing directory\n")
    code, _, err = await _survey(refused, "export", "4", "--lang", "xx")
    assert code == 1 and err.startswith("survey: error: --lang xx: not a language we have; "
                                        "use one of en, es"), err


async def test_an_empty_wave_says_so_and_writes_the_variables_only(
    conn: Conn, resources: Any, actors: Any, database_url: str, tmp_path: Path
) -> None:
    seeded = await seed_wave(conn, resources, actors.programs["own"], big=0, small=0)
    target = tmp_path / "empty.csv"
    code, out, err = await _survey(database_url, "export", str(seeded.wave_id), "-o",
                                   str(target))
    assert code == 0, err
    assert err == (f"· wave {seeded.wave_id} has no completed responses to export: "
                   "empty.csv gets the variables only\n")
    assert out.startswith(f"{target} (0 responses, ")
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 and lines[0].startswith("resp_id,wave_id,phase,site_id,"), lines


async def test_no_such_wave(database_url: str) -> None:
    code, _, err = await _survey(database_url, "export", "999999")
    assert (code, err) == (1, "survey: error: WAVE 999999: no such wave\n")


async def test_an_interrupted_export_leaves_no_part_file(
    conn: Conn, resources: Any, actors: Any, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = await seed_wave(conn, resources, actors.programs["own"])
    target = tmp_path / "wave.csv"
    seen: list[Path] = []
    real = exporting.export_bytes

    async def interrupted(*args: Any, **kwargs: Any) -> Any:
        async for piece in real(*args, **kwargs):
            yield piece
            seen.extend(tmp_path.glob("*.part"))
            raise KeyboardInterrupt  # Ctrl-C halfway through

    monkeypatch.setattr(exporting, "export_bytes", interrupted)
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    monkeypatch.setenv("SURVEY_SECRET_KEY", "cli-test")
    # In a thread: the command runs its own event loop, as from a shell.
    code = await asyncio.to_thread(main, ["export", str(seeded.wave_id), "-o", str(target)])
    assert code == 130
    assert seen == [tmp_path / "wave.csv.part"]  # it was there, answers in it
    assert list(tmp_path.iterdir()) == []


_STALLED_EXPORT = """
import sys
from pathlib import Path

from survey import export as exporting
from survey.cli import main

real = exporting.export_bytes


async def stalled(*args, **kwargs):
    import asyncio
    async for piece in real(*args, **kwargs):
        yield piece
        Path(sys.argv[2]).touch()  # the first rows are written: the test may signal
        await asyncio.sleep(60)


exporting.export_bytes = stalled
sys.exit(main(["export", sys.argv[1], "-o", sys.argv[3]]))
"""


async def test_sigterm_mid_export_leaves_no_part_file(
    conn: Conn, resources: Any, actors: Any, database_url: str, tmp_path: Path,
) -> None:
    """A service manager stops a command with SIGTERM: the half-written file of
    answers goes, as after Ctrl-C, and the exit status says it was terminated."""
    seeded = await seed_wave(conn, resources, actors.programs["own"])
    out = tmp_path / "out"
    out.mkdir()
    started = tmp_path / "started"
    env = {**os.environ, "SURVEY_DATABASE_URL": database_url, "SURVEY_SECRET_KEY": "cli-test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _STALLED_EXPORT, str(seeded.wave_id), str(started),
        str(out / "wave.csv"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    for _ in range(600):
        if started.exists() or proc.returncode is not None:
            break
        await asyncio.sleep(0.05)
    assert started.exists()
    assert [p.name for p in out.iterdir()] == ["wave.csv.part"]
    proc.terminate()
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 143, err.decode()
    assert list(out.iterdir()) == []
