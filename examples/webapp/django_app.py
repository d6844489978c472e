"""The example's Django flavour: settings, views and URLs in one module, behind the shared page.

Django configures one app per process, so `create_app` may be called once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from examples.webapp.common import (
    PAGE,
    SESSION_LIMIT,
    bad_input,
    device_list,
    first_data,
    first_payload,
    state,
)
from sessionjar import Session, SessionjarError
from sessionjar.django import (
    ErrorReply,
    create_new_session,
    default_error_reply,
    get_manager,
    get_session,
    verify_session,
)

__all__ = ["create_app", "sessionjar_setting", "urlpatterns"]


def error_reply(error: SessionjarError) -> ErrorReply | None:
    """sessionjar's mapping, with the user's bad JSON as 400."""
    body = bad_input(error)
    return default_error_reply(error) if body is None else ErrorReply(status=400, body=body)


def _state(session: Session) -> JsonResponse:
    payload, data = session.get_jwt_payload(), session.get_session_data()
    return JsonResponse(state(session.get_user_id(), payload, data))


def _json(request: HttpRequest) -> Any:
    return json.loads(request.body)


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


@require_GET
def framework(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"framework": "Django"})


@csrf_exempt  # sessionjar's SameSite cookies and anti-CSRF option guard the API
@require_POST
def signin(request: HttpRequest) -> JsonResponse:
    user = str(_json(request)["user"])
    session = create_new_session(
        request, user, access_payload=first_payload(user), session_data=first_data()
    )
    return JsonResponse(state(user, session.get_jwt_payload(), first_data()))


@require_GET
@verify_session()
def me(request: HttpRequest) -> JsonResponse:
    return _state(get_session(request))


@csrf_exempt
@require_http_methods(["PUT"])
@verify_session()
def payload(request: HttpRequest) -> JsonResponse:
    session = get_session(request)
    session.update_jwt_payload(_json(request))
    return _state(session)


@csrf_exempt
@require_http_methods(["PUT"])
@verify_session()
def data(request: HttpRequest) -> JsonResponse:
    session = get_session(request)
    session.update_session_data(_json(request))
    return _state(session)


@require_GET
@verify_session()
def devices(request: HttpRequest) -> JsonResponse:
    session = get_session(request)
    listed = get_manager().list_devices(session.get_user_id(), tenant=session.tenant)
    return JsonResponse(device_list(listed, session.handle))


@csrf_exempt
@require_POST
@verify_session()
def revoke_device(request: HttpRequest) -> JsonResponse:
    session, manager = get_session(request), get_manager()
    user_id, handle = session.get_user_id(), str(_json(request)["handle"])
    manager.revoke_device(user_id, handle, tenant=session.tenant)
    listed = manager.list_devices(user_id, tenant=session.tenant)
    return JsonResponse(device_list(listed, session.handle))


urlpatterns = [
    path("", page),
    path("api/framework", framework),
    path("api/signin", signin),
    path("api/me", me),
    path("api/payload", payload),
    path("api/data", data),
    path("api/devices", devices),
    path("api/devices/revoke", revoke_device),
    path("auth/", include("sessionjar.django.urls")),
]


def sessionjar_setting(
    store_url: str,
    *,
    access_validity: timedelta,
    secure_cookies: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Return the example's ``SESSIONJAR`` setting."""
    setting: dict[str, Any] = {
        "STORE_URL": store_url,
        "ACCESS_TOKEN_VALIDITY": access_validity,
        "COOKIE_SECURE": secure_cookies,
        "ERROR_REPLY": error_reply,
        "SESSION_LIMIT": SESSION_LIMIT,
    }
    if clock is not None:
        setting["CLOCK"] = clock
    return setting


def create_app(
    store_url: str,
    *,
    access_validity: timedelta,
    secure_cookies: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> WSGIHandler:
    """Configure Django for the example and return its WSGI app (keys loaded)."""
    setting = sessionjar_setting(
        store_url, access_validity=access_validity, secure_cookies=secure_cookies, clock=clock
    )
    settings.configure(
        DEBUG=False,
        SECRET_KEY="example-only: Django's own signing is unused",  # noqa: S106
        ALLOWED_HOSTS=["localhost", "127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["sessionjar.django"],
        MIDDLEWARE=["sessionjar.django.middleware.SessionMiddleware"],
        SESSIONJAR=setting,
        USE_TZ=True,
    )
    django.setup()
    return WSGIHandler()
