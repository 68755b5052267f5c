"""Playwright fixtures: Debian's chromium, headless, and an axe-core accessibility check."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from continuum.testing.base import TOTP_SECRET

AXE_JS = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these flags chromium tries to reach Google's hosts at start-up; this machine has
# no network, and a clinical app's tests should not talk to anyone anyway.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are
    # still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


class PageProblems:
    """Console errors, page errors and CSP violations seen while a test ran."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def assert_none(self) -> None:
        assert self.errors == [], "the page reported problems:\n" + "\n".join(self.errors)


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


def _new_page(browser: Any, problems: PageProblems, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: problems.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.errors.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    return page


@pytest.fixture
def page(browser: Any, page_problems: PageProblems) -> Iterator[Any]:
    pg = _new_page(browser, page_problems, DESKTOP)
    yield pg
    pg.context.close()


@pytest.fixture
def phone_page(browser: Any, page_problems: PageProblems) -> Iterator[Any]:
    pg = _new_page(browser, page_problems, PHONE)
    yield pg
    pg.context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page."""
    # evaluate() runs through the DevTools protocol, so the page's CSP does not block axe.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    summary = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in violations
    ]
    assert violations == [], f"axe found on {page.url}:\n{json.dumps(summary, indent=2)}"


# Every answer option of a questionnaire or a portal form, as the person taps it.
OPTIONS = ".questionnaire .options label, .choices label"

MEASURE_JS = """
(selector) => {
  const vw = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > vw + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${r.right}`);
  }
  const options = [...document.querySelectorAll(selector)].map((label) => {
    const text = label.querySelector('span') || label;
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight);
    return {
      text: label.innerText.trim(),
      height: label.getBoundingClientRect().height,
      lines: text.getBoundingClientRect().height / lineHeight,
    };
  });
  return {scrollWidth: document.documentElement.scrollWidth, vw, wide, options};
}
"""


def assert_fits_phone(page: Any) -> int:
    """The page's layout on a phone; returns how many answer options it measured."""
    page.wait_for_load_state("load")  # after a click, the next page and its stylesheet
    m = page.evaluate(MEASURE_JS, OPTIONS)
    where = page.url
    wide = m["wide"][:5]
    assert m["scrollWidth"] <= m["vw"], f"{where} scrolls sideways: {m['scrollWidth']}px, {wide}"
    assert m["wide"] == [], f"{where}: elements wider than the viewport: {m['wide'][:5]}"
    for option in m["options"]:
        assert option["height"] >= 44, f"{where}: option {option} is under 44px tall"
        assert option["lines"] <= 2.05, f"{where}: option {option} breaks over too many lines"
    assert_accessible(page)
    return len(m["options"])


def screenshot(page: Any, name: str) -> None:
    """Save a screenshot for the docs (docs/screenshots/<name>.png)."""
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_DIR / f"{name}.png"), full_page=True)


# The last TOTP code entered: allauth refuses a code used twice in its 30-second window.
_last_code: dict[str, str] = {}


def fresh_totp_code(secret: str = TOTP_SECRET) -> str:
    """The current code for `secret`; if it was entered already, wait for the next window."""
    totp = pyotp.TOTP(secret)
    code = totp.now()
    if _last_code.get(secret) == code:
        time.sleep(totp.interval - time.time() % totp.interval + 0.5)
        code = totp.now()
    _last_code[secret] = code
    return code


def login(
    page: Any, live_server_url: str, email: str, password: str, totp_secret: str = TOTP_SECRET
) -> None:
    """Log in; when allauth asks for the second factor, enter the current TOTP code."""
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    if "/accounts/2fa/authenticate/" in page.url:
        page.locator("#id_code").fill(fresh_totp_code(totp_secret))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state("networkidle")
