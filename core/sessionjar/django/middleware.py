"""The middleware that writes, rotates and clears the client's tokens on Django responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import Morsel
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

from sessionjar.django._request import begun, error_response

__all__ = ["SessionMiddleware"]

GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


class SessionMiddleware:
    """Writes the tokens a view created, refreshed, changed or cleared; answers session errors.

    Sync and async capable. Nothing happens on a request whose view never asked for a
    session: no store I/O, no cookie, no header. Put it before any middleware or view
    that reads the session; it replaces Django's CSRF middleware for the views it serves
    (see the ``ANTI_CSRF`` option).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """Run the view, then write the tokens; async when the chain is async."""
        if self.is_async:
            return self.__acall__(request)
        response = cast(HttpResponseBase, self.get_response(request))
        return _with_tokens(request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """Async version of `__call__`."""
        response = cast(Awaitable[HttpResponseBase], self.get_response(request))
        return _with_tokens(request, await response)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        """Turn a session error raised by a view into its JSON response (401, 403, 503)."""
        return error_response(request, exception)


def _with_tokens(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    web = begun(request)
    if web is None:
        return response
    for name, value in web.response_headers():
        if name == "Set-Cookie":
            _set_cookie(response, value)
        elif name == "Vary":
            patch_vary_headers(response, [value])
        else:
            response.headers[name] = value  # Cache-Control replaces the view's
    return response


def _set_cookie(response: HttpResponseBase, header: str) -> None:
    # Django keeps cookies in a SimpleCookie; the flow's header is copied attribute by
    # attribute so that the view's own cookies and ours go out side by side
    first, *attributes = header.split("; ")
    name, _, value = first.partition("=")
    morsel: Morsel[str] = Morsel()
    morsel.set(name, value, value)  # already a valid cookie value: no quoting
    for attribute in attributes:
        key, _, attr_value = attribute.partition("=")
        morsel[key.lower()] = attr_value or True
    response.cookies[name] = morsel
