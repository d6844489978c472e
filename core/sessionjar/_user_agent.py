"""A short, human summary of a User-Agent header: browser, major version and OS; no I/O.

It serves an "active sessions" page ("Firefox 133 on Windows"), not feature detection:
the common browsers and systems are named, everything else is ``"Unknown"``. The order
of the rules matters because browsers borrow each other's tokens: Edge and Opera say
"Chrome", Chrome says "Safari", and every browser says "Mozilla".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["UNKNOWN", "MAX_USER_AGENT_LENGTH", "summarise_user_agent"]

UNKNOWN: Final = "Unknown"
"""What an unrecognised browser or system is called."""

MAX_USER_AGENT_LENGTH: Final = 512
"""Only this many leading characters of a header are read: real ones are shorter, and a
long one must not cost more."""

# (name, pattern whose group 1 is the version); the first match wins
_BROWSERS: Final = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("Edge", r"\b(?:Edg|Edge|EdgA|EdgiOS)/(\d+)"),
        ("Opera", r"\b(?:OPR|OPiOS|Opera)/(\d+)"),
        ("Samsung Internet", r"\bSamsungBrowser/(\d+)"),
        ("Vivaldi", r"\bVivaldi/(\d+)"),
        ("Yandex Browser", r"\bYaBrowser/(\d+)"),
        ("Firefox", r"\b(?:Firefox|FxiOS)/(\d+)"),
        ("Chrome", r"\b(?:Chrome|CriOS|HeadlessChrome)/(\d+)"),
        ("Internet Explorer", r"(?:\bMSIE (\d+)|\bTrident/.*\brv:(\d+))"),
        ("Safari", r"\bVersion/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"),
    )
)

_SYSTEMS: Final = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("iOS", r"\b(?:iPhone|iPad|iPod)\b"),
        ("Android", r"\bAndroid\b"),
        ("ChromeOS", r"\bCrOS\b"),
        ("Windows", r"\bWindows\b"),
        ("macOS", r"\bMacintosh\b|\bMac OS X\b"),
        ("Linux", r"\bLinux\b|\bX11\b"),
    )
)


def summarise_user_agent(header: str | None) -> str:
    """Return "<browser> <major version> on <OS>" for a User-Agent header.

    A part not recognised is left out ("Firefox 133", "Unknown browser on Linux");
    nothing recognised, or no header, gives ``"Unknown"``.

    Args:
        header: the request's User-Agent header, or `None` when it had none.
    """
    return _summary(header[:MAX_USER_AGENT_LENGTH]) if header else UNKNOWN


# a client refreshes with the same header again and again: parse each one once
@lru_cache(maxsize=1024)
def _summary(text: str) -> str:
    browser = _browser(text)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), None)
    if browser is None:
        return UNKNOWN if system is None else f"Unknown browser on {system}"
    return browser if system is None else f"{browser} on {system}"


def _browser(text: str) -> str | None:
    for name, pattern in _BROWSERS:
        found = pattern.search(text)
        if found is not None:
            version = next(group for group in found.groups() if group is not None)
            return f"{name} {int(version)}"
    return None
