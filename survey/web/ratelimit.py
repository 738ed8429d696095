"""Per-client request limits for the public survey routes, kept in process memory.

Open links are public (printed on flyers), so one client must not be able to flood a
wave with responses; personal links carry 128-bit tokens, so guessing is hopeless,
but counting misses keeps scanners from hammering the database. Clients are keyed
by a keyed hash of their address, so not even memory holds a list of raw IPs.
Limits are per worker process: with N workers a client gets at most N times the limit,
which is still a bound.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable


class FixedWindowLimiter:
    """At most ``limit`` hits per key in each ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._counts: dict[bytes, tuple[float, int]] = {}

    def _current(self, key: bytes, now: float) -> tuple[float, int]:
        start, count = self._counts.get(key, (now, 0))
        if now - start >= self.window:
            return now, 0
        return start, count

    def retry_after(self, key: bytes) -> int | None:
        """Seconds to wait if ``key`` is over the limit now, else None (no hit counted)."""
        now = self.clock()
        start, count = self._current(key, now)
        if count >= self.limit:
            return max(1, math.ceil(start + self.window - now))
        return None

    def hit(self, key: bytes) -> int | None:
        """Count one hit; seconds to wait if this hit is over the limit, else None."""
        now = self.clock()
        start, count = self._current(key, now)
        if count >= self.limit:
            return max(1, math.ceil(start + self.window - now))
        if key not in self._counts and len(self._counts) >= self.max_keys:
            self._evict(now)
        self._counts[key] = (start, count + 1)
        return None

    def _evict(self, now: float) -> None:
        expired = [k for k, (start, _) in self._counts.items() if now - start >= self.window]
        for k in expired:
            del self._counts[k]
        if len(self._counts) >= self.max_keys:
            # Still full of live keys (an attack from many addresses): forget the oldest
            # half rather than grow without bound.
            oldest = sorted(self._counts, key=lambda k: self._counts[k][0])
            for k in oldest[: len(oldest) // 2]:
                del self._counts[k]


def client_key(secret: str, address: str) -> bytes:
    """A keyed hash of the client address, used as the limiter key."""
    message = b"ratelimit\x00" + address.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:16]
