"""The storage protocol: the records a driver keeps and the store interfaces it implements.

Drivers only persist. Every decision — expiry, rotation, theft, tokens — is taken by
core, which calls these primitives. A driver implements `AsyncStore`, `Store` or both;
`sessionjar.AsyncStoreAdapter` turns a `Store` into an `AsyncStore`.

Contract shared by every method:

- Times are timezone-aware UTC `datetime` values with whole milliseconds (core truncates
  them); a driver returns exactly the instants it was given.
- JSON objects (``access_payload``, ``session_data``, ``device``) have been checked by core to
  round-trip exactly through JSON; a driver returns a value equal to what it was given.
  If its backend cannot hold a value (PostgreSQL cannot hold NUL in text, say), it raises
  `SerializationError` before writing anything.
- A record counts as expired when ``expires_at <= now``. ``expires_at`` never passes
  ``absolute_deadline``: core never asks for it, and `AsyncStore.update` refuses a patch
  that would. So drivers look at ``expires_at`` alone to tell whether a record is live.
  Native TTLs are garbage collection only: a driver may return an expired record from
  `get` (core ignores it) but never lists or updates one.
- Every backend failure surfaces as `StorageUnavailable` raised ``from`` the backend's
  exception; a driver never returns an answer that only looks valid. An operation either
  happens whole or not at all.
- Everything lives under the store's ``namespace``: two stores with different
  namespaces on one server never see each other's sessions or keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol, runtime_checkable

from sessionjar._types import JSONObject

__all__ = [
    "PROTOCOL_VERSION",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "SessionRecord",
    "SessionPatch",
    "SigningKeyRecord",
    "AsyncStore",
    "Store",
]

PROTOCOL_VERSION: Final = 4
"""Version of this protocol. A driver declares the version it implements; core refuses
versions outside `SUPPORTED_PROTOCOL_VERSIONS`.

Version 2 added ``expected_refresh_hash`` and the deadline rule to `AsyncStore.update`.
Version 3 added `AsyncStore.is_live`.
Version 4 added ``device`` to `SessionRecord` and `SessionPatch`,
`AsyncStore.list_sessions_for_user` and the ``limit`` of `AsyncStore.delete_expired`.
"""

SUPPORTED_PROTOCOL_VERSIONS: Final = frozenset({2, 3, PROTOCOL_VERSION})
"""The protocol versions core accepts from a driver. Core wraps a store of an older
version once, in ``sessionjar._legacy_async.upgraded``, which gives it the surface of
this version (see there for what an older store cannot do)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRecord:
    """One session as the store keeps it."""

    handle: str
    """Random, URL-safe identifier of the session (≥128 bits); the record's key."""
    tenant: str
    """Tenant the session belongs to; sessions of one user id in two tenants are unrelated."""
    user_id: str
    """The user the session was created for."""
    created_at: datetime
    """When the session was created."""
    expires_at: datetime
    """When the session expires unless refreshed (sliding; never past ``absolute_deadline``)."""
    absolute_deadline: datetime | None
    """When the session ends however often it is refreshed, if ever."""
    access_payload: JSONObject
    """User claims copied into every access token of the session."""
    session_data: JSONObject
    """Server-side data of the session; never sent to the client."""
    refresh_hash: str
    """Hex SHA-256 of the current refresh token's secret."""
    prev_refresh_hash: str | None
    """Hex SHA-256 of the previous refresh token's secret, usable within the grace window."""
    rotated_at: datetime | None
    """When the refresh token was last rotated."""
    device: JSONObject = field(default_factory=dict)
    """What the client told core about itself (user agent, IP …), written by core at
    creation and on each refresh; a JSON object, stored like ``session_data``. Since
    protocol 4."""
    version: int = 1
    """Incremented by the store on every update; the compare-and-set token."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPatch:
    """The fields an update sets; a field left as `None` is left unchanged."""

    expires_at: datetime | None = None
    """New expiry."""
    access_payload: JSONObject | None = None
    """New access-token payload."""
    session_data: JSONObject | None = None
    """New session data (replaces the old data whole)."""
    refresh_hash: str | None = None
    """New current refresh-token hash."""
    prev_refresh_hash: str | None = None
    """New previous refresh-token hash."""
    rotated_at: datetime | None = None
    """New rotation time."""
    device: JSONObject | None = None
    """New device object (replaces the old one whole). Since protocol 4."""

    def changes(self) -> dict[str, object]:
        """Return the fields to set, by `SessionRecord` field name."""
        return {
            name: value for name in _PATCH_FIELDS if (value := getattr(self, name)) is not None
        }


_PATCH_FIELDS: Final = (
    "expires_at",
    "access_payload",
    "session_data",
    "refresh_hash",
    "prev_refresh_hash",
    "rotated_at",
    "device",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningKeyRecord:
    """A signing key shared through the store by every process of an application."""

    kid: str
    """Key id; the record's key and the ``kid`` header of tokens it signs."""
    algorithm: str
    """JWS algorithm pinned to the key (``EdDSA``, ``ES256``, ``RS256`` or ``HS256``)."""
    private_jwk: JSONObject = field(repr=False)
    """The key, private part included, as a JWK object."""
    created_at: datetime
    """When the key was created (and published)."""
    not_before: datetime
    """When the key starts signing; it is published before then."""
    expires_at: datetime
    """When the key may be deleted: every token it signed has expired by then."""


