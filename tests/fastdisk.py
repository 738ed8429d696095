"""Where the tests' PostgreSQL servers keep their data."""

from __future__ import annotations

import os
import shutil

SHM = "/dev/shm"


def memory_dir() -> str | None:
    """/dev/shm where it is writable with room (2 GiB), else None: the default
    temporary directory. A cluster and each database cloned into it are about a
    thousand files, and on the CI machine's disk each file's creation cost 0.3 ms:
    CREATE DATABASE took 0.5-0.7 s (12-30 ms in memory), starting a new server 4.2 s
    (0.9 s) and stopping it 2 s (0.15 s). A container's 64 MiB /dev/shm is passed over."""
    try:
        if os.access(SHM, os.W_OK) and shutil.disk_usage(SHM).free >= 2 << 30:
            return SHM
    except OSError:
        pass
    return None
