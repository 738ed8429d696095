"""One PostgreSQL of the fault tests' own for the whole run (per test process).

A test that freezes or restarts its database cannot do it to the shared server: every
other test would stall or fail. Each such module used to start a server of its own,
an initdb and a start (2-4 s, more on a busy machine); now they take turns on this
one, each in a database of its own, and each leaves it running as it found it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from survey import embedded
from tests.fastdisk import memory_dir


@pytest.fixture(scope="session")
def fault_server() -> Iterator[embedded.EmbeddedPostgres]:
    base = Path(tempfile.mkdtemp(prefix="survey-fault-", dir=memory_dir()))
    server = embedded.start(base, delete_on_exit=True)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)  # stop deletes pgdata, not the folder it is in
