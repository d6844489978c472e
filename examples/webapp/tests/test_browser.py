"""The example app in real headless Chromium (Debian's package) driven by Playwright.

Signs in, edits the payload and the data, lets the access token expire, watches the
page refresh it transparently, signs out, and checks every cookie's flags on the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect, sync_playwright

from examples.webapp.tests.servers import ACCESS_VALIDITY, Served

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REFRESH = "/auth/session/refresh"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a browser downloaded by Playwright)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies."""
    context = browser.new_context()
    yield context
    context.close()


def cookies_by_name(context: BrowserContext) -> dict[str, Any]:
    return {cookie["name"]: cookie for cookie in context.cookies()}


def assert_session_cookie_flags(context: BrowserContext) -> dict[str, str]:
    """Check both cookies' flags as the browser stored them; return their values."""
    cookies = cookies_by_name(context)
    assert set(cookies) == {"sAccessToken", "sRefreshToken"}
    assert cookies["sAccessToken"]["path"] == "/"
    assert cookies["sRefreshToken"]["path"] == REFRESH
    for cookie in cookies.values():
        assert cookie["domain"] == "localhost"  # host-only: no Domain attribute
        assert cookie["httpOnly"] is True
        assert cookie["secure"] is True
        assert cookie["sameSite"] == "Lax"
        assert cookie["expires"] > 0  # persistent (Max-Age), not a browser-session cookie
    return {name: cookie["value"] for name, cookie in cookies.items()}


def shown_json(page: Page, element: str) -> Any:
    return json.loads(page.locator(element).inner_text())


def test_sign_in_expire_refresh_sign_out(served: Served, context: BrowserContext) -> None:
    page = context.new_page()
    statuses: list[tuple[str, int]] = []

    def record(response: Response) -> None:
        statuses.append((response.url.removeprefix(served.url), response.status))

    page.on("response", record)
    page.goto(served.url)
    expect(page.locator("#signin-form")).to_be_visible()
    assert context.cookies() == []  # an anonymous visit sets nothing

    page.fill("#user", "carol")
    page.click("#signin")
    expect(page.locator("#who")).to_have_text("carol")
    assert shown_json(page, "#payload") == {"name": "carol"}
    first = assert_session_cookie_flags(context)
    assert not page.evaluate("document.cookie")  # HttpOnly: invisible to scripts

    page.fill("#data-edit", '{"notes": "buy milk"}')
    page.click("#save-data")
    expect(page.locator("#status")).to_have_text("data saved")
    page.fill("#payload-edit", '{"name": "carol", "theme": "dark"}')
    page.click("#save-payload")
    expect(page.locator("#status")).to_have_text("payload saved")
    assert shown_json(page, "#payload") == {"name": "carol", "theme": "dark"}

    statuses.clear()
    served.clock.advance(ACCESS_VALIDITY * 2)  # the access token is now expired
    page.click("#reload")
    expect(page.locator("#refreshes")).to_have_text("1")
    expect(page.locator("#status")).to_have_text("loaded")
    assert statuses == [("/api/me", 401), (REFRESH, 200), ("/api/me", 200)]
    assert shown_json(page, "#data") == {"notes": "buy milk"}
    assert shown_json(page, "#payload") == {"name": "carol", "theme": "dark"}
    rotated = assert_session_cookie_flags(context)
    assert rotated["sAccessToken"] != first["sAccessToken"]
    assert rotated["sRefreshToken"] != first["sRefreshToken"]

    page.click("#signout")
    expect(page.locator("#signin-form")).to_be_visible()
    assert context.cookies() == []  # cleared with the Path they were set with
    page.reload()
    expect(page.locator("#status")).to_have_text("signed out")
    expect(page.locator("#signin-form")).to_be_visible()


PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_active_sessions_list_and_sign_out_another_device(
    served: Served, browser: Browser, context: BrowserContext
) -> None:
    phone_context = browser.new_context(user_agent=PHONE)
    try:
        phone = phone_context.new_page()
        phone.goto(served.url)
        phone.fill("#user", "dave")
        phone.click("#signin")
        expect(phone.locator("#who")).to_have_text("dave")
        served.clock.advance(timedelta(seconds=1))  # the laptop signs in a second later

        laptop = context.new_page()
        laptop.goto(served.url)
        laptop.fill("#user", "dave")
        laptop.click("#signin")
        expect(laptop.locator("#who")).to_have_text("dave")
        laptop.click("#list-devices")
        devices = laptop.locator("#devices .device")
        expect(devices).to_have_count(2)
        # newest sign-in first: this laptop (headless Chromium on Linux), then the phone
        expect(devices.nth(0)).to_contain_text("Chrome")
        expect(devices.nth(0)).to_contain_text("on Linux from 127.0.0.1")
        expect(devices.nth(0)).to_contain_text("(this device)")
        expect(devices.nth(1)).to_contain_text("Safari 17 on iOS from 127.0.0.1")

        devices.nth(1).locator(".revoke").click()
        expect(laptop.locator("#status")).to_have_text("device signed out")
        expect(devices).to_have_count(1)
        expect(devices.nth(0)).to_contain_text("(this device)")

        phone.click("#refresh")  # the phone's session is gone: its refresh is refused
        expect(phone.locator("#status")).to_have_text("refresh refused")
    finally:
        phone_context.close()
