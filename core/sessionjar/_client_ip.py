"""The client's IP address as a device record keeps it: checked, optionally truncated,
and found behind trusted proxies; no I/O.

Truncation keeps the network and drops the host part (IPv4 /24, IPv6 /48), enough to
tell a user "Berlin, your ISP" from "somewhere else" without keeping their address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from sessionjar._web import Headers

__all__ = ["IPV4_PREFIX", "IPV6_PREFIX", "client_ip", "normalise_ip"]

IPV4_PREFIX: Final = 24
"""Bits of an IPv4 address kept by truncation."""
IPV6_PREFIX: Final = 48
"""Bits of an IPv6 address kept by truncation."""


def normalise_ip(text: str | None, *, truncate: bool = False) -> str | None:
    """Return an IP address in its canonical form, or `None` if ``text`` is not one.

    An IPv4-mapped IPv6 address (``::ffff:203.0.113.7``) becomes the IPv4 address;
    an IPv6 zone (``%eth0``) is dropped.

    Args:
        text: the address as the socket or a proxy header gave it.
        truncate: keep only the network: the /24 of an IPv4 address, the /48 of an
            IPv6 address, with the host bits zeroed.
    """
    return _normalised(text, truncate) if text else None


# the same clients come back on every refresh: parse each address once
@lru_cache(maxsize=1024)
def _normalised(text: str, truncate: bool) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip().partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not truncate:
        return str(address)
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def client_ip(peer: str | None, headers: Headers, *, trusted_proxies: int) -> str | None:
    """Return the address of the client a request came from, unchecked.

    Without trusted proxies it is the socket's peer. Behind ``trusted_proxies`` proxies
    that each append the address they saw to ``X-Forwarded-For``, it is the entry that
    many places from the right: the client can write anything to the left of it, so the
    header is read only when the app is configured to trust it.

    Args:
        peer: the socket's peer address (ASGI ``client``, WSGI ``REMOTE_ADDR``).
        headers: the request headers.
        trusted_proxies: how many proxies in front of the app append to the header.
    """
    if trusted_proxies == 0:
        return peer
    forwarded = headers.get("x-forwarded-for")
    if not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    # fewer entries than proxies: the request went round one; the header proves nothing
    return hops[-trusted_proxies] if len(hops) >= trusted_proxies else peer
