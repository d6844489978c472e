"""Session checks for views: `verify_session` for functions, `VerifySessionMixin` for classes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from sessionjar.django._request import aget_session, get_session

if TYPE_CHECKING:
    from sessionjar.claims import ClaimValidator, ValidatorsOverride

__all__ = ["verify_session", "VerifySessionMixin"]

_V = TypeVar("_V", bound=Callable[..., Any])


def verify_session(
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Callable[[_V], _V]:
    """Return a decorator that verifies the session before a function view runs.

    Works on sync views (sync manager) and async views (async manager). The view reads
    the session with `get_session` or `aget_session` (no second verification); errors
    become responses in `SessionMiddleware`. Storage I/O: as `get_session`.

    Args:
        session_required: with `False`, a request without a token still reaches the view.
        check_database: also check that the session still exists in the store.
        override_global_claim_validators: maps the manager's claim validators to
            those this view runs; a failure answers 403.
    """
    checks: dict[str, Any] = {
        "session_required": session_required,
        "check_database": check_database,
        "override_global_claim_validators": override_global_claim_validators,
    }

    def decorate(view: _V) -> _V:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def averified(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                await aget_session(request, **checks)
                return await view(request, *args, **kwargs)

            return averified  # type: ignore[return-value]

        @functools.wraps(view)
        def verified(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            get_session(request, **checks)
            return view(request, *args, **kwargs)

        return verified  # type: ignore[return-value]

    return decorate


class VerifySessionMixin:
    """Verifies the session before a class-based view dispatches (sync or async view).

    Put it first among the bases: ``class Profile(VerifySessionMixin, View)``. Handlers
    read the session with `get_session` or `aget_session`.
    """

    session_required: ClassVar[bool] = True
    """With `False`, a request without a token still reaches the handler."""
    check_database: ClassVar[bool] = False
    """Also check that the session still exists in the store."""
    view_is_async: ClassVar[bool]

    def override_global_claim_validators(
        self, validators: list[ClaimValidator]
    ) -> Sequence[ClaimValidator]:
        """Return the claim validators this view runs, given the manager's; override it
        to add or drop some (a failure answers 403)."""
        return validators

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Verify the session, then dispatch as the view would."""
        parent = super().dispatch  # type: ignore[misc]
        if self.view_is_async:
            return self._adispatch(parent, request, *args, **kwargs)
        get_session(
            request,
            session_required=self.session_required,
            check_database=self.check_database,
            override_global_claim_validators=self.override_global_claim_validators,
        )
        return parent(request, *args, **kwargs)

    async def _adispatch(
        self, parent: Callable[..., Any], request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        await aget_session(
            request,
            session_required=self.session_required,
            check_database=self.check_database,
            override_global_claim_validators=self.override_global_claim_validators,
        )
        response: HttpResponseBase = await parent(request, *args, **kwargs)
        return response
