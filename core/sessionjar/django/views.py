"""The built-in views: token refresh and sign-out (POST, answering ``{"status": "OK"}``),
and the JWKS (GET) that other services verify our access tokens with."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from sessionjar.django._request import web_of

__all__ = ["refresh", "signout", "jwks"]


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


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    """Return the JWKS, with cache headers and an ETag (304 when ``If-None-Match`` names it).

    Served where the URLconf puts it (see `sessionjar.django.jwks_urls`).
    Storage I/O: a key load for automatic keys, at most once per key-rotation
    interval; none for explicit keys.
    """
    web = web_of(request)
    reply = web.flow.jwks(request.headers)
    response = HttpResponse(reply.body, status=reply.status, headers=dict(reply.headers))
    if not reply.body:
        del response["Content-Type"]  # a 304 has no body to describe
    return response
