"""Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's
live server. Never `playwright install`: the browser is the system's /usr/bin/chromium."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django would then refuse the ORM
# calls the tests make between browser steps ("async-unsafe"), though they are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The journeys take the README's screenshots; they refresh docs/screenshots only when asked
# (UPDATE_SCREENSHOTS=1 make test), so an ordinary test run leaves the work tree clean.
_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (_ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS")
               else _ROOT / "var" / "test-screenshots")


def pytest_collection_modifyitems(config, items):
    e2e_dir = Path(__file__).parent
    for item in items:
        if e2e_dir in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class ConsoleWatch:
    """Console errors and page errors seen by every page of a test: a CSP violation shows up
    here ("Refused to ... because it violates the following Content Security Policy")."""

    def __init__(self):
        self.errors: list[str] = []

    def attach(self, page):
        page.on("console", lambda msg: self.errors.append(f"{page.url}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page

    @property
    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]


@pytest.fixture
def console():
    return ConsoleWatch()


@pytest.fixture
def new_page(browser, live_server, console):
    """Open a page in a fresh browser context (its own cookies: one person each)."""
    contexts = []

    def open_page(viewport=DESKTOP, **kwargs):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return console.attach(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        # caret="initial": hiding the caret leaves style="" on every input, which htmx then
        # copies while settling a swap – a CSP violation the test itself would have caused.
        page.screenshot(path=str(SCREENSHOTS / name), caret="initial")

    return take
