"""Decisions refined on the agent's own critic: a few steps of gradient ascent.

An actor-critic agent's decision ``a`` is what its actor learned to output; its critic
``min(Q1, Q2)(s, a)`` may already know a better one nearby. :class:`CriticAscent` wraps any
agent with an action-value critic (CODI, SAC) and moves each decision ``steps`` Adam steps
of ``lr`` up that critic before it is played — Diffusion-QL's "pick by Q" taken one step
further, and the same rule for every agent, so comparisons stay fair. The ascent runs on
the pre-``tanh`` action ``u = atanh(a)`` (decisions stay inside (-1, 1), no gradient is cut
by a clamp) and each decision is refined on its own (Adam is elementwise). Nothing is
learned: the critic and the actor are left as they are.

Example:
    >>> from semcom.qoe import QoEEnv
    >>> from semcom.qoe.agents import make_agent
    >>> env = QoEEnv(users=2)
    >>> agent = make_agent("codi", env, seed=0, learning_starts=8, batch_size=8)
    >>> agent.learn(16)
    >>> obs, _ = env.reset(seed=1)
    >>> refined = CriticAscent(agent, steps=10, lr=0.1)
    >>> refined.critic_value(obs, refined.act(obs)) >= agent.critic_value(obs, agent.act(obs))
    True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from semcom.errors import SemcomError
from semcom.qoe.agents import Agent

#: Largest ``|a|`` the ascent starts from (``atanh`` of 1 is infinite).
EDGE = 0.999


class CriticAscent(Agent):
    """``agent``'s decisions, each moved ``steps`` Adam steps of ``lr`` up its critic.

    Args:
        agent: a trained agent with an action-value critic (:meth:`Agent.q_tensor`).
        steps: ascent steps per decision (0: the agent's own decisions).
        lr: Adam's step size on the pre-``tanh`` action.

    An :class:`~semcom.qoe.agents.Agent` itself: ``learn``, ``save`` and ``load_weights``
    go to the wrapped agent; ``act`` refines its decisions.
    """

    def __init__(self, agent: Agent, steps: int = 30, lr: float = 0.1) -> None:
        if steps < 0:
            raise SemcomError(f"critic ascent steps must be >= 0, got {steps}")
        if not lr > 0:
            raise SemcomError(f"critic ascent lr must be > 0, got {lr}")
        obs_dim = int(np.prod(agent.env.observation_space.shape or ()))
        act_dim = int(np.prod(agent.env.action_space.shape or ()))
        agent.critic_value(np.zeros(obs_dim, np.float32), np.zeros(act_dim, np.float32))
        super().__init__(agent.env, agent.seed)
        self.agent, self.steps, self.lr = agent, steps, lr
        self.name = agent.name  # type: ignore[misc]

    def ascend(self, obs: np.ndarray, action: np.ndarray) -> np.ndarray:
        """``action [A]`` (or ``[B, A]``) for ``obs [S]`` (``[B, S]``) moved up the critic:
        same shape, float32, inside (-1, 1)."""
        a = torch.as_tensor(np.asarray(action, np.float32))
        single = a.dim() == 1
        a = a.reshape(-1, a.shape[-1])
        s = torch.as_tensor(np.asarray(obs, np.float32)).reshape(len(a), -1)
        u = torch.atanh(a.clamp(-EDGE, EDGE)).requires_grad_(True)
        opt = torch.optim.Adam([u], lr=self.lr)
        for _ in range(self.steps):
            (grad,) = torch.autograd.grad(-self.agent.q_tensor(s, torch.tanh(u)).sum(), u)
            u.grad = grad
            opt.step()
        out = torch.tanh(u).detach().numpy().astype(np.float32)
        return out[0] if single else out

    def act(self, obs: np.ndarray) -> np.ndarray:
        """The wrapped agent's decision for ``obs [S]``, refined: ``[A] float32``."""
        decision = self.agent.act(obs)
        return decision if self.steps == 0 else self.ascend(obs, decision)

    def q_tensor(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self.agent.q_tensor(state, action)

    def learn(self, total_steps: int) -> None:
        self.agent.learn(total_steps)

    def save(self, folder: Path) -> None:
        self.agent.save(folder)

    def load_weights(self, folder: Path) -> None:
        self.agent.load_weights(folder)
