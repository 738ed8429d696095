"""Migrations: applied in order, recorded with checksums, append-only, locked."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from survey import db, migrations
from survey.db import Conn

# Released migrations never change: a deployed database records these checksums and
# `survey serve` refuses to start when a file differs. Add a new file instead, and pin
# it here once it ships.
PINNED = {
    1: "e6409d1b4983c11628472cd54634022a80a1d9a733db29f3dea55b1548a78975",  # 0001_init
    2: "a415a70cdc903c0bc371eeb53ea7e02fdef1651d09273688aa2865ac3b9c67ae",  # 0002_web_survey
    3: "e20a2154bdfd71d40088db0dfca65ea023b816a11c27559359fd3117f36a3e5f",  # 0003_sms
    4: "ec465cc9bbf42d84169d08c5aabd658d670a208e37ba85140eefa9fae794170a",  # 0004_reports
    5: "9417c57a69ff946a603a1ca91c6774f8397164f7514f7f23ee1375a7dbc3aa56",  # 0005_report_cache
    6: "14633ef6ae970b00ad87942ef17c9a74eb7ed755e7bd8b2adcf32b76e80e0c06",  # 0006_citus
    7: "fdc3723f0cad1511f39f0d04f9e1257f640c19ad0721b59248d3ae1988942fb4",  # 0007_export_cells
    8: "9f65c466a552bb8366d8e5fc0719ca5f15c96b4ae65bfbdce560ec76e5e1150c",  # 0008_text_answers
    9: "de179b157042ecc96bd96cd758f710ef865b2613c64af879e408dcee4d2b1bb3",  # 0009_submit_path
    # 0010_report_cache_pairs
    10: "bcb1bede03db3f9d79d66eb42dcba4919ec63ad4b82786b4c14540e06bc26c6d",
    # 0011_report_cache_fieldwork
    11: "967ddd493daf209cee420fade51496ad0440b6d275d5aa09b53814dc70aad15f",
    # 0012_report_cache_pairs_delta
    12: "f9f8c72d1622a77e8106ef12cf191ffc6c0a6ef6f7dcdff908961c4784910b3d",
    # 0013_cache_epoch
    13: "8f11a444711658de2608b5dd18cff70a870fbed29c8be366f479a807602be567",
    # 0014_cells_epoch
    14: "e8eca0e5001c3810efb793c3da1e06d59fbb8c1374a6972ff8d563c4929b302e",
    # 0015_report_cache_changes
    15: "edd73252b618a9a38fdd1286fd61843457b13478c6650ada5f130182ed2fb626",
    # 0016_report_cache_changes_answers
    16: "2f051a482af3021d92a796800bd3c40a7ed15701d53c64226674dcd30f98d2b3",
    # 0017_export_cells_moved
    17: "d1e4b51899ffa84a50fb99cdcd3ab0bfea36fc100bddfa15ecab58723d7e0462",
    # 0018_report_cache_deletions
    18: "67444432738ba9e9cca7f6898e150d7ab8ebab4ac714e986d25a6a9367189df0",
    # 0019_answers_edited
    19: "0dd12dd2e8da2385a3cad0af0b438988f3bc0e0b27ec32965e8c9b49800d97d6",
    # 0020_invitation_tokens
    20: "e9cabdc125851e08226570af14f1679bc4fb25b908ddcdee8d31781ed0c868fa",
}


def test_released_migrations_are_unchanged() -> None:
    current = {m.version: m.checksum for m in migrations.available()}
    assert {v: current.get(v) for v in PINNED} == PINNED


async def test_template_is_current(conn: Conn) -> None:
    await migrations.check_current(conn)
    done = await migrations.applied(conn)
    files = migrations.available()
    assert sorted(done) == [m.version for m in files]
    assert all(done[m.version][1] == m.checksum for m in files)


async def test_changed_migration_is_refused(conn: Conn, tmp_path: Path) -> None:
    for path in migrations.MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    first = sorted(tmp_path.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")
    with pytest.raises(migrations.MigrationError, match="changed after it was applied"):
        await migrations.upgrade(conn, directory=tmp_path)


async def test_newer_database_is_refused(conn: Conn, tmp_path: Path) -> None:
    await conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')"
    )
    with pytest.raises(migrations.MigrationError, match="does not know"):
        await migrations.check_current(conn)


async def test_new_migration_applies_once_under_concurrency(
    database_url: str, tmp_path: Path
) -> None:
    for path in migrations.MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    n = len(migrations.available()) + 1
    (tmp_path / f"{n:04d}_extra.sql").write_text("CREATE TABLE extra_table (id int);")
    conns = [await db.connect(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrations.upgrade(c, directory=tmp_path) for c in conns))
    finally:
        for c in conns:
            await c.close()
    assert sorted(len(r) for r in results) == [0, 0, 1]


def test_files_are_numbered_without_gaps() -> None:
    versions = [m.version for m in migrations.available()]
    assert versions == list(range(1, len(versions) + 1))
