"""Stopping reports on a signal: SIGINT (Ctrl+C), SIGTERM, and SIGHUP (the terminal closed).

While :func:`stop_on_signals` is in force, such a signal does not raise in the
middle of whatever runs (a ``KeyboardInterrupt`` inside the kernel client's event
loop leaves an asyncio traceback and a report half-written): it sets a
:class:`Stop` flag and kills the kernels registered with it, so the running
report ends with :class:`~edu_quality.report.engine.ReportStopped`, the caller
cleans up and writes what it must, and the command exits ``128 + signal``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["Stop", "stop_on_signals"]


class Stop:
    """A stop flag set by a signal: kills every kernel registered in :attr:`kernels`.

    Attributes
    ----------
    signum : int or None
        The first signal received.
    kernels : list of WarmKernel
        The kernels to kill on a stop.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self.kernels: list = []

    def __call__(self, signum: int, frame=None) -> None:
        """The signal handler: set the flag, kill the kernels."""
        if self.signum is None:
            self.signum = signum
        self.event.set()
        for k in self.kernels:
            k.kill("stop")

    def is_set(self) -> bool:
        """Whether a stop was asked."""
        return self.event.is_set()


def _signals() -> list[signal.Signals]:
    found = [signal.SIGINT, signal.SIGTERM]
    hup = getattr(signal, "SIGHUP", None)
    if hup is not None and signal.getsignal(hup) is not signal.SIG_IGN:  # nohup: left alone
        found.append(hup)
    return found


@contextlib.contextmanager
def stop_on_signals(stop: Stop) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP set ``stop`` while the block runs (main thread only).

    SIGHUP is left alone when it is ignored (a command run under ``nohup``).
    The previous handlers are restored after the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in _signals()}
    for s in old:
        signal.signal(s, stop)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
