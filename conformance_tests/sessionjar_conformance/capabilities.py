"""The optional capabilities of a driver, and how a conformance test declares it needs one.

A driver lists the capabilities it has in `sessionjar.DriverInfo.capabilities` (or, when
it subclasses the aggregate class, in its ``capabilities`` class attribute). A test that
needs a capability the driver lacks is skipped, and the skip reason names the
capability. Everything not listed here is required of every driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, TypeVar

__all__ = ["Capabilities", "CAPABILITY_NAMES", "requires", "required_by", "skip_reason"]

_F = TypeVar("_F", bound=Callable[..., object])


class Capabilities:
    """The capabilities a driver declares; every property defaults to `False` (safe)."""

    def __init__(self, declared: Iterable[str]) -> None:
        self.declared: Final = frozenset(declared)

    @property
    def shared_namespace(self) -> bool:
        """Driver supports several stores on one namespace sharing records and keys."""
        return "shared_namespace" in self.declared

    @property
    def multi_process(self) -> bool:
        """Driver supports stores in several OS processes sharing one backend."""
        return "multi_process" in self.declared

    @property
    def unreachable(self) -> bool:
        """Driver supports being pointed at an address where nothing listens."""
        return "unreachable" in self.declared

    def missing(self, names: Iterable[str]) -> list[str]:
        """Return the names among ``names`` that the driver lacks."""
        return [name for name in names if not getattr(self, name)]


CAPABILITY_NAMES: Final = frozenset(
    name for name, value in vars(Capabilities).items() if isinstance(value, property)
)
"""Every capability the suite knows; other names a driver declares are ignored."""


def requires(*names: str) -> Callable[[_F], _F]:
    """Mark a test as needing capabilities; it is skipped on drivers that lack one."""
    unknown = set(names) - CAPABILITY_NAMES
    if unknown:
        raise ValueError(f"unknown capabilities: {sorted(unknown)}")

    def mark(test: _F) -> _F:
        test.sessionjar_requires = names  # type: ignore[attr-defined]
        return test

    return mark


def required_by(test: object) -> tuple[str, ...]:
    """Return the capabilities `requires` attached to a test function."""
    names: tuple[str, ...] = getattr(test, "sessionjar_requires", ())
    return names


def skip_reason(name: str) -> str:
    """Return the skip reason of a test that needs the capability ``name``."""
    doc = getattr(Capabilities, name).__doc__ or ""
    return f"driver lacks capability {name!r} ({doc.rstrip('.')})"
