"""Sessions for Django apps: settings, middleware, view decorators and request helpers.

    INSTALLED_APPS = [..., "sessionjar.django"]
    MIDDLEWARE = [..., "sessionjar.django.middleware.SessionMiddleware"]
    SESSIONJAR = {"STORE_URL": "redis://localhost:6379/0"}
    # urls.py: path("auth/", include("sessionjar.django.urls"))

    @verify_session()
    def me(request):
        return JsonResponse({"user": get_session(request).get_user_id()})

Django REST framework's authentication class is in `sessionjar.django.rest_framework`.
"""

from __future__ import annotations

from sessionjar._web_errors import ErrorReply, default_error_reply
from sessionjar.django._request import (
    acreate_new_session,
    aget_session,
    arevoke_session,
    create_new_session,
    get_session,
    revoke_session,
)
from sessionjar.django._runtime import aget_manager, get_manager
from sessionjar.django.decorators import VerifySessionMixin, verify_session

__all__ = [
    "verify_session",
    "VerifySessionMixin",
    "get_session",
    "aget_session",
    "create_new_session",
    "acreate_new_session",
    "revoke_session",
    "arevoke_session",
    "get_manager",
    "aget_manager",
    "ErrorReply",
    "default_error_reply",
]
