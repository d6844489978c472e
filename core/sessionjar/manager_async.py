"""The session manager: create, verify, refresh and revoke sessions (async version)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Any, Final

from sessionjar import _events
from sessionjar._acompat import asleep
from sessionjar._anti_csrf import derive_anti_csrf_token
from sessionjar._claim_checks_async import check_claims, with_claims
from sessionjar._claims import check_payload
from sessionjar._clock import store_clock, utc_now
from sessionjar._config import Settings, check_name
from sessionjar._devices import Client, device_object
from sessionjar._handles import check_handle, secret_is_ours, split_refresh_token
from sessionjar._info import SessionInformation
from sessionjar._json import check_json_object
from sessionjar._keys import AutomaticKeys, SigningKey
from sessionjar._legacy_async import upgraded
from sessionjar._limits_async import (
    enforce_after_create,
    enforce_at_refresh,
    enforce_before_create,
)
from sessionjar._merge import (
    check_data_patch,
    check_payload_patch,
    merged,
    merged_payload,
    unchanged_since_read,
)
from sessionjar._records import new_record
from sessionjar._rotation import Reuse, Theft, decide, is_live, rotation
from sessionjar._session_limit import (
    DEFAULT_MAX_SESSION_DATA_SIZE,
    SessionLimit,
    UserLimits,
    check_data_size,
)
from sessionjar._token_cache import DEFAULT_TOKEN_CACHE_SIZE
from sessionjar._types import Clock, JSONObject
from sessionjar._user_sessions_async import AsyncUserSessions
from sessionjar.claims import ClaimValidator, SessionClaim, ValidatorsOverride, claims_to_add
from sessionjar.errors import (
    ConfigurationError,
    InvalidTokenError,
    SessionNotFound,
    StorageUnavailable,
    TokenTheftDetected,
    TryRefreshToken,
    UpdateConflict,
)
from sessionjar.keys_async import AsyncKeyRing
from sessionjar.session_async import AsyncSession
from sessionjar.storage import AsyncStore, SessionPatch, SessionRecord
from sessionjar.tokens import AccessClaims, AccessTokens

__all__ = ["AsyncSessionManager"]

_ROTATION_ATTEMPTS: Final = 16
_MERGE_ATTEMPTS: Final = 16
"""How many read + compare-and-set rounds a merge tries before `UpdateConflict`."""
_MERGE_BACKOFF_S: Final = 0.0005
"""First upper bound of the random pause after a lost round; it doubles each round."""
_AUTOMATIC_KEYS: Final = AutomaticKeys()
_KEYS_NOT_LOADED: Final = (
    "signing keys not loaded: call load_keys() at start-up, or enter the manager"
)


class AsyncSessionManager(AsyncUserSessions):
    """Creates, verifies, refreshes and revokes the sessions kept in one store (async version).

    Use it as a context manager (entering loads the signing keys; leaving closes the
    store), or call `load_keys` and `close` yourself.

    Args:
        store: where sessions and automatic keys live.
        keys: explicit signing keys (the first signs, all verify) or `AutomaticKeys`.
        access_token_validity: lifetime of an access token.
        refresh_token_validity: sliding lifetime of a session: each refresh extends it.
        absolute_lifetime: lifetime of a session however often it is refreshed.
        grace_window: how long the previous refresh token keeps working after a
            rotation (it yields the same new token).
        issuer: the ``iss`` claim of access tokens; tokens of other issuers are refused.
        audience: the ``aud`` claim of access tokens; tokens without it are refused.
            With `None` (the default) tokens carry no ``aud``, and any token that has
            one, even empty, is refused.
        refresh_secret: key (>= 32 bytes, or text) that seals refresh tokens; by default a
            random key is kept in the store and shared by every process.
        clock: returns the current UTC time; inject one in tests.
        token_cache_size: how many verified access tokens `get_session` remembers, so
            that a repeat token costs a look-up instead of a signature check; 0 turns
            the cache off. A remembered token is still refused once past its ``exp``
            or once its key has left the key ring.
        claims: claims `create_session` fetches into the payload (`sessionjar.claims`).
        claim_validators: validators `get_session` runs (their claims count as ``claims``).
        max_session_data_size: the largest session data accepted, in bytes of JSON as
            stored (64 KiB by default); `None` for no limit. See `SessionDataTooLarge`.
        session_limit: the most live sessions a user may have per tenant, and what a
            sign-in past it does; `None` (the default) for no limit.
        truncate_ips: keep only the network of a client's IP address in its device
            record (IPv4 /24, IPv6 /48), for privacy.

    Raises:
        ConfigurationError: a setting is invalid (a weak secret, a non-positive
            lifetime, a store of another protocol version …).
    """

    __module__ = "sessionjar"

    def __init__(
        self,
        store: AsyncStore,
        *,
        keys: Sequence[SigningKey] | AutomaticKeys = _AUTOMATIC_KEYS,
        access_token_validity: timedelta = timedelta(minutes=15),
        refresh_token_validity: timedelta = timedelta(days=30),
        absolute_lifetime: timedelta | None = None,
        grace_window: timedelta = timedelta(seconds=30),
        issuer: str = "sessionjar",
        audience: str | None = None,
        refresh_secret: bytes | str | None = None,
        clock: Clock = utc_now,
        token_cache_size: int = DEFAULT_TOKEN_CACHE_SIZE,
        claims: Sequence[SessionClaim[Any]] = (),
        claim_validators: Sequence[ClaimValidator] = (),
        max_session_data_size: int | None = DEFAULT_MAX_SESSION_DATA_SIZE,
        session_limit: SessionLimit | None = None,
        truncate_ips: bool = False,
    ) -> None:
        # a store of an older protocol is wrapped once, here: nothing else sees it
        store = upgraded(store)
        self._settings = Settings(
            access_token_validity=access_token_validity,
            refresh_token_validity=refresh_token_validity,
            absolute_lifetime=absolute_lifetime,
            grace_window=grace_window,
            issuer=issuer,
            audience=audience,
            refresh_secret=refresh_secret,
            token_cache_size=token_cache_size,
        )
        self._store = store
        self._clock = store_clock(clock)
        self._limits = UserLimits.checked(max_session_data_size, session_limit, truncate_ips)
        # the verify path needs only seconds: skip building a datetime on the default clock
        self._seconds: Callable[[], float] = (
            time.time if clock is utc_now else lambda: self._clock().timestamp()
        )
        self._ring = AsyncKeyRing(
            store,
            keys,
            token_validity=access_token_validity,
            refresh_secret=self._settings.refresh_key,
        )
        self._tokens = AccessTokens(issuer, audience=audience, cache_size=token_cache_size)
        self._claims = claims_to_add(claims, claim_validators)
        self._claim_validators = tuple(claim_validators)

    async def __aenter__(self) -> AsyncSessionManager:
        await self.load_keys()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def access_token_validity(self) -> timedelta:
        """Lifetime of an access token (never past the expiry of its session)."""
        return self._settings.access_token_validity

    @property
    def refresh_token_validity(self) -> timedelta:
        """Sliding lifetime of a session: how long it lives without a refresh."""
        return self._settings.refresh_token_validity

    @property
    def key_rotation_interval(self) -> timedelta | None:
        """How long one automatic key signs; `None` with explicit keys."""
        automatic = self._ring.state.automatic
        return None if automatic is None else automatic.rotation_interval

    @property
    def keys_loaded(self) -> bool:
        """Whether `get_session` can verify: always with explicit keys; with automatic keys,
        once they were loaded (by `load_keys`, entering the manager, create or refresh)."""
        state = self._ring.state
        return state.automatic is None or state.loaded_slot is not None

    async def load_keys(self) -> None:
        """Load the signing keys from the store, adding the current and next ones if missing.

        Processes that only verify access tokens call this at start-up and then at least
        once per key-rotation interval (create, refresh and `get_jwks` do it on their own).
        Storage I/O: one list, plus inserts when keys are missing.
        """
        await self._ring.load(self._clock())

    async def close(self) -> None:
        """Close the store. Storage I/O: releases its connections."""
        await self._store.close()

    async def create_session(
        self,
        user_id: str,
        *,
        tenant: str = "public",
        access_payload: JSONObject | None = None,
        session_data: JSONObject | None = None,
        client: Client | None = None,
    ) -> AsyncSession:
        """Create a session for a user and return it with its access and refresh tokens.

        The values of the manager's claims are fetched into the payload first.
        ``client`` (the web layers pass it) is recorded as the session's device.
        Storage I/O: one insert (and, at most once per key-rotation interval, a key load).
        Under a `SessionLimit`: one read after the insert, and a delete when the user is
        past the limit; with ``"refuse"``, one read before the insert too. With
        ``"revoke_oldest"``, a new session ranked out (created in the same millisecond
        as others) is made again, once: one insert, read and delete more.

        Raises:
            ConfigurationError: bad user id or tenant, or the payload sets a
                protected claim.
            SerializationError: the payload or data does not round-trip through JSON.
            SessionDataTooLarge: the data is larger than ``max_session_data_size``.
            SessionLimitReached: the user has as many live sessions as the
                ``"refuse"`` limit allows; nothing is kept.
        """
        check_name(user_id, "user id")
        check_name(tenant, "tenant")
        payload = check_payload({} if access_payload is None else access_payload)
        data = check_json_object({} if session_data is None else session_data, "session data")
        check_data_size(data, self._limits.max_data_size)
        now, limit = self._clock(), self._limits.session_limit
        if limit is not None:
            await enforce_before_create(self._store, limit, tenant, user_id, now)
        if self._claims:
            payload = await with_claims(payload, self._claims, user_id, tenant, now)
        make_record = partial(
            new_record,
            self._settings,
            user_id=user_id,
            tenant=tenant,
            access_payload=payload,
            session_data=data,
            device={} if client is None else self._device(client),
        )
        session = await self._insert(make_record, now)
        if _events.active:
            _events.emit(
                "sessionjar_session_created", handle=session.handle, user_id=user_id, tenant=tenant
            )
        return session

    async def _insert(
        self,
        make_record: Callable[..., tuple[SessionRecord, str]],
        now: datetime,
        retry: bool = True,
    ) -> AsyncSession:
        """Insert a new record made at ``now``, mint its tokens and keep within the limit.
        A new session ranked out (same millisecond, or another clock ahead) is made again
        once, just after every session seen; past that, sign-ins race."""
        refresh_key = await self._ring.refresh_key(now)
        record, refresh_token = make_record(now=now, refresh_key=refresh_key)
        # mint before the insert: no session is stored without a key or with a token
        # too large to be accepted back
        key = await self._ring.signing_key(now)
        session = self._issue(record, key, int(now.timestamp()), refresh_token)
        await self._store.create(record)
        limit = self._limits.session_limit
        if limit is not None:
            later = await enforce_after_create(self._store, limit, record, now)
            if later is not None and retry:
                return await self._insert(make_record, later, False)
        return session

    async def get_session(
        self,
        access_token: str,
        *,
        check_database: bool = False,
        override_global_claim_validators: ValidatorsOverride | None = None,
    ) -> AsyncSession:
        """Verify an access token, check its claims and return its session.

        Storage I/O: none; with ``check_database``, one read, so that revoked and expired
        sessions are refused at once (plus a key load when the rotation slot has changed).
        A token verified before is served from the verified-token cache while it is
        unexpired and its key is in the ring (see ``token_cache_size``). A claim value
        a validator finds missing or too old is fetched again: one payload merge.

        Args:
            override_global_claim_validators: maps ``claim_validators`` to those to run.

        Raises:
            ClaimValidationError: a claim validator failed.
            InvalidTokenError: the token is malformed, forged, foreign or not yet valid.
            TryRefreshToken: the token has expired; the client should refresh.
            SessionNotFound: with ``check_database``, the session is revoked or expired.
            ConfigurationError: automatic keys were never loaded (see `load_keys`).
        """
        session = await self._verify_access(access_token, check_database)
        if self._claim_validators or override_global_claim_validators is not None:
            await self._check_claims(session, override_global_claim_validators)
        return session

    async def _verify_access(self, access_token: str, check_database: bool) -> AsyncSession:
        """Verify an access token and return its session, claims unchecked.

        Storage I/O and errors as `get_session`, but for the claims.
        """
        state = self._ring.state
        if state.automatic is not None and state.loaded_slot is None:
            raise ConfigurationError(_KEYS_NOT_LOADED)
        if check_database and state.needs_load(self._clock()):
            await self._ring.load(self._clock())
        try:
            claims = self._tokens.verify(access_token, state.by_kid, self._seconds())
        except (InvalidTokenError, TryRefreshToken) as exc:
            if _events.active:
                _events.token_rejected("access", exc, access_token)
            raise
        if check_database and not await self._is_live(claims):
            missing = SessionNotFound(claims.handle)
            if _events.active:
                _events.token_rejected("access", missing, access_token)
            raise missing
        return AsyncSession(
            self,
            handle=claims.handle,
            tenant=claims.tenant,
            user_id=claims.user_id,
            created_ms=claims.created_ms,
            expires_s=claims.expires_at,
            access_token=access_token,
            refresh_token=None,
            claims=claims.claims,
        )

    async def _check_claims(
        self, session: AsyncSession, override: ValidatorsOverride | None
    ) -> None:
        """Check a verified session's claims with ``claim_validators``, or those
        ``override`` maps them to (see `check_claims` for its storage I/O and errors)."""
        now_ms = int(self._seconds() * 1000)
        await check_claims(session, self._claim_validators, override, now_ms)

    async def refresh_session(
        self, refresh_token: str, *, client: Client | None = None
    ) -> AsyncSession:
        """Rotate a refresh token and return the session with new tokens.

        The current token rotates and slides the expiry (never past the absolute
        deadline). The previous token, within the grace window, yields the same new
        token without a write. Any other token of the session revokes it.
        Storage I/O: one write, conditioned on the token being the current one and the
        new expiry not passing the absolute deadline. When that writes nothing: one read,
        then within the grace window nothing more; when the deadline caps the expiry,
        one compare-and-set write (re-read and retried when another update won); on
        reuse, one delete. At most once per key-rotation interval, a key load. Under a
        `SessionLimit`: one read more, and a delete when the user is past the limit.
        ``client`` (the web layers pass it) replaces the session's device record, in the
        same write as the rotation.

        Raises:
            InvalidTokenError: the token is not a refresh token core minted.
            SessionNotFound: the session was revoked or has expired, or ranks past the
                user's `SessionLimit` (two sign-ins raced) and has now been revoked.
            TokenTheftDetected: the token was reused; the session has been deleted.
        """
        device = None if client is None else self._device(client)
        try:
            session = await self._rotate(refresh_token, device)
            if self._limits.session_limit is not None:
                await enforce_at_refresh(
                    self._store,
                    self._limits.session_limit,
                    handle=session.handle,
                    tenant=session.tenant,
                    user_id=session.user_id,
                    now=self._clock(),
                )
        except (InvalidTokenError, SessionNotFound) as exc:
            if _events.active:
                _events.token_rejected("refresh", exc, refresh_token)
            raise
        if _events.active:
            _events.emit(
                "sessionjar_session_refreshed",
                handle=session.handle,
                user_id=session.user_id,
                tenant=session.tenant,
            )
        return session

    async def _rotate(self, refresh_token: str, device: JSONObject | None) -> AsyncSession:
        handle, secret = split_refresh_token(refresh_token)
        now = self._clock()
        refresh_key = await self._ring.refresh_key(now)
        if not secret_is_ours(refresh_key, handle, secret):
            raise InvalidTokenError("the refresh token was not issued by this application")
        key = await self._ring.signing_key(now)
        settings = self._settings
        blind = rotation(
            handle,
            secret,
            key=refresh_key,
            now=now,
            refresh_validity=settings.refresh_token_validity,
            deadline=None,
        )
        updated = await self._store.update(
            handle,
            blind.patch if device is None else replace(blind.patch, device=device),
            expected_version=None,
            expected_refresh_hash=blind.presented,
            now=now,
        )
        if updated is not None:
            return self._issue(updated, key, int(now.timestamp()), f"{handle}.{blind.child}")
        for _ in range(_ROTATION_ATTEMPTS):
            record = await self._read_live(handle, now)
            outcome = decide(
                record,
                secret,
                key=refresh_key,
                now=now,
                grace_window=settings.grace_window,
                refresh_validity=settings.refresh_token_validity,
            )
            if isinstance(outcome, Theft):
                await self._store.delete([handle])
                if _events.active:
                    _events.emit(
                        "sessionjar_theft_detected", handle=handle, user_id=record.user_id
                    )
                raise TokenTheftDetected(handle, record.user_id)
            if isinstance(outcome, Reuse):
                return self._issue(record, key, int(now.timestamp()), f"{handle}.{outcome.child}")
            patch = outcome.patch if device is None else replace(outcome.patch, device=device)
            updated = await self._store.update(
                handle, patch, expected_version=record.version, now=now
            )
            if updated is not None:
                return self._issue(updated, key, int(now.timestamp()), f"{handle}.{outcome.child}")
        raise StorageUnavailable(f"the store kept refusing to rotate session {handle!r}")

    async def revoke_session(self, handle: str) -> bool:
        """Delete a session; return whether it existed. Storage I/O: one delete.

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
        """
        deleted = await self._store.delete([check_handle(handle)])
        if deleted and _events.active:
            _events.emit("sessionjar_sessions_revoked", handles=deleted, user_id=None, tenant=None)
        return bool(deleted)

    async def get_session_information(self, handle: str) -> SessionInformation | None:
        """Return what the store holds about a live session, or `None`. Storage I/O: one read.

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
        """
        record = await self._store.get(check_handle(handle))
        if record is None or not is_live(record, self._clock()):
            return None
        return SessionInformation.from_record(record)

    async def update_session_data(self, handle: str, data: JSONObject) -> None:
        """Replace a live session's data whole. Storage I/O: one write.

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
            SerializationError: the data does not round-trip through JSON.
            SessionDataTooLarge: the data is larger than ``max_session_data_size``.
            SessionNotFound: the session was revoked or has expired.
        """
        check_handle(handle)
        checked = check_data_size(
            check_json_object(data, "session data"), self._limits.max_data_size
        )
        await self._update(handle, SessionPatch(session_data=checked))

    async def update_jwt_payload(self, handle: str, payload: JSONObject) -> None:
        """Replace the payload of a live session's future access tokens. Storage I/O: one write.

        Access tokens already issued keep their payload until they are refreshed.

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
            SerializationError: the payload does not round-trip through JSON.
            ConfigurationError: the payload sets a protected claim.
            SessionNotFound: the session was revoked or has expired.
        """
        check_handle(handle)
        await self._update(handle, SessionPatch(access_payload=check_payload(payload)))

    async def merge_session_data(self, handle: str, patch: JSONObject) -> JSONObject:
        """Merge ``patch`` into a live session's data atomically; return the data as written.

        Only the top-level keys of ``patch`` change; a `None` value removes the key. A
        concurrent write of other keys is never lost: the merge is a compare-and-set on
        the record's version, retried when another write won.
        Storage I/O: one read and one conditional write per attempt (one attempt unless
        another write races it; at most 16).

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
            SerializationError: the patch does not round-trip through JSON.
            SessionDataTooLarge: the data is larger than ``max_session_data_size``.
            SessionNotFound: the session was revoked or has expired (also mid-merge).
            UpdateConflict: other writes won every attempt; nothing was written.
        """
        check_handle(handle)
        checked, limit = check_data_patch(patch), self._limits.max_data_size
        record = await self._compare_and_set(
            handle,
            "session_data",
            lambda record: SessionPatch(
                session_data=check_data_size(merged(record.session_data, checked), limit)
            ),
        )
        return record.session_data

    async def merge_jwt_payload(self, handle: str, patch: JSONObject) -> JSONObject:
        """Merge ``patch`` into the payload of a live session's future access tokens
        atomically; return the payload as written.

        As `merge_session_data`; protected claims can be neither set nor removed.
        Access tokens already issued keep their payload until they are refreshed.
        Storage I/O: one read and one conditional write per attempt (at most 16).

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
            SerializationError: the patch does not round-trip through JSON.
            ConfigurationError: the patch names a protected claim, or the merged
                payload is too large.
            SessionNotFound: the session was revoked or has expired (also mid-merge).
            UpdateConflict: other writes won every attempt; nothing was written.
        """
        check_handle(handle)
        checked = check_payload_patch(patch)
        record = await self._compare_and_set(
            handle,
            "access_payload",
            lambda record: SessionPatch(
                access_payload=merged_payload(record.access_payload, checked)
            ),
        )
        return record.access_payload

    async def compare_and_set_session_data(
        self, handle: str, expected: JSONObject, data: JSONObject
    ) -> None:
        """Replace a live session's data with ``data`` only if it still equals ``expected``.

        For a caller who read the data, decided, and must not overwrite a change made
        meanwhile. Storage I/O: one read and one conditional write (a re-read when
        another write raced it).

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
            SerializationError: ``data`` does not round-trip through JSON.
            SessionDataTooLarge: the data is larger than ``max_session_data_size``.
            SessionNotFound: the session was revoked or has expired.
            UpdateConflict: the data is no longer ``expected``; nothing was written.
        """
        check_handle(handle)
        checked = check_data_size(
            check_json_object(data, "session data"), self._limits.max_data_size
        )

        def replace(record: SessionRecord) -> SessionPatch:
            unchanged_since_read(handle, record.session_data, expected)
            return SessionPatch(session_data=checked)

        await self._compare_and_set(handle, "session_data", replace)

    async def delete_expired_sessions(self, *, limit: int | None = None) -> int:
        """Delete expired sessions (and expired automatic keys); return how many sessions.

        Storage I/O: one delete.

        Args:
            limit: delete at most this many sessions; fewer deleted means none are left
                (a store of protocol 2 or 3 deletes them all whatever the limit).
                Several processes may delete at once: each session is counted once.

        Raises:
            ConfigurationError: ``limit`` is not a positive integer (nothing deleted).
        """
        count = await self._store.delete_expired(now=self._clock(), limit=limit)
        if _events.active:
            _events.emit("sessionjar_expired_sessions_deleted", count=count)
        return count

    async def anti_csrf_token(self, handle: str) -> str:
        """Return the anti-CSRF token of a session: the same for its whole life, in every process.

        It is an HMAC of the handle with the refresh key (kept apart from the refresh
        secrets that key also seals), so it needs no secret of its own and nothing stored.
        The web layer hands it out on sign-in and refresh and checks it on state-changing
        requests in ``anti_csrf="token"`` mode.
        Storage I/O: none once keys are loaded; otherwise a key load.

        Raises:
            InvalidHandle: ``handle`` is not a well-formed handle.
        """
        check_handle(handle)
        return derive_anti_csrf_token(await self._ring.refresh_key(self._clock()), handle)

    async def get_jwks(self) -> dict[str, Any]:
        """Return the JWKS document of the public keys that verify access tokens.

        Automatic keys: the next key is in it before it signs. Shared secrets (HS256)
        are never published. Storage I/O: a key load for automatic keys, at most once per
        key-rotation interval; none otherwise.
        """
        return await self._ring.jwks(self._clock())

    def _device(self, client: Client) -> JSONObject:
        return device_object(client, truncate_ip=self._limits.truncate_ips)

    async def _is_live(self, claims: AccessClaims) -> bool:
        return await self._store.is_live(
            claims.handle, tenant=claims.tenant, user_id=claims.user_id, now=self._clock()
        )

    async def _read_live(self, handle: str, now: datetime | None = None) -> SessionRecord:
        record = await self._store.get(handle)
        if record is None or not is_live(record, self._clock() if now is None else now):
            raise SessionNotFound(handle)
        return record

    async def _update(self, handle: str, patch: SessionPatch) -> SessionRecord:
        now = self._clock()
        updated = await self._store.update(handle, patch, expected_version=None, now=now)
        # core, not the driver, has the last word on expiry
        if updated is None or not is_live(updated, now):
            raise SessionNotFound(handle)
        return updated

    async def _compare_and_set(
        self, handle: str, field: str, build: Callable[[SessionRecord], SessionPatch]
    ) -> SessionRecord:
        # update-only and conditioned on the version read: a revoked session stays gone
        # (the re-read raises SessionNotFound) and no concurrent write is overwritten
        for attempt in range(_MERGE_ATTEMPTS):
            if attempt:
                # a random, growing pause spreads the losers out, so that many writers of
                # one session all land instead of racing in lockstep
                pause = _MERGE_BACKOFF_S * 2 ** min(attempt, 8)
                await asleep(random.uniform(0, pause))  # noqa: S311 (jitter, not a secret)
            now = self._clock()
            record = await self._read_live(handle, now)
            patch = build(record)
            updated = await self._store.update(
                handle, patch, expected_version=record.version, now=now
            )
            if updated is not None:
                if not is_live(updated, now):
                    raise SessionNotFound(handle)
                return updated
        raise UpdateConflict(handle, field, attempts=_MERGE_ATTEMPTS)

    async def _merge_payload_and_mint(
        self, session: AsyncSession, patch: JSONObject
    ) -> tuple[str, JSONObject]:
        now = self._clock()
        key = await self._ring.signing_key(now)
        payload = await self.merge_jwt_payload(session.handle, patch)
        return self._mint_for(session, key, int(now.timestamp()), payload), payload

    def _mint_for(
        self, session: AsyncSession, key: SigningKey, now_s: int, payload: JSONObject
    ) -> str:
        return self._tokens.mint(
            key,
            handle=session.handle,
            tenant=session.tenant,
            user_id=session.user_id,
            created_at=session.created_at,
            issued_at=now_s,
            expires_at=int(session.access_token_expires_at.timestamp()),
            payload=payload,
        )

    async def _update_payload_and_mint(self, session: AsyncSession, payload: JSONObject) -> str:
        checked = check_payload(payload)
        now = self._clock()
        key = await self._ring.signing_key(now)
        token = self._mint_for(session, key, int(now.timestamp()), checked)
        await self._update(session.handle, SessionPatch(access_payload=checked))
        return token

    def _issue(
        self, record: SessionRecord, key: SigningKey, now_s: int, refresh_token: str
    ) -> AsyncSession:
        expires_s = min(now_s + self._settings.access_seconds, int(record.expires_at.timestamp()))
        access_token = self._tokens.mint(
            key,
            handle=record.handle,
            tenant=record.tenant,
            user_id=record.user_id,
            created_at=record.created_at,
            issued_at=now_s,
            expires_at=expires_s,
            payload=record.access_payload,
        )
        return AsyncSession(
            self,
            handle=record.handle,
            tenant=record.tenant,
            user_id=record.user_id,
            created_ms=round(record.created_at.timestamp() * 1000),
            expires_s=expires_s,
            access_token=access_token,
            refresh_token=refresh_token,
            payload=record.access_payload,
        )
