"""`make screenshots`: the PNGs README shows (the stream, a story, the feeds), taken by
Debian's Chromium from `newsflow run --demo` on free ports and a fresh state directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from services.chromium import CHROMIUM, CHROMIUM_ARGS
from services.process import free_port

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DEMO_CARDS = 7  # the demo's eight stories, one copy folded under its original


def _cards(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.read().decode()).count('<article class="story"')
    except OSError:
        return 0


def main() -> int:
    web = free_port()
    with tempfile.TemporaryDirectory() as state:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
        env |= {
            "NEWSFLOW_STATE_DIR": state,
            "NEWSFLOW_LOCAL_KAFKA_PORT": str(free_port()),
            "NEWSFLOW_LOCAL_REDIS_PORT": str(free_port()),
            "NEWSFLOW_DEMO_PORT": str(free_port()),
            "NEWSFLOW_METRICS_PORT": "0",
            "NEWSFLOW_WEB_PORT": str(web),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
        }
        run = subprocess.Popen([sys.executable, "-m", "newsflow", "run", "--demo"], env=env)
        try:
            base = f"http://127.0.0.1:{web}"
            deadline = time.monotonic() + 180
            while _cards(base + "/") < DEMO_CARDS and time.monotonic() < deadline:
                time.sleep(2)
            _take(base)
        finally:
            run.send_signal(signal.SIGINT)
            run.wait(60)
    return 0


def _take(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        page.goto(base + "/")
        page.screenshot(path=OUT / "stream.png")
        page.locator("article.story", has=page.locator("li.article")).locator("a.title").click()
        page.wait_for_selector("ol.timeline")
        page.screenshot(path=OUT / "story.png", full_page=True)
        page.goto(base + "/feeds")
        page.screenshot(path=OUT / "feeds.png")
        browser.close()
    print(f"written: {', '.join(str(p) for p in sorted(OUT.glob('*.png')))}")


if __name__ == "__main__":
    raise SystemExit(main())
