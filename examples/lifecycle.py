"""Walk through one session's whole life on the embedded sqlite store, printing each step.

    python examples/lifecycle.py [path/to/sessions.db]

Create → verify → update data and payload → refresh → replay the old refresh token
(caught as theft) → the session is gone.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import sessionjar


def step(title: str, detail: object = "") -> None:
    """Print one step of the walkthrough."""
    print(f"\n== {title}")
    if detail != "":
        print(f"   {detail}")


def short(token: str | None) -> str:
    """Return the start of a token, enough to tell tokens apart."""
    return f"{token[:24]}… ({len(token)} chars)" if token else "-"


async def main(db_path: Path) -> None:
    """Run the walkthrough against a sqlite store at ``db_path``."""
    store = sessionjar.open_async_store(f"sqlite:///{db_path}")
    async with sessionjar.AsyncSessionManager(store) as manager:
        session = await manager.create_session(
            "alice",
            access_payload={"role": "editor"},
            session_data={"cart": []},
        )
        step("create a session for alice", f"handle {session.handle}")
        print(f"   access token  {short(session.access_token)}")
        print(f"   refresh token {short(session.refresh_token)}")

        verified = await manager.get_session(session.access_token)
        step("verify the access token (no storage I/O)", f"user {verified.get_user_id()!r}")
        print(f"   payload {verified.get_jwt_payload()}")

        await verified.update_session_data({"cart": ["book"]})
        step("update session data (one write)", await verified.get_session_data())

        await verified.update_jwt_payload({"role": "admin"})
        step("update the JWT payload (one write, new access token)", verified.get_jwt_payload())
        print(f"   new access token {short(verified.access_token)}")

        old_refresh = session.refresh_token
        assert old_refresh is not None
        refreshed = await manager.refresh_session(old_refresh)
        step("refresh: the refresh token rotates", f"new token {short(refreshed.refresh_token)}")

        again = await manager.refresh_session(old_refresh)
        step(
            "replay the old token within the grace window: same new tokens, no alarm",
            f"same refresh token: {again.refresh_token == refreshed.refresh_token}",
        )

        new_refresh = refreshed.refresh_token
        assert new_refresh is not None
        newest = await manager.refresh_session(new_refresh)
        assert newest.refresh_token is not None
        step("refresh again with the current token", f"new token {short(newest.refresh_token)}")
        try:
            await manager.refresh_session(old_refresh)
        except sessionjar.TokenTheftDetected as theft:
            step("replay the first token two rotations later: theft!", theft)

        try:
            await manager.get_session(newest.access_token, check_database=True)
        except sessionjar.UnauthorisedError as exc:
            step("verify with check_database=True after the theft", f"refused: {exc}")

        other = await manager.create_session("alice")
        await other.revoke_session()
        info = await manager.get_session_information(other.handle)
        step("create another session and revoke it: its information is gone", info)
        handles = await manager.get_all_session_handles_for_user("alice")
        step("alice's live sessions", handles)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "sessions.db"
        asyncio.run(main(path))