@runtime_checkable
class AsyncStore(Protocol):
    """The storage interface of a driver (async version).

    Every method may raise `StorageUnavailable`; the ones that write may also raise
    `SerializationError` before writing.

    JSON objects (``access_payload``, ``session_data``, ``device``, a key's JWK) are
    copied in and out: once a record, patch or key is passed in, or a record or key
    returned, mutating its objects changes nothing the store holds.
    """

    protocol_version: int
    """The `PROTOCOL_VERSION` the driver implements."""

    async def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only.

        Raises:
            DuplicateHandle: a record with the handle exists (expired or not);
                the existing record is left untouched.
        """
        ...

    async def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        ...

    async def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether a record with exactly this handle, tenant and user id is live
        (``expires_at > now``). One read: the cheapest the backend offers.

        Core calls it on every `get_session` with ``check_database``, so a driver reads
        only what the answer needs (an existence check, one indexed row, no JSON). All
        three identifiers match literally: no patterns, no case folding. Since protocol 3.

        Raises:
            ConfigurationError: ``handle``, ``tenant`` or ``user_id`` is not a str, or
                ``now`` is not a timezone-aware datetime (see
                `sessionjar.drivers.check_liveness_query`); nothing is read.
        """
        ...

    async def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch`` to a live record and increment its version; update-only.

        The update happens only if, checked and written atomically:

        - the record exists and is not expired at ``now``;
        - ``expected_version`` is `None` or equals its version (compare-and-set);
        - ``expected_refresh_hash`` is `None` or equals its ``refresh_hash`` (core
          rotates a refresh token this way without reading the record first);
        - the patch does not set ``expires_at`` past the record's ``absolute_deadline``.

        Never creates a record. `sessionjar.drivers.update_applies` states the same
        conditions in Python, for stores that check them in the client under a lock.

        Returns:
            the record as updated, or `None` if nothing was updated.
        """
        ...

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        ...

    async def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        ...

    async def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live (not expired at ``now``) records, any order."""
        ...

    async def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live (``expires_at > now``) record of exactly this tenant and user
        id, any order; each equal to what `get` returns for its handle.

        One read where the backend allows (an index on (tenant, user id) exists). Tenant
        and user id match literally, as in `list_for_user`: no patterns, no collation, no
        case folding. Since protocol 4.

        Raises:
            ConfigurationError: ``tenant`` or ``user_id`` is not a str, or ``now`` is not
                a timezone-aware datetime (see `sessionjar.drivers.check_user_query`);
                nothing is read.
        """
        ...

    async def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete records expired at ``now`` and every signing key past its
        ``expires_at``; return how many session records were deleted.

        With ``limit``, delete at most ``limit`` records (the expired keys go in the
        same call); a return below ``limit`` means none was left expired as of ``now``,
        except records another transaction is changing at that moment (PostgreSQL skips
        rows locked by another writer rather than wait for them).
        Several processes may call it at once on one namespace: each record is deleted,
        and counted, by one of them. ``limit`` since protocol 4.

        Raises:
            ConfigurationError: ``limit`` is not a positive int or `None` (see
                `sessionjar.drivers.check_limit`); nothing is deleted.
        """
        ...

    async def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless one with its ``kid`` exists.

        Returns:
            `True` if this key was inserted, `False` if the ``kid`` was taken (the
                existing key is left untouched).
        """
        ...

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        ...

    async def close(self) -> None:
        """Release connections. Closing again does nothing; any other method of a
        closed store raises `StorageUnavailable`."""
        ...


@runtime_checkable
class Store(Protocol):
    """The storage interface of a driver (sync version); see `AsyncStore` for the contract."""

    protocol_version: int
    """The `PROTOCOL_VERSION` the driver implements."""

    def create(self, record: SessionRecord) -> None:
        """Insert a new record; insert-only. See `AsyncStore.create`."""
        ...

    def get(self, handle: str) -> SessionRecord | None:
        """Return the record with this handle, or `None`. May return an expired record."""
        ...

    def is_live(self, handle: str, *, tenant: str, user_id: str, now: datetime) -> bool:
        """Tell whether a record with exactly this handle, tenant and user id is live
        (``expires_at > now``). One read: the cheapest the backend offers. See
        `AsyncStore.is_live`."""
        ...

    def update(
        self,
        handle: str,
        patch: SessionPatch,
        *,
        expected_version: int | None,
        now: datetime,
        expected_refresh_hash: str | None = None,
    ) -> SessionRecord | None:
        """Apply ``patch`` to a live record; update-only. See `AsyncStore.update`."""
        ...

    def delete(self, handles: Sequence[str]) -> list[str]:
        """Delete the records with these handles; return the handles actually deleted."""
        ...

    def delete_for_user(self, tenant: str, user_id: str) -> list[str]:
        """Delete every record of a user in a tenant; return the handles deleted."""
        ...

    def list_for_user(self, tenant: str, user_id: str, *, now: datetime) -> list[str]:
        """Return the handles of a user's live records, any order."""
        ...

    def list_sessions_for_user(
        self, tenant: str, user_id: str, *, now: datetime
    ) -> list[SessionRecord]:
        """Return every live record of exactly this tenant and user id, any order. See
        `AsyncStore.list_sessions_for_user`."""
        ...

    def delete_expired(self, *, now: datetime, limit: int | None = None) -> int:
        """Delete expired records (at most ``limit``) and signing keys; return how many
        records were deleted. See `AsyncStore.delete_expired`."""
        ...

    def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert a signing key unless its ``kid`` is taken. See `AsyncStore.add_signing_key`."""
        ...

    def list_signing_keys(self) -> list[SigningKeyRecord]:
        """Return every stored signing key, any order."""
        ...

    def close(self) -> None:
        """Release connections; see `AsyncStore.close`."""
        ...
