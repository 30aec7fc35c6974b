"""Injected client failures (``[faults]``), for robustness tests of a whole run.

Which clients fail in a round is a pure function of ``(fl.seed, round)``, so the server,
every client and a resumed run agree without exchanging anything.

Example:
    >>> from semcom.federated.config import fl_config_from_dict
    >>> cfg = fl_config_from_dict({"fl": {"clients": 10}, "faults": {"raise_fraction": 0.3}})
    >>> len(planned_faults(cfg, 1)["raise"])
    3
"""

from __future__ import annotations

import numpy as np

from semcom.federated.config import FLConfig


def planned_faults(cfg: FLConfig, server_round: int) -> dict[str, frozenset[int]]:
    """Partition ids that raise (``"raise"``) or upload NaN (``"nan"``) in a round."""
    k = cfg.fl.clients
    order = np.random.default_rng([cfg.fl.seed, server_round, 13]).permutation(k)
    n_raise = round(cfg.faults.raise_fraction * k)
    n_nan = round(cfg.faults.nan_fraction * k)
    return {
        "raise": frozenset(int(i) for i in order[:n_raise]),
        "nan": frozenset(int(i) for i in order[n_raise : n_raise + n_nan]),
    }


class InjectedFaultError(RuntimeError):
    """Raised by a client that ``[faults]`` told to fail."""
