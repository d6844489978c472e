"""The built-in views: token refresh and sign-out (POST, answering ``{"status": "OK"}``)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sessionjar.django._request import web_of

__all__ = ["refresh", "signout"]


@csrf_exempt  # the flow runs sessionjar's own anti-CSRF check on refresh
@require_POST
def refresh(request: HttpRequest) -> JsonResponse:
    """Rotate the request's refresh token; the response carries the new tokens.

    Storage I/O: one read and one write.
    """
    return JsonResponse(web_of(request).serve("refresh"))


@csrf_exempt  # a forged sign-out only signs the user out
@require_POST
def signout(request: HttpRequest) -> JsonResponse:
    """Revoke the request's session and clear its tokens. Storage I/O: one delete."""
    return JsonResponse(web_of(request).serve("signout"))
