"""Other services verify our access tokens through the served JWKS, with no code of ours.

Two independent verifiers: joserfc (Python) and node's ``jose`` (JavaScript, installed by
``.ci/services/node-jose.sh``), each with RS256, ES256 and EdDSA keys, across automatic
key rotation. The app runs on a real HTTP server so that ``jose`` fetches the JWKS as a
service in production does; the manager's clock is fake, and each verifier is told the
fake time.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fix_manager import MakeSync
from flask import Flask, request
from werkzeug.serving import make_server

from sessionjar import AutomaticKeys, SessionManager
from sessionjar.flask import SessionExtension
from sessionjar.testing import ManualClock

joserfc_jwt = pytest.importorskip("joserfc.jwt", reason="joserfc is not installed")
from joserfc.errors import JoseError  # noqa: E402 - after the importorskip
from joserfc.jwk import KeySet  # noqa: E402

ALGORITHMS = ["RS256", "ES256", "EdDSA"]
INTERVAL = timedelta(hours=1)
JWKS_PATH = "/.well-known/jwks.json"
NODE_CACHE = Path(
    os.environ.get("SESSIONJAR_NODE_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sessionjar" / "node"
)
VERIFY_SCRIPT = Path(__file__).with_name("jwks_verify.mjs")

Verify = Callable[[str], dict[str, Any] | None]
"""Verify a token at the manager's time: its claims, or `None` when it is refused."""


class ServedApp:
    """A Flask app serving the JWKS on a real port; counts the JWKS requests."""

    def __init__(self, manager: SessionManager) -> None:
        app = Flask(__name__)
        SessionExtension(app, manager=manager, serve_jwks=True)
        self.fetches = 0

        @app.before_request
        def count() -> None:
            if request.path == JWKS_PATH:
                self.fetches += 1

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}{JWKS_PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._thread.join()


@pytest.fixture(params=ALGORITHMS)
def algorithm(request: pytest.FixtureRequest) -> str:
    """The algorithm of the automatic keys."""
    return str(request.param)


@pytest.fixture
def manager(make_manager: MakeSync, algorithm: str) -> SessionManager:
    """A manager with hourly automatic keys of ``algorithm``, keys loaded."""
    made = make_manager(keys=AutomaticKeys(algorithm, rotation_interval=INTERVAL))
    made.load_keys()
    return made


@pytest.fixture
def served(manager: SessionManager) -> Iterator[ServedApp]:
    """The manager's app, serving its JWKS on a free loopback port."""
    app = ServedApp(manager)
    yield app
    app.close()


class JoserfcVerifier:
    """joserfc with a JWKS fetched from the app when the test says (as a cache would)."""

    def __init__(self, url: str, algorithm: str, clock: ManualClock) -> None:
        self.url, self.algorithm, self.clock = url, algorithm, clock
        self.keys = self.fetch()

    def fetch(self) -> KeySet:
        """Fetch the served JWKS."""
        return KeySet.import_key_set(httpx.get(self.url).raise_for_status().json())

    def __call__(self, token: str) -> dict[str, Any] | None:
        try:
            decoded = joserfc_jwt.decode(token, self.keys, algorithms=[self.algorithm])
            now = int(self.clock.now.timestamp())
            registry = joserfc_jwt.JWTClaimsRegistry(now=now, iss={"value": "sessionjar"})
            registry.validate(decoded.claims)
        except JoseError:
            return None
        return dict(decoded.claims)


@pytest.fixture
def node_jose(
    served: ServedApp, algorithm: str, clock: ManualClock
) -> Iterator[Callable[[str], dict[str, Any] | None]]:
    """Node's ``jose`` as a long-lived verifier process, with its own JWKS cache."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the node verifier cannot run")
    if not (NODE_CACHE / "node_modules" / "jose").is_dir():
        pytest.fail(f"jose is not installed in {NODE_CACHE}: run .ci/services/node-jose.sh")
    script = VERIFY_SCRIPT.read_text()
    with subprocess.Popen(
        [node, "--input-type=module", "-e", script, served.url, "sessionjar"],
        cwd=NODE_CACHE,  # `import "jose"` resolves from here
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None
        assert stdout is not None

        def verify(token: str) -> dict[str, Any] | None:
            now = clock.now.timestamp()
            stdin.write(json.dumps({"token": token, "alg": algorithm, "now": now}) + "\n")
            stdin.flush()
            answer = json.loads(stdout.readline())
            return answer["claims"] if answer["ok"] else None

        yield verify
        stdin.close()
        assert process.wait(timeout=10) == 0


# RFC 9864 (2025) names Ed25519 keys' algorithm "Ed25519"; joserfc warns on the older
# "EdDSA" that our tokens (and PyJWT, and most verifiers today) use, and verifies them.
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated via RFC 9864")
def test_joserfc_verifies_our_tokens_across_key_rotation(
    manager: SessionManager, served: ServedApp, algorithm: str, clock: ManualClock
) -> None:
    verifier = JoserfcVerifier(served.url, algorithm, clock)
    _across_rotation(manager, served, verifier, clock, refetch=lambda: _refetch(verifier))


def test_node_jose_verifies_our_tokens_across_key_rotation(
    manager: SessionManager, served: ServedApp, node_jose: Verify, clock: ManualClock
) -> None:
    # jose refetches the JWKS by itself when a token names a kid it does not know
    _across_rotation(manager, served, node_jose, clock, refetch=lambda: None)


def _refetch(verifier: JoserfcVerifier) -> None:
    verifier.keys = verifier.fetch()


def _across_rotation(
    manager: SessionManager,
    served: ServedApp,
    verify: Verify,
    clock: ManualClock,
    refetch: Callable[[], None],
) -> None:
    """Verify a token of each key as time moves through three rotations.

    The verifier's JWKS is fetched once before the rotation: the next key is in it
    before it signs, so the token it signs verifies with no refetch.
    """
    clock.advance(minutes=55)  # five minutes before the rotation
    session = manager.create_session("alice", access_payload={"role": "admin"})
    old = session.access_token
    claims = verify(old)
    assert claims is not None
    assert (claims["sub"], claims["role"]) == ("alice", "admin")
    assert claims["auth_time"] == int(session.created_at.timestamp())
    assert type(claims["auth_time"]) is int

    clock.advance(minutes=10)  # past the rotation: the old token is still valid
    assert session.refresh_token is not None
    new = manager.refresh_session(session.refresh_token)
    assert _kid(new.access_token) != _kid(old)
    assert verify(old) is not None
    assert verify(new.access_token) is not None
    assert served.fetches == 1  # the JWKS fetched before the rotation held the new key

    clock.advance(hours=2)  # two rotations on: a key the verifier has never seen
    assert new.refresh_token is not None
    newest = manager.refresh_session(new.refresh_token)
    refetch()
    assert verify(newest.access_token) is not None
    assert served.fetches == 2
    assert verify(old) is None  # expired, and its key is gone
    assert verify(newest.access_token[:-4] + "AAAA") is None  # forged signature


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=="))["kid"])
