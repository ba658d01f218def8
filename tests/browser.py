"""The real App in a real browser: FiftyOne's App server on 127.0.0.1 with this plugin, and
Debian's Chromium driven by Selenium through Debian's chromedriver (nothing downloaded)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("VFC_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VFC_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOTS = Path(os.environ.get("VFC_SCREENSHOTS", Path(__file__).resolve().parents[1]
                            / "tests" / "screenshots"))
# without these, Chromium keeps trying to reach Google on a closed network
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--window-size=1600,1000")


def missing() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            return f"{path} not found: `apt-get install chromium chromium-driver` (make setup)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed: `pip install -e .[test]` (make setup)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``python fiftyone/server/main.py`` on 127.0.0.1, in this test run's database."""

    def __init__(self, log: Path, env: dict[str, str] | None = None) -> None:
        import fiftyone as fo

        fo.list_datasets()  # this process starts the database first: two starting it race
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        main = Path(fo.__file__).parent / "server" / "main.py"
        self.log = open(log, "w")
        self.proc = subprocess.Popen([sys.executable, str(main), "--port", str(self.port),
                                      "--address", "127.0.0.1"], stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"the App server did not start: see {log}")
                time.sleep(0.5)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Browser:
    """A headless Chromium page with waits that find elements by ``data-cy`` or text."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        self.profile = tempfile.mkdtemp(prefix="vfc-chromium-")
        options.add_argument(f"--user-data-dir={self.profile}")
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, url: str) -> None:
        """Load ``url`` and wait for the App's grid; dismiss its "Explore Enterprise" card
        (a modal backdrop that takes every click)."""
        self.driver.get(url)
        self.cy("fo-grid", timeout=120)
        try:
            self.button("Dismiss", timeout=5).click()
        except TimeoutError:
            pass

    def wait(self, find, timeout: float = 60.0, what: str = ""):
        """Poll ``find()`` until it returns something truthy."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                found = find()
                if found:
                    return found
            except Exception as e:  # stale elements while React re-renders
                last = e
            time.sleep(0.25)
        self.screenshot("timeout")
        raise TimeoutError(f"waited {timeout:.0f} s for {what or find}: {last}")

    def find(self, xpath: str, what: str, timeout: float = 60.0, within=None,
             enabled: bool = False):
        """The first displayed (and, with ``enabled``, enabled) element at ``xpath``."""
        root = within or self.driver
        return self.wait(lambda: [e for e in root.find_elements("xpath", xpath)
                                  if e.is_displayed() and (not enabled or e.is_enabled())],
                         timeout, what)[0]

    def cy(self, name: str, timeout: float = 60.0):
        return self.find(f"//*[@data-cy={_quote(name)}]", f"data-cy={name}", timeout)

    def text(self, text: str, tag: str = "*", timeout: float = 60.0, within=None):
        """The first displayed ``tag`` whose own text is ``text``."""
        return self.find(f".//{tag}[normalize-space(text())={_quote(text)}]",
                         f"{tag} {text!r}", timeout, within)

    def button(self, label: str, timeout: float = 60.0, within=None):
        # a button's text is in a <p> (an icon's ligature text sits beside it)
        return self.find(f".//button[normalize-space(.)={_quote(label)} or "
                         f".//p[normalize-space(text())={_quote(label)}]]",
                         f"button {label!r}", timeout, within, enabled=True)

    def input(self, label: str, timeout: float = 60.0, within=None):
        """The text input under the form label ``label``."""
        return self.find(f".//p[normalize-space(text())={_quote(label)}]/following::input[1]",
                         f"input {label!r}", timeout, within)

    def page_has(self, text: str, timeout: float = 60.0) -> bool:
        return bool(self.wait(lambda: text in self.driver.find_element("tag name",
                                                                       "body").text,
                              timeout, f"page text {text!r}"))

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def _quote(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    return "concat('" + "', \"'\", '".join(text.split("'")) + "')"
