"""The User-Agent summary: browser, major version and system of real headers."""

from __future__ import annotations

import pytest

from sessionjar._user_agent import MAX_USER_AGENT_LENGTH, UNKNOWN, summarise_user_agent

HEADERS = {
    "Firefox 133 on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    ),
    "Firefox 121 on Linux": (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
    ),
    "Firefox 121 on iOS": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15"
    ),
    "Chrome 120 on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36"
    ),
    "Chrome 120 on macOS": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    ),
    "Chrome 120 on Android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.144 Mobile Safari/537.36"
    ),
    "Chrome 120 on iOS": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"
    ),
    "Chrome 119 on ChromeOS": (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0.0.0 Safari/537.36"
    ),
    "Edge 120 on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"
    ),
    "Edge 18 on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582"
    ),
    "Opera 105 on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0"
    ),
    "Samsung Internet 23 on Android": (
        "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"
    ),
    "Safari 17 on macOS": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Safari/605.1.15"
    ),
    "Safari 17 on iOS": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
    ),
    "Safari 16 on iOS": (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
    ),
    "Internet Explorer 11 on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
    ),
    "Internet Explorer 9 on Windows": (
        "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"
    ),
    "Chrome 131 on Linux": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0.6778.33 Safari/537.36"
    ),
}


@pytest.mark.parametrize(("expected", "header"), HEADERS.items())
def test_common_browsers_are_named_with_major_version_and_system(
    expected: str, header: str
) -> None:
    assert summarise_user_agent(header) == expected


@pytest.mark.parametrize("header", [None, "", "curl/8.4.0", "python-httpx/0.27.0", "x" * 10_000])
def test_unrecognised_headers_are_unknown(header: str | None) -> None:
    assert summarise_user_agent(header) == UNKNOWN


def test_a_known_system_with_an_unknown_browser_keeps_the_system() -> None:
    header = "Mozilla/5.0 (X11; Linux x86_64) SomeNewBrowser/1.0"
    assert summarise_user_agent(header) == "Unknown browser on Linux"


def test_a_known_browser_on_an_unknown_system_is_named_alone() -> None:
    assert summarise_user_agent("Mozilla/5.0 (PlayStation) Firefox/115.0") == "Firefox 115"


def test_only_the_head_of_a_long_header_is_read() -> None:
    padded = "Mozilla/5.0 (Windows NT 10.0) " + " " * MAX_USER_AGENT_LENGTH + "Firefox/133.0"
    assert summarise_user_agent(padded) == "Unknown browser on Windows"


def test_leading_zeros_in_a_version_are_dropped() -> None:
    assert summarise_user_agent("Mozilla/5.0 (Windows NT 10.0) Firefox/0133.0").startswith(
        "Firefox 133"
    )
