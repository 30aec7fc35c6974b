"""Federated learning of semantic codecs on Flower (paper 001 Sec. II-B/C).

* :mod:`~semcom.federated.config`: the ``fl.toml`` schema (:class:`FLConfig`);
* :mod:`~semcom.federated.client_app` / :mod:`~semcom.federated.server_app`: Flower's
  ``ClientApp`` and ``ServerApp`` (simulation and deployment);
* :mod:`~semcom.federated.strategies`: Flower strategies, robust to bad uploads;
* :mod:`~semcom.federated.wireless`: per-round SNRs and the uplink's rate, delay and
  energy (Eqs. 12-14);
* :mod:`~semcom.federated.run`: ``semcom fl run`` (checks, then Flower's simulation).

Importing this package does not import Flower; the apps and the run do.
"""

from semcom.federated.config import FLConfig, fl_config_from_dict, load_fl_config

__all__ = ["FLConfig", "fl_config_from_dict", "load_fl_config"]
