"""Debian's Chromium, driven by Playwright for Python: its own browser download is not used
(Playwright's driver ships in the wheel; the browser is /usr/bin/chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from services.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import SERVICES_USED

# Playwright vouches for the Chromium it was released with (pyproject pins it); Debian's is
# another build: these tests ran on 156, and refuse one far older than Playwright's own.
OLDEST_CHROMIUM = 130


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make deps` installs Debian's chromium")
    # Playwright gives each launch a fresh, empty profile of its own.
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
    version = browser.version
    SERVICES_USED.append(f"Chromium {version} at {CHROMIUM}, driven by Playwright")
    if int(version.split(".")[0]) < OLDEST_CHROMIUM:
        browser.close()
        pytest.fail(f"Chromium {version} is older than {OLDEST_CHROMIUM}: update it")
    try:
        yield browser
    finally:
        browser.close()
