"""The extension points of sessionjar: every hook a plugin can implement.

A driver package implements these hooks in a module named by an entry point of the group
``sessionjar.drivers``::

    [project.entry-points."sessionjar.drivers"]
    mystore = "sessionjar_mystore.plugin"

and marks its implementations with `sessionjar.hookimpl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sessionjar._registry import DriverInfo

__all__ = ["hookspec", "hookimpl", "sessionjar_register_drivers"]

hookspec = pluggy.HookspecMarker("sessionjar")
"""Marks a function of this module as a hook specification."""

hookimpl = pluggy.HookimplMarker("sessionjar")
"""Marks a plugin's function as the implementation of a sessionjar hook."""


# -------------------------------------------------------------------------
# Drivers
# -------------------------------------------------------------------------


@hookspec
def sessionjar_register_drivers() -> list[DriverInfo]:  # type: ignore[empty-body]
    """Describe the storage drivers this plugin provides.

    Called once, when the driver registry is first used (on the first
    `sessionjar.open_store` or `sessionjar.open_async_store` call, or by
    ``sessionjar drivers``). Collect-all: every plugin's list is gathered, and the
    registry — not hook order — maps each URL scheme to the one driver that claims it;
    two drivers claiming one scheme raise `DriverConflict` naming both.

    Returns:
        one `DriverInfo` per driver. Describing a driver must not import its
            client library: the factories in `DriverInfo` import it when a store is opened.

    Use in driver packages
    ----------------------

    Implement it in the module the ``sessionjar.drivers`` entry point names, return a
    list of `DriverInfo`, and keep the module's imports light: a plugin that fails to
    import is recorded, and its failure is raised only when one of its schemes is asked
    for. The built-in ``memory://`` and ``sqlite://`` drivers register through this
    same hook.
    """
