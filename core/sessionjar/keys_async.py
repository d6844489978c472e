"""The key ring: signing keys and the refresh key, loaded from the store (async version).

Verification never does I/O: it reads the keys installed by the last `load`, which
runs on paths that do I/O anyway (create, refresh, JWKS) when the rotation slot has
changed, and on `AsyncSessionManager.load_keys` for processes that only verify.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sessionjar._keys import (
    REFRESH_SECRET_KID,
    AutomaticKeys,
    KeyRingState,
    SigningKey,
    refresh_secret_record,
)
from sessionjar.errors import StorageUnavailable
from sessionjar.storage import AsyncStore, SigningKeyRecord

__all__ = ["AsyncKeyRing"]


class AsyncKeyRing:
    """The keys one manager signs, verifies and derives refresh tokens with (async version)."""

    def __init__(
        self,
        store: AsyncStore,
        keys: Sequence[SigningKey] | AutomaticKeys,
        *,
        token_validity: timedelta,
        refresh_secret: bytes | None,
    ) -> None:
        self._store = store
        self._token_validity = token_validity
        self.state = KeyRingState(keys)
        self.state.refresh_key = refresh_secret

    async def load(self, now: datetime) -> None:
        """Read the stored keys, adding the ones missing, and install them.

        Automatic keys: the current and the next slot's keys are added if absent (insert-
        if-absent, so racing processes converge on the first writer's key). The refresh
        key is added if none was configured and none is stored. Storage I/O: one list;
        when something was missing, one insert per missing key and one more list.
        """
        records = await self._store.list_signing_keys()
        missing = self._missing(records, now)
        if missing:
            for record in missing:
                await self._store.add_signing_key(record)
            records = await self._store.list_signing_keys()
        self.state.install(records, now)

    def _missing(self, records: list[SigningKeyRecord], now: datetime) -> list[SigningKeyRecord]:
        kids = {record.kid for record in records}
        missing = []
        auto = self.state.automatic
        if auto is not None:
            slot = auto.slot(now)
            missing += [
                auto.new_record(s, now, self._token_validity)
                for s in (slot, slot + 1)
                if auto.kid(s) not in kids
            ]
        if self.state.refresh_key is None and REFRESH_SECRET_KID not in kids:
            missing.append(refresh_secret_record(now))
        return missing

    async def signing_key(self, now: datetime) -> SigningKey:
        """Return the key that signs at ``now``; loads the ring when the slot has changed."""
        if self.state.needs_load(now):
            await self.load(now)
        key = self.state.signing_key(now)
        if key is None:
            raise StorageUnavailable("the store did not keep the signing key it was given")
        return key

    async def refresh_key(self, now: datetime) -> bytes:
        """Return the key refresh secrets are sealed and derived with; loads it once."""
        if self.state.refresh_key is None:
            await self.load(now)
        if self.state.refresh_key is None:
            raise StorageUnavailable("the store did not keep the refresh key it was given")
        return self.state.refresh_key

    async def jwks(self, now: datetime) -> dict[str, Any]:
        """Return the JWKS document, the next slot's key included.

        Storage I/O: a `load` for automatic keys when the slot has changed since the last
        one (which installed the next slot's key too); none otherwise.
        """
        if self.state.needs_load(now):
            await self.load(now)
        return self.state.jwks()
