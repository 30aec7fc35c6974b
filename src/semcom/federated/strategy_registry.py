"""``fl.strategy`` name -> server strategy class (kept apart to avoid import cycles).

Example:
    >>> sorted(STRATEGIES)
    ['fedavg', 'fedpaq', 'fttq', 'psfl', 'stc']
"""

from __future__ import annotations

from semcom.federated.compressed import COMPRESSED
from semcom.federated.psfl import PSFLStrategy
from semcom.federated.strategies import RobustFedAvg

__all__ = ["STRATEGIES"]

#: ``fl.strategy`` name -> strategy class
STRATEGIES: dict[str, type[RobustFedAvg]] = {
    "fedavg": RobustFedAvg,
    "psfl": PSFLStrategy,
    **COMPRESSED,
}
