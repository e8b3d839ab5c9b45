"""Child processes that die with the thread that started them (ffmpeg, ``make run``'s parts).

Linux's ``PR_SET_PDEATHSIG`` (man 2 prctl) has the kernel signal a child when the thread that
started it ends, even by SIGKILL, and it survives ``setsid`` and ``exec``. It must be set in the
child, between fork and exec. Python's ``preexec_fn`` is the obvious place, but it can deadlock
when the parent has other threads (a job's lease heartbeat, a test's servers): the forked child
inherits locks that nobody will release. So util-linux's ``setpriv`` sets it and then execs the
command (the same pid, so process groups and ``Popen`` work as before). Where ``setpriv`` is
missing, the command runs as it is and process groups are what ends it.
"""

import shutil
import signal
from collections.abc import Sequence
from functools import cache


@cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def dying_with_parent(
    command: Sequence[str], death_signal: signal.Signals = signal.SIGKILL
) -> list[str]:
    """Return ``command`` wrapped so that it gets ``death_signal`` when its parent dies."""
    setpriv = _setpriv()
    if setpriv is None:
        return list(command)
    return [setpriv, f"--pdeathsig={death_signal.name}", "--", *command]
