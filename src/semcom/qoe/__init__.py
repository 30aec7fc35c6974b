"""QoE optimisation for the HDT physical-therapy platform (paper 002's case study).

- :mod:`semcom.qoe.env`: the gymnasium environment ``semcom/QoE-v0`` (registered on
  ``import semcom``) and its reward model;
- :mod:`semcom.qoe.quality_table`: similarity and compute per diffusion-step count (the
  default table or a ``semcom refiner-profile`` JSON);
- :mod:`semcom.qoe.codi`: the CODI diffusion-policy agent;
- :mod:`semcom.qoe.agents`: CODI, SAC, PPO (stable-baselines3), greedy and random behind
  one interface; :mod:`semcom.qoe.training`: train, evaluate, save and load them;
- :mod:`semcom.qoe.critic_ascent`: any actor-critic agent's decisions refined by a few
  gradient steps up its own critic.
"""

from semcom.qoe.config import QoEConfig, config_hash
from semcom.qoe.env import ENV_ID, QoEEnv, register_env
from semcom.qoe.quality_table import QualityTable

__all__ = ["ENV_ID", "QoEConfig", "QoEEnv", "QualityTable", "config_hash", "register_env"]
