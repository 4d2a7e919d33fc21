"""Headless Chromium for the tests: the library's DevTools client plus what tests read.

:class:`Chromium` is :class:`edu_quality.report.browser.Browser` (the client the
PDF printing uses) with the page facts, console errors and late events the
browser tests check. Offline by default, as the library's; ``offline=False``
opens a page served on 127.0.0.1 (the explorer's).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from edu_quality.report.browser import Browser, find_browser

__all__ = ["Chromium", "find_chromium"]

find_chromium = find_browser


class Chromium(Browser):
    """A headless browser session with the checks of the browser tests."""

    def __init__(
        self, executable: str, profile: Path, timeout: float = 30.0, *, offline: bool = True
    ):
        super().__init__(executable, profile, timeout, offline=offline)

    def settle(self, seconds: float = 0.3) -> None:
        """Collect the events of a short quiet period (late errors, late requests)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            msg = self._receive(left)
            if msg and "method" in msg:
                self.events.append(msg)

    def open(self, path: Path) -> dict:  # type: ignore[override]
        """Load a local file; return what the page holds (images, scripts, headings)."""
        super().open(path)
        self.settle()
        expression = """JSON.stringify({
            images: Array.from(document.images).map(i => ({
                src: i.getAttribute('src').slice(0, 40), complete: i.complete,
                width: i.naturalWidth})),
            scripts: document.getElementsByTagName('script').length,
            h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
            h2: Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim()),
            title: document.title})"""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return json.loads(result["result"]["value"])

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries of the last page."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(
                    "console: "
                    + " ".join(
                        str(a.get("value", a.get("description", ""))) for a in p.get("args", [])
                    )
                )
            elif e["method"] == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif e["method"] == "Network.loadingFailed":
                out.append(f"network: {p.get('errorText')} {p.get('requestId')}")
        return out
