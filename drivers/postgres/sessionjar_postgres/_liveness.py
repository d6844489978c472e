"""Telling, without a round trip, whether the server has closed an idle connection."""

from __future__ import annotations

import select
from typing import Any

from psycopg import BaseConnection, OperationalError, pq

__all__ = ["closed_by_server"]

# Reading an idle connection takes at most: a last message (a FATAL on shutdown), then
# end-of-file. More reads than this mean a chatty server, not a closed one.
_MAX_READS = 4


def closed_by_server(conn: BaseConnection[Any]) -> bool:
    """Tell whether an idle pooled connection has been closed by the server.

    An idle connection has nothing to read unless the server wrote to it on its own:
    a shutdown or a terminated backend sends a FATAL message, then closes the socket.
    Only a readable socket is read; a live idle connection costs one ``poll``.
    """
    pgconn = conn.pgconn
    for _ in range(_MAX_READS):
        if pgconn.status != pq.ConnStatus.OK:
            return True
        if not _readable(pgconn.socket):
            return False
        try:
            pgconn.consume_input()
        except OperationalError:
            return True
    return False


def _readable(fd: int) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # Windows has no poll
    return bool(readable)
