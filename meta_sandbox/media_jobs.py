"""Background media work: download and check a file in a thread, keep the outcome.

A `MediaJob` runs one function in a daemon thread and stores what it returned (or
the `MediaProblem` it raised). It never touches the sandbox state, so readers may
wait for it while holding the state lock. The sandbox's lifecycles combine it with
the sandbox clock: an object reads as in progress until both the clock has passed
its processing time and the job is done (`wait()` blocks briefly for the real work
once sandbox time says it should be over, which keeps tests deterministic).
"""

import threading
from collections.abc import Callable
from typing import Any

from meta_sandbox.media_check import FETCH_TIMEOUT_SECONDS, MediaProblem

# Longest a status read waits for a job whose sandbox processing time has passed.
WAIT_SECONDS = FETCH_TIMEOUT_SECONDS + 5


class MediaJob:
    def __init__(self, work: Callable[[], Any]) -> None:
        self._done = threading.Event()
        self.result: Any = None
        self.problem: MediaProblem | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], Any]) -> None:
        try:
            self.result = work()
        except MediaProblem as problem:
            self.problem = problem
        except Exception as exc:  # a sandbox bug must not leave the job hanging
            self.problem = MediaProblem("format", f"sandbox processing failed: {exc!r}")
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float = WAIT_SECONDS) -> bool:
        """Wait for the job; return True when it has finished."""
        return self._done.wait(timeout)
