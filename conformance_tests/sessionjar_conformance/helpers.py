"""Test helpers for driver authors and every test tree: clocks, times and records.

The conformance suite builds its cases with these; a driver's own tests and benchmarks
use the same ones instead of defining their own::

    from sessionjar_conformance.helpers import MutableClock, new_record, utc_now

    record = new_record(utc_now(), user_id="bob", session_data={"theme": "dark"})

Times are UTC with whole milliseconds, as core passes them to stores.
"""

from __future__ import annotations

from sessionjar.testing import ManualClock, utc_now
from sessionjar_conformance._helpers import (
    MutableClock,
    millis,
    new_handle,
    new_hash,
    new_namespace,
    new_record,
    new_signing_key,
)

__all__ = [
    "utc_now",
    "millis",
    "ManualClock",
    "MutableClock",
    "new_namespace",
    "new_handle",
    "new_hash",
    "new_record",
    "new_signing_key",
]
