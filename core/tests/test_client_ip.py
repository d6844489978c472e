"""Client IP addresses in device records: canonical form, truncation, trusted proxies."""

from __future__ import annotations

import pytest

from sessionjar._client_ip import client_ip, normalise_ip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::1"),
        ("not an address", None),
        ("203.0.113.7:8080", None),
        ("", None),
        (None, None),
    ],
)
def test_addresses_are_stored_in_canonical_form_or_not_at_all(
    text: str | None, expected: str | None
) -> None:
    assert normalise_ip(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.7", "203.0.113.0"),
        ("198.51.100.255", "198.51.100.0"),
        ("2001:db8:abcd:12:3456::1", "2001:db8:abcd::"),
        ("::ffff:203.0.113.7", "203.0.113.0"),
    ],
)
def test_truncation_keeps_the_ipv4_24_and_the_ipv6_48(text: str, expected: str) -> None:
    assert normalise_ip(text, truncate=True) == expected


class Headers(dict[str, str]):
    def get(self, key: str, /) -> str | None:  # type: ignore[override]
        return super().get(key.lower())


def test_forwarded_for_is_ignored_unless_proxies_are_trusted() -> None:
    headers = Headers({"x-forwarded-for": "198.51.100.1"})
    assert client_ip("10.0.0.2", headers, trusted_proxies=0) == "10.0.0.2"


def test_the_entry_appended_by_the_outermost_trusted_proxy_is_the_client() -> None:
    # the client wrote the first entry itself: only the proxies' entries are believed
    headers = Headers({"x-forwarded-for": "6.6.6.6, 198.51.100.1, 10.0.0.9"})
    assert client_ip("10.0.0.2", headers, trusted_proxies=1) == "10.0.0.9"
    assert client_ip("10.0.0.2", headers, trusted_proxies=2) == "198.51.100.1"


def test_fewer_entries_than_trusted_proxies_falls_back_to_the_peer() -> None:
    headers = Headers({"x-forwarded-for": "198.51.100.1"})
    assert client_ip("10.0.0.2", headers, trusted_proxies=2) == "10.0.0.2"
    assert client_ip("10.0.0.2", Headers(), trusted_proxies=1) == "10.0.0.2"
