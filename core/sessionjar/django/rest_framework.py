"""Django REST framework authentication by sessionjar (imports DRF; nothing else here does).

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "sessionjar.django.rest_framework.SessionjarAuthentication",
        ],
    }

``request.user`` is a `SessionUser` standing for the session's user id; ``request.auth``
is the `Session`. Failures answer as DRF clients expect: 401 with a ``WWW-Authenticate``
challenge and the same ``error`` codes as the other web layers, 403 for a failed
anti-CSRF check or failed claim validators (``claim_validation_errors`` listing them),
503 when the store is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sessionjar._web_errors import ErrorReply
from sessionjar.django._request import get_session, web_of
from sessionjar.errors import SessionjarError
from sessionjar.session import Session

if TYPE_CHECKING:
    from sessionjar.claims import ClaimValidator

__all__ = [
    "SessionjarAuthentication",
    "SessionUser",
    "SessionjarAPIError",
    "SessionjarAuthenticationFailed",
    "api_error",
]

_CHALLENGE: Final = 'Bearer realm="api"'


class SessionUser:
    """The authenticated user of a DRF request: the session's user id, no database row."""

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_active: ClassVar[bool] = True

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pk = self.id = session.get_user_id()

    def __str__(self) -> str:
        return self.pk


class SessionjarAPIError(exceptions.APIException):
    """A 403 or 503 session error as DRF renders it: ``{"detail", "error"}``."""

    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(detail=_detail(reply))
        self.status_code = reply.status


class SessionjarAuthenticationFailed(exceptions.AuthenticationFailed):
    """A 401 session error: DRF adds the ``WWW-Authenticate`` challenge."""

    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(detail=_detail(reply))


def _detail(reply: ErrorReply) -> dict[str, Any]:
    # the other keys of the body (the failed claims of a 403) pass through
    rest = {key: value for key, value in reply.body.items() if key != "message"}
    return {"detail": reply.body.get("message"), "error": reply.body.get("error"), **rest}


def api_error(reply: ErrorReply) -> exceptions.APIException:
    """Return the DRF exception of a session error's response."""
    if reply.status == 401:
        return SessionjarAuthenticationFailed(reply)
    return SessionjarAPIError(reply)


class SessionjarAuthentication(BaseAuthentication):
    """Authenticates a DRF request by its sessionjar access token (cookie or bearer).

    A request without a token is anonymous (DRF's permissions then answer 401 or 403);
    a bad, expired or stolen token answers with the mapping of the other web layers.
    ``check_database`` and `override_global_claim_validators` can be set on a
    subclass. Storage I/O: as `get_session`.
    """

    check_database: ClassVar[bool] = False
    """Also check that the session still exists in the store."""

    def override_global_claim_validators(
        self, validators: list[ClaimValidator]
    ) -> Sequence[ClaimValidator]:
        """Return the claim validators requests run, given the manager's; override it in
        a subclass (a failure answers 403)."""
        return validators

    def authenticate(self, request: Request) -> tuple[SessionUser, Session] | None:
        """Return ``(user, session)``, or `None` for a request without a token.

        Raises:
            APIException: the session error's response, via `api_error` (tokens
                cleared by the middleware when the mapping says so).
        """
        django_request = request._request
        try:
            session = get_session(
                django_request,
                session_required=False,
                check_database=self.check_database,
                override_global_claim_validators=self.override_global_claim_validators,
            )
        except SessionjarError as exc:
            reply = web_of(django_request).reply_to(exc)
            if reply is None:
                raise
            raise api_error(reply) from exc
        return None if session is None else (SessionUser(session), session)

    def authenticate_header(self, request: Request) -> str:
        """Return the ``WWW-Authenticate`` challenge, so that DRF answers 401, not 403."""
        return _CHALLENGE
