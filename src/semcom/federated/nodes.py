"""Waiting for a federation's clients to connect before a round samples them.

Flower's simulation engine starts the ``ServerApp`` thread *before* it registers the
SuperNodes, and Flower's strategies size their sample from the nodes connected at that
moment (``int(len(grid.get_node_ids()) * fraction_train)``) before waiting for
``min_available_nodes``. A server that reaches its first round early therefore samples
only the nodes registered so far: a run whose round 1 trains on 6 of 10 clients one time
and on 10 the next. :func:`wait_for_nodes` closes that race.
"""

from __future__ import annotations

import time

from flwr.serverapp import Grid

from semcom.errors import SemcomError


def wait_for_nodes(grid: Grid, want: int, timeout_s: float, poll_s: float = 0.2) -> list[int]:
    """Block until at least ``want`` nodes are connected to ``grid``; their node ids.

    Args:
        grid: the ServerApp's grid.
        want: nodes to wait for (e.g. ``fl.clients``), >= 0.
        timeout_s: seconds to wait before giving up.
        poll_s: seconds between two looks.

    Raises:
        SemcomError: fewer than ``want`` nodes connected within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        ids = list(grid.get_node_ids())
        if len(ids) >= want:
            return ids
        if time.monotonic() >= deadline:
            raise SemcomError(
                f"only {len(ids)} of {want} clients connected within {timeout_s:g} s; "
                "check that every SuperNode is running"
            )
        time.sleep(poll_s)
