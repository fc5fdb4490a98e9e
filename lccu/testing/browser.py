"""Browser tests of the web app: the app served by uvicorn on a free loopback port in a
thread, Debian's Chromium launched headless (Playwright), a page opened as a logged-in user,
and an item processed from its processing page."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serve_in_thread(app: Any, start_timeout: float = 20) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(page: Any, username: str, password: str) -> None:
    """Fill in and send the (Dutch, the default language) login form on ``page``."""
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Aanmelden").click()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the block; closed (with every page) at its end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(
    browser: Browser,
    url: str,
    *,
    login: tuple[str, str] | None = None,
    width: int = 1200,
    height: int = 900,
    timeout_ms: float = 15000,
) -> Page:
    """A page in a new context of ``browser`` (its own cookies; downloads accepted) opened
    at ``url``. With ``login`` (username, password) it signs in on the login page the app
    sends it to, which then returns it to ``url``."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    if login is not None:
        log_in(page, *login)
    return page


def process_item(page: Page, timeout_ms: float = 90000) -> Locator:
    """Press "Verwerken" on the item's processing page shown in ``page`` and wait until its
    one run is done; returns the run's section (its stage table names the workers)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Verwerken").click()
    run = page.locator("section.run")
    expect(run).to_have_attribute("data-state", "done", timeout=timeout_ms)
    return run
