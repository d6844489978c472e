"""Views of the Django-layer tests: each helper, sync and async, a mixin view and a DRF view."""

from __future__ import annotations

import json
import threading
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sessionjar import JSONObject, Session
from sessionjar.django import (
    VerifySessionMixin,
    acreate_new_session,
    aget_session,
    arevoke_session,
    create_new_session,
    get_session,
    revoke_session,
    verify_session,
)
from sessionjar.django.rest_framework import SessionjarAuthentication


def _json(session: Any) -> dict[str, Any]:
    if session is None:
        return {"user": None}
    return {"user": session.get_user_id(), "payload": session.get_jwt_payload()}


def _body(request: HttpRequest) -> Any:
    return json.loads(request.body or b"{}")


@csrf_exempt
def signin(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    session = create_new_session(
        request, body["user"], access_payload=body.get("payload"), session_data=body.get("data")
    )
    # A cacheable response: sessionjar must replace this with no-store.
    return JsonResponse(_json(session), headers={"Cache-Control": "max-age=60"})


@verify_session()
def me(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_json(get_session(request)))


BARRIERS: list[threading.Barrier] = []
"""A barrier the ``/held`` view waits at, set by the test that interleaves threads."""


@verify_session()
def held(request: HttpRequest) -> HttpResponse:
    BARRIERS[0].wait(timeout=10)
    return JsonResponse(_json(get_session(request)))


@verify_session(session_required=False)
def maybe(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_json(get_session(request, session_required=False)))


@verify_session(check_database=True)
def strict(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_json(get_session(request)))


@csrf_exempt
@verify_session()
def payload(request: HttpRequest) -> HttpResponse:
    session = get_session(request)
    session.update_jwt_payload(_body(request))
    return JsonResponse(_json(session))


@csrf_exempt
@verify_session()
def data(request: HttpRequest) -> HttpResponse:
    session = get_session(request)
    if request.method == "POST":
        session.update_session_data(_body(request))
    return JsonResponse(session.get_session_data())


@csrf_exempt
def leave(request: HttpRequest) -> HttpResponse:
    revoke_session(request)
    return JsonResponse({"left": True})


@csrf_exempt
@verify_session()
def quit_(request: HttpRequest) -> HttpResponse:
    session = get_session(request)
    session.revoke_session()  # on the session itself, not through the helper
    return JsonResponse({"revoked": session.revoked})


@csrf_exempt
async def asignin(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    session = await acreate_new_session(request, body["user"], access_payload=body.get("payload"))
    return JsonResponse(_json(session))


@verify_session(check_database=True)
async def ame(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_json(await aget_session(request)))


@csrf_exempt
@verify_session()
async def apayload(request: HttpRequest) -> HttpResponse:
    session = await aget_session(request)
    await session.update_jwt_payload(_body(request))
    return JsonResponse(_json(session))


@csrf_exempt
async def aleave(request: HttpRequest) -> HttpResponse:
    await arevoke_session(request)
    return JsonResponse({"left": True})


class Profile(VerifySessionMixin, View):
    check_database = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(_json(get_session(request)))


class AsyncProfile(VerifySessionMixin, View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(_json(await aget_session(request)))


class ApiMe(APIView):
    def get(self, request: Request) -> Response:
        session = cast(Session, request.auth)
        return Response({"user": str(request.user), "handle": session.handle})

    def post(self, request: Request) -> Response:
        session = cast(Session, request.auth)
        session.update_jwt_payload(cast(JSONObject, request.data))
        return Response({"payload": session.get_jwt_payload()})


class CheckedAuthentication(SessionjarAuthentication):
    check_database = True


class ApiStrict(APIView):
    authentication_classes = (CheckedAuthentication,)

    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user)})


urlpatterns = [
    path("signin", signin),
    path("me", me),
    path("maybe", maybe),
    path("held", held),
    path("strict", strict),
    path("payload", payload),
    path("data", data),
    path("leave", leave),
    path("quit", quit_),
    path("async/signin", asignin),
    path("async/me", ame),
    path("async/payload", apayload),
    path("async/leave", aleave),
    path("profile", Profile.as_view()),
    path("async/profile", AsyncProfile.as_view()),
    path("api/me", ApiMe.as_view()),
    path("api/strict", ApiStrict.as_view()),
    path("auth/", include("sessionjar.django.urls")),
    path("", include("sessionjar.django.jwks_urls")),
]
