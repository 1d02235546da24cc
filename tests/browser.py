"""A real browser for the tests of what people look at: Debian's chromium,
headless, driven by selenium through Debian's chromedriver.

Nothing is downloaded at run time: the browser and the driver are the
system's (/usr/bin/chromium, /usr/bin/chromedriver; AUTOGRADER_CHROMIUM and
AUTOGRADER_CHROMEDRIVER move them), given to selenium explicitly, and
selenium's own driver manager (which would download) is made to fail if
anything calls it. Without them the tests skip, saying why; in CI (CI=true)
they fail instead: .ci/run installs both.

`Browser.visit(path)` loads a local page and reads back what the checks
need: console messages, every image's decoding, every link, the headings,
and a full-page screenshot.
"""
import contextlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = os.environ.get("AUTOGRADER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("AUTOGRADER_CHROMEDRIVER", "/usr/bin/chromedriver")
# What headless chromium needs here: no sandbox as root, and none of its background
# connections (this machine's network is closed), in a fresh profile.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1100,900", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND")   # no page may reach a host: nothing resolves
PAGE_LOAD_TIMEOUT_S = 60

# Read back in the page, in one script: what the checks look at.
INSPECT = """
const images = [...document.images].map(i => ({src: i.src.slice(0, 40), alt: i.getAttribute('alt'),
                                              complete: i.complete, width: i.naturalWidth}));
const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(
    h => [Number(h.tagName[1]), h.textContent.trim()]);
const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
return {images, links, headings, ids, title: document.title, lang: document.documentElement.lang,
        url: location.href};
"""


def missing():
    """Why no browser test can run here, or "" when everything is there."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (it is in the test extra: pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} is missing (apt-get install {package}; .ci/run installs it)"
    return ""


def require():
    """Skip the calling test, saying why, when no browser test can run here; in CI, fail instead."""
    import pytest
    why = missing()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no browser for the page tests: {why}; in CI, .ci/run must install it")
        pytest.skip(f"no browser for the page tests: {why}")


@dataclass
class Visit:
    """What one page showed."""
    path: Path
    console: list                      # (level, message) of every console entry
    images: list                       # {src, alt, complete, width}
    links: list                        # every href
    headings: list                     # (level, text) in document order
    ids: set = field(default_factory=set)
    title: str = ""
    lang: str = ""
    screenshot: Path = None


class Browser:
    """One headless chromium for a test module (a context manager)."""

    def __init__(self, screenshots=None):
        self.screenshots = Path(screenshots) if screenshots else None
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self.driver = None

    def __enter__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        options = Options()
        options.binary_location = CHROMIUM
        for flag in FLAGS + (f"--user-data-dir={self.profile}",):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        with no_driver_downloads():
            self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        return self

    def __exit__(self, *exc):
        if self.driver is not None:
            self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def visit(self, path, name=None):
        """Load the local file `path` and read back what it shows (screenshot: <name>.png)."""
        path = Path(path).resolve()
        self.driver.get(path.as_uri())
        found = self.driver.execute_script(INSPECT)
        if found["url"] != path.as_uri():  # chromium's own error page ("Your file couldn't be accessed")
            raise AssertionError(f"{path} did not load: the browser shows {found['url']}")
        console = [(entry["level"], entry["message"]) for entry in self.driver.get_log("browser")]
        visit = Visit(path, console, found["images"], found["links"], [tuple(h) for h in found["headings"]],
                      set(found["ids"]), found["title"], found["lang"])
        if self.screenshots is not None:
            self.screenshots.mkdir(parents=True, exist_ok=True)
            visit.screenshot = self.screenshots / f"{name or path.stem}.png"
            self.full_page_screenshot(visit.screenshot)
        return visit

    def full_page_screenshot(self, target):
        import base64
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot",
                                           {"format": "png", "captureBeyondViewport": True})
        Path(target).write_bytes(base64.b64decode(shot["data"]))


@contextlib.contextmanager
def no_driver_downloads():
    """Make selenium's driver manager (which downloads drivers) fail if it is called at all."""
    from selenium.webdriver.common import selenium_manager

    def refuse(*args, **kwargs):
        raise AssertionError("selenium tried its driver manager (a download); the driver path must be given")
    saved = selenium_manager.SeleniumManager.binary_paths
    selenium_manager.SeleniumManager.binary_paths = refuse
    try:
        yield
    finally:
        selenium_manager.SeleniumManager.binary_paths = saved


# --- checks on a Visit ------------------------------------------------------------

def console_errors(visit):
    """Console entries at error level (SEVERE), e.g. a resource that failed or a CSP violation."""
    return [message for level, message in visit.console if level == "SEVERE"]


def broken_images(visit):
    return [image for image in visit.images if not image["complete"] or image["width"] <= 0]


def images_without_alt(visit):
    return [image["src"] for image in visit.images if not (image["alt"] or "").strip()]


def unresolved_links(visit, pages_ids):
    """Links that go nowhere: an anchor with no such id, a local file that does not exist
    (or lacks the anchor), or anything off this machine. pages_ids: path -> ids, filled as needed."""
    bad = []
    for href in visit.links:
        url = urlparse(href)
        if url.scheme or url.netloc:
            bad.append(f"{href} (leaves the page's folder)")
            continue
        target = (visit.path.parent / unquote(url.path)).resolve() if url.path else visit.path
        if not target.is_file():
            bad.append(f"{href} ({target} does not exist)")
            continue
        if url.fragment:
            ids = visit.ids if target == visit.path else pages_ids(target)
            if unquote(url.fragment) not in ids:
                bad.append(f"{href} (no element with id {unquote(url.fragment)!r} in {target.name})")
    return bad


def heading_problems(visit):
    """One h1; no level skipped on the way down (h2 then h4); a title and a language."""
    problems = []
    levels = [level for level, _ in visit.headings]
    if levels.count(1) != 1 or not levels or levels[0] != 1:
        problems.append(f"expected one h1 first, got levels {levels[:8]}")
    for before, after in zip(levels, levels[1:]):
        if after > before + 1:
            problems.append(f"h{before} followed by h{after}")
    problems += [f"empty h{level}" for level, text in visit.headings if not text]
    if not visit.title.strip():
        problems.append("no <title>")
    if not visit.lang:
        problems.append("no lang on <html>")
    return problems
