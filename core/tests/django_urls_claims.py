"""A URLconf of the Django-layer claim tests: global validators, and views that override
them through each helper (decorator, async decorator, mixin, DRF authentication)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import View
from django_urls import signin
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sessionjar.claims import ClaimValidator, RolesClaim
from sessionjar.django import VerifySessionMixin, aget_session, get_session, verify_session
from sessionjar.django.rest_framework import SessionjarAuthentication

ROLES: dict[str, list[str]] = {}
"""Roles by user, as the app's directory holds them (each test sets its own)."""
FETCHED: list[str] = []
"""The users whose roles were fetched, in order."""


def fetch_roles(user_id: str, tenant: str) -> list[str]:
    FETCHED.append(user_id)
    return ROLES.get(user_id, [])


Roles = RolesClaim(fetch_roles)
CLAIM_VALIDATORS = [Roles.excludes("banned")]
"""The global validators (the ``CLAIM_VALIDATORS`` setting of these tests)."""


def admins(validators: list[ClaimValidator]) -> list[ClaimValidator]:
    return [*validators, Roles.includes("admin", max_age=timedelta(minutes=5))]


@verify_session()
def me(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"roles": Roles.value_of(get_session(request).get_jwt_payload())})


@verify_session(override_global_claim_validators=admins)
def admin(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"admin": True})


@verify_session(override_global_claim_validators=admins)
async def aadmin(request: HttpRequest) -> HttpResponse:
    session = await aget_session(request)
    return JsonResponse({"admin": session.get_user_id()})


def anyone(validators: list[ClaimValidator]) -> list[ClaimValidator]:
    return []


def verified_first(view: Callable[[HttpRequest], HttpResponse]) -> Any:
    """Wrap ``view`` in a session lookup with the global validators, as an app's
    middleware or outer decorator may do before the view's own check."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        get_session(request, session_required=False, override_global_claim_validators=anyone)
        return view(request)

    return wrapper


guarded_admin = verified_first(admin)


@verify_session(override_global_claim_validators=lambda validators: [])
def public(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"public": True})


class AdminView(VerifySessionMixin, View):
    def override_global_claim_validators(
        self, validators: list[ClaimValidator]
    ) -> list[ClaimValidator]:
        return admins(validators)

    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse({"admin": True})


class AdminAuthentication(SessionjarAuthentication):
    def override_global_claim_validators(
        self, validators: list[ClaimValidator]
    ) -> list[ClaimValidator]:
        return admins(validators)


class ApiMe(APIView):
    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user)})


class ApiAdmin(APIView):
    authentication_classes = (AdminAuthentication,)

    def get(self, request: Request) -> Response:
        return Response({"admin": str(request.user)})


urlpatterns = [
    path("signin", signin),
    path("me", me),
    path("admin", admin),
    path("async/admin", aadmin),
    path("public", public),
    path("guarded/admin", guarded_admin),
    path("admin-view", AdminView.as_view()),
    path("api/me", ApiMe.as_view()),
    path("api/admin", ApiAdmin.as_view()),
    path("auth/", include("sessionjar.django.urls")),
]
