"""Worker processes that each listen on a socket of their own.

uvicorn binds one socket and shares it among its workers, and each worker's event
loop, once woken, accepts every connection waiting. Keep-alive clients (a reverse
proxy's upstream pool, a load test) connect in bursts, so one worker could end up
with nearly all of them: in the submit benchmark one worker served 16 clients on
59% of a core while the other sat idle, and throughput halved from one run to the
next. Here every worker gets its own listening socket on the same address with
SO_REUSEPORT, and the kernel spreads new connections across them.

The supervision is uvicorn's own (``Multiprocess``: health checks, restarts, signal
handling); only the sockets it hands to each new worker differ.
"""

from __future__ import annotations

import socket

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other workers' sockets may share; it
    starts listening in the worker that receives it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor, handing each worker it starts (first or replacement) a
    fresh ``listening_socket``.

    The supervisor closes its copy once the worker has started (the worker inherited
    the descriptor at spawn): a listening socket left open here would be given
    connections that no process accepts, and a dead worker's socket must vanish
    with it.
    """

    def __init__(self, config: Config) -> None:
        self._handed: list[socket.socket] = []
        # Fails here, before any worker starts, if the address is taken.
        listening_socket(config.host, config.port).close()
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        """Read by ``Multiprocess`` for every worker it starts."""
        self._close_handed()
        sock = listening_socket(self.config.host, self.config.port)
        self._handed.append(sock)
        return [sock]

    @sockets.setter
    def sockets(self, _shared: list[socket.socket]) -> None:
        pass  # Multiprocess.__init__ stores the shared list this class replaces

    def _close_handed(self) -> None:
        while self._handed:
            self._handed.pop().close()

    def init_processes(self) -> None:
        super().init_processes()
        self._close_handed()

    def restart_all(self) -> None:
        super().restart_all()
        self._close_handed()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        self._close_handed()
