"""The built-in storage drivers (``memory://``, ``sqlite://``) and what every driver shares.

A driver checks what it is given with these before any I/O, so that bad input raises a
typed error and writes nothing; tells when an update applies and when a record is live
by the protocol's rules; reads its URL options with the same rules as the built-in
drivers; and masks the passwords in the URLs it prints or logs. They are public:
external drivers use them too.
"""

from __future__ import annotations

from sessionjar.drivers._checks import (
    check_handles,
    check_limit,
    check_liveness_query,
    check_namespace,
    check_patch,
    check_record,
    check_signing_key,
    check_update,
    check_user_query,
)
from sessionjar.drivers._conditions import record_is_live, update_applies
from sessionjar.drivers._url import (
    int_option,
    mask_credentials,
    query_options,
    seconds_option,
)

__all__ = [
    "check_namespace",
    "check_record",
    "check_patch",
    "check_update",
    "check_signing_key",
    "check_handles",
    "check_liveness_query",
    "check_user_query",
    "check_limit",
    "update_applies",
    "record_is_live",
    "query_options",
    "int_option",
    "seconds_option",
    "mask_credentials",
]
