"""The store URL of the tests: the test server, with FerretDB's non-atomic updates
accepted explicitly when the server is FerretDB v1."""

from __future__ import annotations

import pytest

from sessionjar_mongodb._options import ACCEPT_NON_ATOMIC

__all__ = ["acknowledged", "mongodb_url"]


def acknowledged(url: str, is_ferretdb: bool) -> str:
    """Return ``url``, accepting FerretDB's non-atomic updates explicitly if it is FerretDB."""
    if not is_ferretdb:
        return url
    return f"{url}{'&' if '?' in url else '?'}{ACCEPT_NON_ATOMIC}=true"


@pytest.fixture(scope="session")
def mongodb_url(server_url: str, is_ferretdb: bool) -> str:
    """The store URL of the tests: the test server, accepting FerretDB v1's non-atomic
    updates explicitly (the tests that race updates declare what it loses)."""
    return acknowledged(server_url, is_ferretdb)
