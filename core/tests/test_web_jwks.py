"""The JWKS route: its response decisions, and the route in the Flask and Starlette layers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fix_manager import MakeAsync, MakeSync
from fix_web import BASE_URL, starlette_app
from flask import Flask

from sessionjar import AutomaticKeys, SigningKey
from sessionjar._web_jwks import JWKS_CONTENT_TYPE, jwks_max_age, jwks_reply
from sessionjar.errors import ConfigurationError
from sessionjar.flask import SessionExtension
from sessionjar.starlette import SessionMiddleware
from sessionjar.testing import ManualClock

WELL_KNOWN = "/.well-known/jwks.json"
DOCUMENT = {"keys": [{"kid": "b", "kty": "OKP", "x": "2"}, {"x": "1", "kty": "OKP", "kid": "a"}]}


class TestReply:
    def test_the_body_is_the_same_bytes_whatever_the_order_of_keys(self) -> None:
        shuffled = {"keys": [dict(reversed(jwk.items())) for jwk in reversed(DOCUMENT["keys"])]}
        first, second = jwks_reply(DOCUMENT, 60, None), jwks_reply(shuffled, 60, None)
        assert first.body == second.body
        assert [jwk["kid"] for jwk in json.loads(first.body)["keys"]] == ["a", "b"]
        assert dict(first.headers)["ETag"] == dict(second.headers)["ETag"]

    def test_a_new_key_changes_the_etag(self) -> None:
        more = {"keys": [*DOCUMENT["keys"], {"kid": "c", "kty": "OKP", "x": "3"}]}
        etag = dict(jwks_reply(DOCUMENT, 60, None).headers)["ETag"]
        assert dict(jwks_reply(more, 60, None).headers)["ETag"] != etag

    def test_headers_of_a_full_response(self) -> None:
        reply = jwks_reply(DOCUMENT, 300, None)
        headers = dict(reply.headers)
        assert reply.status == 200
        assert headers["Content-Type"] == JWKS_CONTENT_TYPE
        assert headers["Cache-Control"] == "public, max-age=300"
        assert re.fullmatch(r'"[0-9a-f]{32}"', headers["ETag"])

    @pytest.mark.parametrize("form", ["{}", "W/{}", '"other", {}', "*", ' "x" ,W/{} '])
    def test_if_none_match_naming_the_etag_gets_304_without_a_body(self, form: str) -> None:
        etag = dict(jwks_reply(DOCUMENT, 60, None).headers)["ETag"]
        reply = jwks_reply(DOCUMENT, 60, form.format(etag))
        assert (reply.status, reply.body) == (304, b"")
        assert dict(reply.headers) == {"Cache-Control": "public, max-age=60", "ETag": etag}

    @pytest.mark.parametrize("header", ["", '"stale"', "W/", "etag"])
    def test_another_if_none_match_gets_the_document(self, header: str) -> None:
        assert jwks_reply(DOCUMENT, 60, header).status == 200

    def test_max_age_is_half_a_rotation_interval_or_five_minutes(self) -> None:
        assert jwks_max_age(timedelta(days=7)) == 302400
        assert jwks_max_age(timedelta(minutes=1)) == 30
        assert jwks_max_age(None) == 300

    def test_the_path_must_be_absolute(self, make_manager: MakeSync) -> None:
        with pytest.raises(ConfigurationError, match="jwks_path"):
            SessionExtension(manager=make_manager(), serve_jwks=True, jwks_path="keys.json")


def flask_app(manager: Any, **options: Any) -> Flask:
    app = Flask(__name__)
    SessionExtension(app, manager=manager, **options)
    return app


class TestFlask:
    def test_not_served_unless_asked(self, make_manager: MakeSync) -> None:
        client = flask_app(make_manager()).test_client()
        assert client.get(WELL_KNOWN).status_code == 404

    def test_serves_the_managers_jwks_with_cache_headers(self, make_manager: MakeSync) -> None:
        manager = make_manager()
        client = flask_app(manager, serve_jwks=True).test_client()
        response = client.get(WELL_KNOWN)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == JWKS_CONTENT_TYPE
        assert response.headers["Cache-Control"] == "public, max-age=302400"
        assert "Set-Cookie" not in response.headers
        assert _kids(response.get_json()) == _kids(manager.get_jwks())
        again = client.get(WELL_KNOWN, headers={"If-None-Match": response.headers["ETag"]})
        assert (again.status_code, again.data) == (304, b"")
        assert "Content-Type" not in again.headers  # as Django: no body to describe
        assert client.head(WELL_KNOWN).status_code == 200

    def test_one_key_load_per_rotation_interval(
        self, make_manager: MakeSync, clock: ManualClock
    ) -> None:
        calls: list[str] = []
        client = flask_app(make_manager(calls=calls), serve_jwks=True).test_client()
        etag = client.get(WELL_KNOWN).headers["ETag"]
        assert client.get(WELL_KNOWN, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(WELL_KNOWN).status_code == 200
        assert calls.count("list_signing_keys") == 2  # one load: a list, inserts, a list
        clock.advance(days=7)  # the next rotation slot: its keys are loaded once
        assert client.get(WELL_KNOWN).status_code == 200
        assert calls.count("list_signing_keys") == 4

    def test_at_a_path_of_choice_with_explicit_keys(self, make_manager: MakeSync) -> None:
        key = SigningKey.generate("ES256", kid="one")
        client = flask_app(make_manager(keys=[key]), serve_jwks=True, jwks_path="/k").test_client()
        response = client.get("/k")
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert response.get_json() == {"keys": [key.public_jwk()]}
        assert client.get(WELL_KNOWN).status_code == 404

    def test_store_down_is_503(self, make_manager: MakeSync, clock: ManualClock) -> None:
        broken: set[str] = set()
        client = flask_app(make_manager(broken=broken), serve_jwks=True).test_client()
        broken.add("list_signing_keys")
        clock.advance(days=7)  # a new rotation slot: its keys must be loaded
        response = client.get(WELL_KNOWN)
        assert response.status_code == 503
        assert response.get_json()["error"] == "storage_unavailable"


class TestStarlette:
    async def test_not_served_unless_asked(
        self, make_amanager: MakeAsync, aclient: Callable[..., httpx.AsyncClient]
    ) -> None:
        client = aclient(starlette_app(make_amanager()))
        assert (await client.get(WELL_KNOWN)).status_code == 404

    async def test_serves_the_managers_jwks_with_cache_headers(
        self, make_amanager: MakeAsync, aclient: Callable[..., httpx.AsyncClient]
    ) -> None:
        manager = make_amanager(keys=AutomaticKeys(rotation_interval=timedelta(hours=1)))
        client = aclient(starlette_app(manager, serve_jwks=True))
        response = await client.get(WELL_KNOWN)
        assert response.status_code == 200
        assert response.headers["content-type"] == JWKS_CONTENT_TYPE
        assert response.headers["cache-control"] == "public, max-age=1800"
        assert "set-cookie" not in response.headers
        assert _kids(response.json()) == _kids(await manager.get_jwks())
        etag = response.headers["etag"]
        again = await client.get(WELL_KNOWN, headers={"if-none-match": etag})
        assert (again.status_code, again.content) == (304, b"")
        assert (await client.post(WELL_KNOWN)).status_code == 404  # the app's own answer

    async def test_under_a_mount_path(self, make_amanager: MakeAsync) -> None:
        app = starlette_app(make_amanager(), serve_jwks=True, jwks_path="/keys")
        transport = httpx.ASGITransport(app=app, root_path="/api")
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await client.get("/api/keys")
        assert response.status_code == 200
        assert len(response.json()["keys"]) == 2  # this interval's key and the next one's

    async def test_store_down_is_503(
        self,
        make_amanager: MakeAsync,
        aclient: Callable[..., httpx.AsyncClient],
        clock: ManualClock,
    ) -> None:
        broken: set[str] = set()
        manager = make_amanager(broken=broken)
        await manager.load_keys()
        client = aclient(starlette_app(manager, serve_jwks=True))
        broken.add("list_signing_keys")
        clock.advance(days=7)  # a new rotation slot: its keys must be loaded
        response = await client.get(WELL_KNOWN)
        assert response.status_code == 503


def test_the_middleware_class_takes_the_options(make_amanager: MakeAsync) -> None:
    middleware = SessionMiddleware(lambda *_: None, make_amanager(), serve_jwks=True)  # type: ignore[arg-type]
    assert middleware.flow.serves_jwks("GET", WELL_KNOWN)
    assert middleware.flow.serves_jwks("HEAD", WELL_KNOWN)
    assert not middleware.flow.serves_jwks("POST", WELL_KNOWN)


def _kids(document: dict[str, Any]) -> list[str]:
    return sorted(jwk["kid"] for jwk in document["keys"])
