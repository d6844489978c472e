"""Devices: what a client tells about itself, as a session record keeps it and as an
"active sessions" page shows it; no I/O.

The record's ``device`` object holds the User-Agent summary and the (possibly truncated)
IP address, written at creation and replaced on each refresh; the times come from the
record itself (``created_at``, ``rotated_at``), so a device costs no field of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import final

from sessionjar._client_ip import normalise_ip
from sessionjar._types import JSONObject
from sessionjar._user_agent import UNKNOWN, summarise_user_agent
from sessionjar.storage import SessionRecord

__all__ = ["Client", "Device", "device_object"]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """What a request says about the client behind it; the web layers build it."""

    __module__ = "sessionjar"

    user_agent: str | None = None
    """The User-Agent header as sent (only its summary is stored)."""
    ip: str | None = None
    """The client's IP address (behind proxies, as the web layer found it)."""


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """One live session of a user, as an "active sessions" page shows it."""

    __module__ = "sessionjar"

    handle: str
    """The session's handle: pass it to `revoke_device` to sign that device out."""
    user_agent: str
    """Browser, major version and system, e.g. ``"Firefox 133 on Windows"``, or
    ``"Unknown"``."""
    ip: str | None
    """The client's IP address (truncated if the manager truncates), or `None`."""
    created_at: datetime
    """When the user signed in on this device."""
    last_refreshed_at: datetime
    """When the session was last refreshed (its creation time until then)."""
    expires_at: datetime
    """When the session ends unless refreshed."""

    @classmethod
    def from_record(cls, record: SessionRecord) -> Device:
        """Return the device a stored record describes."""
        device = record.device
        user_agent, ip = device.get("user_agent"), device.get("ip")
        return cls(
            handle=record.handle,
            user_agent=user_agent if isinstance(user_agent, str) else UNKNOWN,
            ip=ip if isinstance(ip, str) else None,
            created_at=record.created_at,
            last_refreshed_at=record.rotated_at or record.created_at,
            expires_at=record.expires_at,
        )


def device_object(client: Client, *, truncate_ip: bool) -> JSONObject:
    """Return the ``device`` object a record keeps for ``client``.

    An address that is not an IP address is dropped rather than stored.
    """
    ip = normalise_ip(client.ip, truncate=truncate_ip)
    summary: JSONObject = {"user_agent": summarise_user_agent(client.user_agent)}
    if ip is not None:
        summary["ip"] = ip
    return summary
