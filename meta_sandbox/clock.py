"""The sandbox clock: wall time plus an offset that tests can move forward.

Every expiry in the sandbox (OAuth codes, tokens, data access) is measured with this
clock, so `POST /_sandbox/clock {"advance_seconds": N}` is all a test needs to age
tokens without sleeping.
"""

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    @property
    def offset(self) -> float: ...

    def advance(self, seconds: float) -> None: ...

    def reset(self) -> None: ...


class SandboxClock:
    """Return wall-clock seconds shifted by an offset that only grows or resets."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
