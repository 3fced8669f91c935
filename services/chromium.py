"""Debian's Chromium as the browser tests and `make screenshots` start it (with Playwright,
whose own browser download is not used: there is no internet here)."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless as root in a closed network: without the background-networking flags Chromium
# keeps trying to reach its vendor's hosts.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
