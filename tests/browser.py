"""Headless Chromium for the tests that look at rendered HTML: a page, a screenshot, the log.

A test calls `render`, which skips (with the reason) when Chromium is not installed; ``.ci/run``
installs the Debian package ``chromium``. With ``offline=True`` the browser can reach no
network, so a page that needs one (a script or a font from a CDN) shows it in ``failed``: the
browser records its network requests (``--log-net-log``), and those the page made that failed
are listed with its own log lines about failed loads.
Screenshots are written under ``ARTIFACTS`` (``build/screenshots`` unless the environment
variable ``ADVOCACY_KPIS_SCREENSHOTS`` names another folder), to be looked at after a run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import attrs
import pytest

ARTIFACTS = Path(
    os.environ.get("ADVOCACY_KPIS_SCREENSHOTS", Path(__file__).parent.parent / "build" / "screenshots")
)


@attrs.frozen
class Rendered:
    """What Chromium made of a page.

    Attributes:
        screenshot: the PNG it took.
        log: its standard error (console messages and load failures).
        requests_failed: the URLs of the network requests the page made that failed (offline only).
    """

    screenshot: Path
    log: str
    requests_failed: tuple[str, ...] = ()

    @property
    def console_errors(self) -> list[str]:
        """Console messages and uncaught exceptions the page raised."""
        return [line for line in self.log.splitlines() if "CONSOLE" in line or "Uncaught" in line]

    @property
    def failed(self) -> list[str]:
        """Resources the page could not load."""
        logged = [
            line for line in self.log.splitlines() if "Failed to load resource" in line or "net::ERR_" in line
        ]
        return logged + list(self.requests_failed)


def page_requests_failed(net_log: Path) -> tuple[str, ...]:
    """The URLs a page requested that failed, from a Chromium net log.

    The browser's own requests (updates, spelling dictionaries) have no origin and are left out.
    """
    log = json.loads(net_log.read_text())
    event_types = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    urls: dict[int, str] = {}
    failed: set[int] = set()
    for event in log["events"]:
        params = event.get("params", {})
        source = event["source"]["id"]
        if (
            event_types[event["type"]] == "URL_REQUEST_START_JOB"
            and "url" in params
            and params.get("initiator") != "not an origin"
        ):
            urls.setdefault(source, params["url"])
        if params.get("net_error", 0) < 0:
            failed.add(source)
    return tuple(url for source, url in urls.items() if source in failed)


def browser() -> str:
    """The Chromium executable, or a skip naming what to install."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'); .ci/run installs it")
    return found


def render(
    page: Path, name: str, tmp_path: Path, *, size: str = "1200,2000", offline: bool = False
) -> Rendered:
    """Open ``page`` (a local HTML file) in headless Chromium and screenshot it as ``name``.png."""
    executable = browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--screenshot={shot}", f"--window-size={size}",
        "--enable-logging=stderr", "--v=0",
    ]  # fmt: skip
    net_log = tmp_path / f"{name}-net-log.json"
    if offline:
        # Every host resolves to nothing: only file:// pages load.
        flags += [
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            f"--log-net-log={net_log}",
        ]
    done = subprocess.run(
        [executable, *flags, page.as_uri()], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists(), done.stderr[-2000:]
    return Rendered(shot, done.stderr, page_requests_failed(net_log) if offline else ())


def png_colours(path: Path) -> int:
    """How many distinct colours a PNG holds (a blank or failed render holds one or two)."""
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours) if colours is not None else 1 << 20
