"""Run the ``survey`` command in the test's own process, as the shell would run it.

A ``python -m survey`` process costs 1.8 s of CPU before the command starts (5 s and
more where no bytecode is compiled): it imports the app again. A test of what a
command prints, writes, exits with or does to the database needs none of that, so it
calls ``survey.cli.main`` with the arguments here. Tests of the process itself (a
signal, exiting when the database is away, ``python -m survey``) still start one.

What a process would see is reproduced: the environment the command reads and may
change (``serve`` exports its settings for workers) is the test's while it runs and
restored after; stdin, stdout and stderr are its own, none a terminal; warnings it
logs reach stderr as Python's last-resort handler writes them when nothing configured
logging; an uncaught exception is a traceback on stderr and status 1; ``SystemExit``
gives its status. The command runs in a thread of its own, so it starts its own event
loop as from a shell and never installs a signal handler in the test run.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from survey.cli import main


@dataclass(frozen=True)
class Ran:
    """What ``subprocess.run(..., capture_output=True, text=True)`` tells of a run."""

    returncode: int
    stdout: str
    stderr: str


def survey(
    args: Sequence[str], env: Mapping[str, str | None] | None = None, stdin: str = ""
) -> Ran:
    """``survey ARGS`` with ``env`` over this process's environment (``None`` unsets a
    variable) and ``stdin`` as its input."""
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []

    def command() -> None:
        try:
            status.append(main(list(args)))
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                status.append(exc.code or 0)
            else:
                print(exc.code, file=sys.stderr)
                status.append(1)
        except BaseException:
            traceback.print_exc()
            status.append(1)

    saved = dict(os.environ)
    # Python's lastResort handler: WARNING and above, the message alone, on stderr.
    last_resort = logging.StreamHandler(err)
    last_resort.setLevel(logging.WARNING)
    root = logging.getLogger()
    try:
        for name, value in (env or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        root.addHandler(last_resort)
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _stdin(io.StringIO(stdin)),
        ):
            thread = threading.Thread(target=command, name="survey-cli")
            thread.start()
            thread.join()
    finally:
        root.removeHandler(last_resort)
        os.environ.clear()
        os.environ.update(saved)
    return Ran(status[0], out.getvalue(), err.getvalue())


async def asurvey(
    args: Sequence[str], env: Mapping[str, str | None] | None = None, stdin: str = ""
) -> Ran:
    """``survey`` from a test's event loop, which stays free while the command runs."""
    return await asyncio.to_thread(survey, args, env, stdin)


@contextlib.contextmanager
def _stdin(stream: io.StringIO) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved
