"""A headless Chromium (or Chrome, or Edge) driven over the Chrome DevTools Protocol.

The protocol is JSON over one websocket (``websocket-client``, pure Python);
``--remote-debugging-port=0`` makes the browser choose a free port and write it
into its throw-away profile folder. The browser is offline: every host name
resolves to nothing (``--host-resolver-rules``) and, once a page session is
open, every ``http``/``https``/``ws``/``ftp`` request is blocked
(``Network.setBlockedURLs``), so a page with a link to an address in the
network is rendered without it, at once.

:func:`find_browser` looks for Chromium and Chrome on Linux and macOS and for
Microsoft Edge (installed with Windows) and Chrome on Windows; the environment
variable ``EDU_QUALITY_BROWSER`` names another executable.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..errors import EduQualityError

__all__ = ["BROWSER_ENV", "Browser", "BrowserError", "find_browser"]

#: Environment variable naming the browser executable (overrides the search).
BROWSER_ENV = "EDU_QUALITY_BROWSER"

#: Flags of a quiet, offline, throw-away headless browser.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-port=0",
)
#: Requests a page may not make (everything but ``file:`` and ``data:``).
BLOCKED_URLS = ("http://*", "https://*", "ws://*", "wss://*", "ftp://*")

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "msedge")
_PATHS = (
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
)


class BrowserError(EduQualityError):
    """The browser is missing, did not start or did not answer (the message is in Russian)."""


def find_browser() -> str | None:
    """Path of a Chromium, Chrome or Edge executable, or None.

    ``EDU_QUALITY_BROWSER`` wins when set (it must name an existing file).

    Examples
    --------
    >>> find_browser() is None or Path(find_browser()).exists()
    True
    """
    named = os.environ.get(BROWSER_ENV)
    if named:
        return named if Path(named).is_file() else None
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    for path in _PATHS:
        if Path(path).is_file():
            return path
    return None


class Browser:
    """A headless browser and a DevTools session with its first page.

    Use as a context manager; :meth:`close` ends the browser and its children.

    Parameters
    ----------
    executable : str
        The browser (:func:`find_browser`).
    profile : Path
        An empty folder for its throw-away profile.
    timeout : float
        Seconds to wait for the browser to start and for each answer.
    offline : bool
        No network (the default, for printing reports): host names do not
        resolve and every http(s), ws and ftp request is blocked. False opens
        pages served on this machine (the explorer's, in its test).
    """

    def __init__(
        self, executable: str, profile: Path, timeout: float = 60.0, *, offline: bool = True
    ):
        import websocket

        self.timeout = timeout
        self.log = profile / "browser.log"
        profile.mkdir(parents=True, exist_ok=True)
        group = (
            {"start_new_session": True}
            if sys.platform != "win32"
            else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        )
        flags = FLAGS if offline else tuple(f for f in FLAGS if not f.startswith("--host-"))
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [executable, *flags, f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                **group,
            )
        try:
            port = self._port(profile / "DevToolsActivePort")
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/json/list", timeout=timeout
            ) as resp:
                targets = json.loads(resp.read())
            page = next(t for t in targets if t.get("type") == "page")
            # no Origin header: Chromium refuses websocket clients from other origins
            self.ws = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
            )
            self._ids = itertools.count(1)
            self.events: list[dict] = []
            self.call("Network.enable")
            if offline:
                self.call("Network.setBlockedURLs", urls=list(BLOCKED_URLS))
            self.call("Page.enable")
        except BrowserError:
            self.close()
            raise
        except (OSError, ValueError, StopIteration, websocket.WebSocketException) as exc:
            self.close()
            raise BrowserError(f"браузер {executable} не отвечает: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _port(self, path: Path) -> int:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-300:].strip()
                raise BrowserError(
                    f"браузер завершился при запуске с кодом {self.proc.returncode}: {tail}"
                )
            if path.exists():
                first = path.read_text().split("\n", 1)[0].strip()
                if first.isdigit():
                    return int(first)
            time.sleep(0.05)
        raise BrowserError(f"браузер не открыл порт отладки за {self.timeout:g} с")

    def _receive(self, timeout: float) -> dict | None:
        import websocket

        self.ws.settimeout(timeout)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def call(self, method: str, **params) -> dict:
        """Send a command and return its result (events that arrive meanwhile are kept)."""
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = self._receive(max(deadline - time.monotonic(), 0.01))
            if msg is None:
                continue
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise BrowserError(f"браузер отказал в {method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise BrowserError(f"браузер не ответил на {method} за {self.timeout:g} с")

    def wait_for(self, event: str) -> dict:
        """Wait for an event (it may have arrived already)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            hit = next((e for e in self.events if e["method"] == event), None)
            if hit:
                return hit
            msg = self._receive(max(deadline - time.monotonic(), 0.01))
            if msg and "method" in msg:
                self.events.append(msg)
        raise BrowserError(f"браузер не дождался {event} за {self.timeout:g} с")

    def open(self, path: Path) -> None:
        """Load a local file and wait until it (with its images) is loaded."""
        self.events.clear()
        self.call("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def requests(self) -> list[str]:
        """URLs the last page requested (blocked ones included)."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        """Close the session and end the browser (its own process group)."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            if sys.platform == "win32":
                self.proc.terminate()
            else:
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                if sys.platform == "win32":
                    self.proc.kill()
                else:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
