"""Headless Chromium driven over the DevTools protocol (websocket-client): load a page, inspect it, screenshot it.

Debian's ``chromium`` runs as root with the flags the closed network needs
(no sandbox, no background networking, a fresh profile), on a DevTools port
it picks itself (``--remote-debugging-port=0``; the port is read from the
profile's ``DevToolsActivePort`` file). Only the browser started here is
ever stopped, by its process group.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["Browser", "chromium_path", "CHROMIUM_FLAGS", "OVERFLOW_JS", "IMAGES_JS"]

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio")

#: Elements whose box reaches past the page's width (or left of 0); zero-size boxes are ignored.
OVERFLOW_JS = """(() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > width + 0.5 || r.left < -0.5)
      bad.push({tag: e.tagName, id: e.id, right: Math.round(r.right), text: (e.textContent || '').slice(0, 60)});
  }
  return {clientWidth: width, scrollWidth: document.documentElement.scrollWidth, count: bad.length,
          first: bad.slice(0, 10)};
})()"""

IMAGES_JS = """Array.from(document.images, i => ({alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth,
  naturalHeight: i.naturalHeight, width: i.getBoundingClientRect().width}))"""


def chromium_path() -> str | None:
    """The Chromium executable (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium with one page, driven over its DevTools websocket.

    Use as a context manager. ``console_errors`` collects console errors,
    uncaught exceptions and error log entries of the page.
    """

    def __init__(self, width: int = 1400, height: int = 900, timeout_s: float = 60.0):
        import websocket

        exe = chromium_path()
        if exe is None:
            raise RuntimeError("Chromium is not installed: apt-get install -y chromium (.ci/run does it)")
        self.width, self.height, self.timeout_s = width, height, timeout_s
        self.profile = Path(tempfile.mkdtemp(prefix="accelsim-chromium-"))
        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port, path = self._devtools_address()
            self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout_s,
                                                  suppress_origin=True)
            self._next_id = 0
            self.events: list[dict] = []
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable", session=self.session)
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                      session=self.session)
        except BaseException:
            self.close()
            raise

    def _devtools_address(self) -> tuple[str, str]:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.proc.returncode} before it listened")
            if marker.is_file():
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return lines[0], lines[1]
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port in time")

    # ------------------------------------------------------------------ protocol
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        """Wait for the page's next event ``method`` (or one already received)."""
        deadline = time.monotonic() + self.timeout_s
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv())
            if event.get("method") == method:
                return event
            self.events.append(event)
        raise TimeoutError(f"no {method} within {self.timeout_s} s")

    def evaluate(self, expression: str):
        """Evaluate JavaScript in the page and return its value."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    # ------------------------------------------------------------------ page
    def open(self, path) -> None:
        """Load a local file and wait for its load event."""
        self.send("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=self.session)
        self.wait_for("Page.loadEventFired")
        self.evaluate("Promise.all(Array.from(document.images, i => i.decode().catch(() => null)))")

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries so far."""
        self.evaluate("0")  # flush pending events
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                     for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append("log: " + params["entry"].get("text", ""))
        return errors

    def screenshot(self, out_path, full_page: bool = True) -> Path:
        """Write a PNG of the page (the whole page, or the viewport)."""
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.send("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": self.width, "height": max(1, int(size["height"])),
                              "scale": 1}
        data = self.send("Page.captureScreenshot", params, session=self.session)["data"]
        out = Path(out_path)
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        """Stop this browser (its own process group only) and remove its profile."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing a dead socket
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
