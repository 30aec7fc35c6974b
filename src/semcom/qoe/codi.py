"""CODI: a conditional diffusion model as the actor of an off-policy actor-critic.

Paper 002's CODI follows GDMOPT / D2SAC (Du et al.): the actor turns Gaussian noise into
the decision by a few denoising steps conditioned on the state, and a double-Q critic,
trained with clipped double-Q targets, tells it which decisions are worth more.

- **Actor** (:class:`DiffusionActor`): ``x_K ~ N(0, I)``; for ``i = K..1`` a denoising MLP
  ``eps(x_i, i, state)`` predicts the noise, ``x_0`` is estimated (softly held within
  +-3) and ``x_{i-1}`` is drawn from the DDPM posterior under a VP beta schedule
  (Diffusion-QL's ``vp``: ``beta_min = 0.1``, ``beta_max = 10``; K = 5 by default). The
  last step adds ``sigma(state) * z`` with a learned, state-dependent ``sigma`` and the
  action is ``tanh`` of the result (in (-1, 1); a hard clip there stopped every gradient
  once the actions reached a corner, and the first version of this agent stuck there).
- **Exploration / entropy as in D2SAC**: a soft actor-critic objective with an
  automatically tuned temperature alpha towards the target entropy ``-|A|``. D2SAC's
  entropy is that of its categorical head; ours is the entropy of the last, squashed
  Gaussian step (``sum(log sigma) + const + sum(log(1 - a^2))``, SAC's change of
  variables), estimated on the sampled action.
- **Critic**: two Q networks and their Polyak-averaged targets; the target is
  ``r + gamma * (1 - done) * (min(Q1', Q2')(s', a') + alpha * H(s'))``, ``a'`` from the
  Polyak-averaged target actor.
- **Actor loss**: ``-min(Q1, Q2)(s, a(s)) - alpha * H(s)``, the gradient flowing through
  every denoising step (reparameterised).
- **Or DIPO's actor update** (``actor_update="action-gradient"``, Yang et al. 2023): each
  sampled transition's target action climbs ``min(Q1, Q2)`` by a few gradient steps and is
  kept in the replay buffer; the chain learns the targets with its own denoising loss
  (:meth:`DiffusionActor.denoising_loss`) and explores with its own noise (no entropy).
- **Decisions at evaluation** (``predict(obs, deterministic=True)``): the best of
  ``eval_candidates`` chains (no last-step noise) under the critic, with a generator
  seeded at construction (reproducible).

The class follows stable-baselines3's surface (``learn``, ``predict``, ``save``, ``load``)
so the training driver treats every agent alike.

Example:
    >>> from semcom.qoe import QoEEnv
    >>> env = QoEEnv(users=2)
    >>> agent = CODI(env, seed=0, learning_starts=8, batch_size=8)
    >>> _ = agent.learn(16)
    >>> obs, _ = env.reset(seed=1)
    >>> action, _ = agent.predict(obs)
    >>> action.shape, bool(abs(action).max() <= 1)
    ((4,), True)
"""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from semcom.errors import SemcomError

LOG_STD_MIN, LOG_STD_MAX = -5.0, 0.5
#: How the actor learns (:class:`CODIConfig`'s ``actor_update``).
ACTOR_UPDATES = ("reparameterised", "action-gradient")
X0_BOUND = 3.0
_HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)


def vp_beta_schedule(steps: int, beta_min: float = 0.1, beta_max: float = 10.0) -> torch.Tensor:
    """Variance-preserving betas ``[steps]`` float32 (Diffusion-QL's ``vp`` schedule)."""
    t = torch.arange(1, steps + 1, dtype=torch.float64)
    alpha = torch.exp(-beta_min / steps - 0.5 * (beta_max - beta_min) * (2 * t - 1) / steps**2)
    return (1 - alpha).float()


class _TimeEmbedding(nn.Module):
    def __init__(self, dim: int = 16) -> None:
        super().__init__()
        self.dim = dim
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / (half - 1))
        angles = t.float()[:, None] * freqs[None, :]
        out: torch.Tensor = self.mlp(torch.cat([angles.sin(), angles.cos()], dim=-1))
        return out


class DiffusionActor(nn.Module):
    """The denoising chain: state ``[B, S]`` -> action ``[B, A]`` in [-1, 1].

    Args:
        state_dim: S.
        action_dim: A.
        denoising_steps: K, reverse steps of the chain.
        hidden: width of the denoising MLP (3 hidden layers, ReLU).
    """

    sqrt_recip_abar: torch.Tensor
    sqrt_recipm1_abar: torch.Tensor
    coef_x0: torch.Tensor
    coef_xt: torch.Tensor
    posterior_std: torch.Tensor

    def __init__(
        self, state_dim: int, action_dim: int, denoising_steps: int = 5, hidden: int = 256
    ) -> None:
        super().__init__()
        if denoising_steps < 1:
            raise SemcomError(f"denoising_steps must be at least 1, got {denoising_steps}")
        self.action_dim = action_dim
        self.steps = denoising_steps
        self.time = _TimeEmbedding(16)
        self.eps = nn.Sequential(
            nn.Linear(action_dim + 16 + state_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, action_dim),
        )
        self.log_std = nn.Sequential(nn.Linear(state_dim, 64), nn.ReLU(), nn.Linear(64, action_dim))
        betas = vp_beta_schedule(denoising_steps)
        alphas = 1 - betas
        abar = torch.cumprod(alphas, 0)
        abar_prev = torch.cat([torch.ones(1), abar[:-1]])
        self.register_buffer("sqrt_recip_abar", torch.sqrt(1 / abar))
        self.register_buffer("sqrt_recipm1_abar", torch.sqrt(1 / abar - 1))
        self.register_buffer("coef_x0", betas * torch.sqrt(abar_prev) / (1 - abar))
        self.register_buffer("coef_xt", (1 - abar_prev) * torch.sqrt(alphas) / (1 - abar))
        var = betas * (1 - abar_prev) / (1 - abar)
        self.register_buffer("posterior_std", torch.sqrt(var.clamp(min=1e-20)))

    def forward(
        self, state: torch.Tensor, explore: bool = True, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(action [B, A] in (-1, 1), entropy [B])``; ``explore`` adds last-step noise.

        The chain runs in an unbounded space (its x_0 estimates softly held within
        +-3); the action is ``tanh`` of its output, so no gradient is ever cut by a clamp.
        ``entropy`` is the last step's squashed-Gaussian entropy estimate (nats).
        """
        b = state.shape[0]
        x = torch.randn(b, self.action_dim, generator=generator, device=state.device)
        for i in reversed(range(self.steps)):
            t = torch.full((b,), i, device=state.device, dtype=torch.long)
            eps = self.eps(torch.cat([x, self.time(t), state], dim=-1))
            x0 = self.sqrt_recip_abar[i] * x - self.sqrt_recipm1_abar[i] * eps
            x0 = X0_BOUND * torch.tanh(x0 / X0_BOUND)
            x = self.coef_x0[i] * x0 + self.coef_xt[i] * x
            if i > 0:
                noise = torch.randn(x.shape, generator=generator, device=x.device)
                x = x + self.posterior_std[i] * noise
        log_std = self.log_std(state).clamp(LOG_STD_MIN, LOG_STD_MAX)
        if explore:
            noise = torch.randn(x.shape, generator=generator, device=x.device)
            x = x + log_std.exp() * noise
        action = torch.tanh(x)
        entropy = (log_std + _HALF_LOG_2PI_E).sum(-1) + torch.log1p(-action.pow(2) + 1e-6).sum(-1)
        return action, entropy

    def denoising_loss(
        self, state: torch.Tensor, action: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The diffusion model's own loss on target actions ``action [B, A]`` in [-1, 1]
        given ``state [B, S]``: ``mean ||eps(x_i, i, s) - eps||^2`` with ``x_i = sqrt(abar_i)
        x_0 + sqrt(1 - abar_i) eps`` at a uniform step ``i`` and ``x_0 = atanh(action)``
        (actions within +-0.995, so ``x_0`` stays within the chain's +-3). Scalar."""
        x0 = torch.atanh(action.clamp(-0.995, 0.995))
        b = state.shape[0]
        i = torch.randint(0, self.steps, (b,), generator=generator, device=state.device)
        sqrt_abar = (1 / self.sqrt_recip_abar[i])[:, None]
        noise = torch.randn(x0.shape, generator=generator, device=x0.device)
        xi = sqrt_abar * x0 + torch.sqrt(1 - sqrt_abar**2) * noise
        pred = self.eps(torch.cat([xi, self.time(i), state], dim=-1))
        loss: torch.Tensor = ((pred - noise) ** 2).mean()
        return loss


class DoubleQ(nn.Module):
    """Two Q networks ``(state [B, S], action [B, A]) -> ([B], [B])``."""

    def __init__(self, state_dim: int, action_dim: int, hidden: int = 256) -> None:
        super().__init__()

        def q() -> nn.Sequential:
            return nn.Sequential(
                nn.Linear(state_dim + action_dim, hidden),
                nn.ReLU(),
                nn.Linear(hidden, hidden),
                nn.ReLU(),
                nn.Linear(hidden, 1),
            )

        self.q1, self.q2 = q(), q()

    def forward(self, state: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, ...]:
        sa = torch.cat([state, action], dim=-1)
        return self.q1(sa).squeeze(-1), self.q2(sa).squeeze(-1)


class ReplayBuffer:
    """Transitions in preallocated numpy arrays; uniform sampling from a seeded generator."""

    def __init__(self, capacity: int, state_dim: int, action_dim: int, seed: int) -> None:
        self.s = np.zeros((capacity, state_dim), np.float32)
        self.a = np.zeros((capacity, action_dim), np.float32)
        self.r = np.zeros(capacity, np.float32)
        self.s2 = np.zeros((capacity, state_dim), np.float32)
        self.done = np.zeros(capacity, np.float32)
        #: the actor's targets under ``actor_update="action-gradient"``: each transition's
        #: action, moved up its critic's gradient every time it is sampled
        self.improved = np.zeros((capacity, action_dim), np.float32)
        self.capacity, self.size, self.pos = capacity, 0, 0
        self.rng = np.random.default_rng(seed)

    def add(self, s: np.ndarray, a: np.ndarray, r: float, s2: np.ndarray, done: bool) -> None:
        i = self.pos
        self.s[i], self.a[i], self.r[i], self.s2[i], self.done[i] = s, a, r, s2, float(done)
        self.improved[i] = a
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n: int) -> tuple[np.ndarray, tuple[torch.Tensor, ...]]:
        """``(indices [n] int64, (s, a, r, s2, done))`` of ``n`` transitions drawn uniformly."""
        idx = self.rng.integers(0, self.size, size=n)
        arrays = (self.s, self.a, self.r, self.s2, self.done)
        return idx, tuple(torch.from_numpy(arr[idx]) for arr in arrays)


@dataclass(frozen=True)
class CODIConfig:
    """CODI's hyper-parameters (GDMOPT / D2SAC's where they give one).

    Attributes:
        denoising_steps: K, reverse steps of the actor's chain.
        hidden: width of the actor's and critics' MLPs.
        actor_lr: Adam learning rate of the actor (GDMOPT: 1e-4).
        critic_lr: Adam learning rate of the critics (GDMOPT: 1e-3).
        alpha_lr: learning rate of the temperature.
        gamma: discount.
        tau: Polyak factor of the target networks.
        batch_size: transitions per update.
        buffer_size: replay capacity.
        learning_starts: uniformly random actions before the first update.
        eval_candidates: chains compared by the critic for a deterministic decision.
        actor_update: how the actor learns. ``"reparameterised"`` (D2SAC): maximise
            ``min(Q1, Q2)(s, a(s)) + alpha * H`` with the gradient through every denoising
            step, exploring with the learned last-step noise. ``"action-gradient"`` (DIPO,
            Yang et al. 2023): every sampled transition's target action is moved
            ``action_gradient_steps`` steps of ``action_lr`` up ``min(Q1, Q2)`` (kept in
            the replay buffer, so it keeps improving), and the chain learns it with the
            diffusion model's own denoising loss; exploration is the chain's own noise.
        action_lr: step size of the action gradient (``"action-gradient"`` only).
        action_gradient_steps: gradient steps per sampled action (``"action-gradient"``).
    """

    denoising_steps: int = 5
    hidden: int = 256
    actor_lr: float = 1e-4
    critic_lr: float = 1e-3
    alpha_lr: float = 3e-4
    gamma: float = 0.95
    tau: float = 0.005
    batch_size: int = 128
    buffer_size: int = 100_000
    learning_starts: int = 1000
    eval_candidates: int = 8
    actor_update: str = "reparameterised"
    action_lr: float = 0.03
    action_gradient_steps: int = 5


class CODI:
    """The agent (module docstring) on a gymnasium env with a Box action space in [-1, 1].

    Args:
        env: the environment (``QoEEnv`` or any continuous-action env of that shape).
        seed: seeds weights, exploration, replay sampling and the env's first reset.
        **hyper: :class:`CODIConfig` fields.
    """

    def __init__(self, env: gym.Env[Any, Any], seed: int = 0, **hyper: Any) -> None:
        try:
            self.hyper = CODIConfig(**hyper)
        except TypeError as e:
            raise SemcomError(f"unknown CODI setting: {e}") from None
        if self.hyper.actor_update not in ACTOR_UPDATES:
            raise SemcomError(
                f"unknown actor_update {self.hyper.actor_update!r}; choose one of: "
                f"{', '.join(ACTOR_UPDATES)}"
            )
        obs_space, act_space = env.observation_space, env.action_space
        if not isinstance(act_space, gym.spaces.Box) or obs_space.shape is None:
            raise SemcomError("CODI needs a Box observation and action space")
        self.env = env
        self.seed = seed
        self.state_dim = int(np.prod(obs_space.shape))
        self.action_dim = int(np.prod(act_space.shape))
        torch.manual_seed(seed)
        h = self.hyper
        self.actor = DiffusionActor(self.state_dim, self.action_dim, h.denoising_steps, h.hidden)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic = DoubleQ(self.state_dim, self.action_dim, h.hidden)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.log_alpha = torch.zeros((), requires_grad=True)
        self.target_entropy = -float(self.action_dim)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=h.actor_lr)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=h.critic_lr)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=h.alpha_lr)
        self.gen = torch.Generator().manual_seed(seed)
        self.eval_gen = torch.Generator().manual_seed(seed + 1_000_003)
        self.rng = np.random.default_rng(seed)
        self.num_timesteps = 0
        self.updates = 0

    def q_value(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The critic's clipped double-Q value ``min(Q1, Q2)`` of ``action [B, A]`` in
        ``state [B, S]`` (float32): ``[B]``, in reward units; gradients flow."""
        q1, q2 = self.critic(state, action)
        return torch.minimum(q1, q2)

    # --- acting ----------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, obs: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, None]:
        """Decision for ``obs [S]`` (or ``[B, S]``): ``(action [A] / [B, A] float32, None)``."""
        s = torch.as_tensor(np.asarray(obs, np.float32))
        single = s.dim() == 1
        s = s.reshape(-1, self.state_dim)
        if deterministic:
            k = self.hyper.eval_candidates
            rep = s.repeat_interleave(k, 0)
            a, _ = self.actor(rep, explore=False, generator=self.eval_gen)
            q = self.q_value(rep, a).reshape(-1, k)
            best = q.argmax(1) + torch.arange(len(s)) * k
            action = a[best]
        else:  # the action-gradient actor explores with its chain's noise alone
            explore = self.hyper.actor_update == "reparameterised"
            action, _ = self.actor(s, explore=explore, generator=self.gen)
        out = action.numpy().astype(np.float32)
        return (out[0] if single else out), None

    # --- learning --------------------------------------------------------------------
    def _update(self, buffer: ReplayBuffer) -> None:
        h = self.hyper
        idx, (s, a, r, s2, done) = buffer.sample(h.batch_size)
        soft = h.actor_update == "reparameterised"
        alpha = self.log_alpha.exp().detach() if soft else torch.zeros(())
        with torch.no_grad():
            a2, entropy2 = self.actor_target(s2, explore=soft, generator=self.gen)
            q_next = torch.min(*self.critic_target(s2, a2)) + alpha * entropy2
            y = r + h.gamma * (1 - done) * q_next
        q1, q2 = self.critic(s, a)
        critic_loss = ((q1 - y) ** 2).mean() + ((q2 - y) ** 2).mean()
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()
        if soft:
            self._reparameterised_actor_update(s, alpha)
        else:
            self._action_gradient_actor_update(buffer, idx, s)
        with torch.no_grad():
            for net, target in ((self.actor, self.actor_target), (self.critic, self.critic_target)):
                for p, pt in zip(net.parameters(), target.parameters(), strict=True):
                    pt.mul_(1 - h.tau).add_(p, alpha=h.tau)
        self.updates += 1

    def _action_gradient_actor_update(
        self, buffer: ReplayBuffer, idx: np.ndarray, s: torch.Tensor
    ) -> None:
        """DIPO: improve the transitions' target actions on the critic, store them, and
        fit the chain to them with the denoising loss (``eps``-prediction)."""
        h = self.hyper
        target = torch.from_numpy(buffer.improved[idx])
        self.critic.requires_grad_(False)
        for _ in range(h.action_gradient_steps):
            target.requires_grad_(True)
            (grad,) = torch.autograd.grad(self.q_value(s, target).sum(), target)
            target = (target.detach() + h.action_lr * grad).clamp(-1.0, 1.0)
        self.critic.requires_grad_(True)
        buffer.improved[idx] = target.numpy()
        loss = self.actor.denoising_loss(s, target, self.gen)
        self.actor_opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.actor_opt.step()

    def _reparameterised_actor_update(self, s: torch.Tensor, alpha: torch.Tensor) -> None:
        """D2SAC: ascend ``min(Q1, Q2) + alpha * H`` through the chain; tune alpha."""
        self.critic.requires_grad_(False)
        a_new, entropy = self.actor(s, explore=True, generator=self.gen)
        actor_loss = (-self.q_value(s, a_new) - alpha * entropy).mean()
        self.actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        self.actor_opt.step()
        self.critic.requires_grad_(True)

        alpha_loss = (self.log_alpha * (entropy.detach() - self.target_entropy)).mean()
        self.alpha_opt.zero_grad(set_to_none=True)
        alpha_loss.backward()
        self.alpha_opt.step()

    def learn(self, total_timesteps: int) -> CODI:
        """Interact with ``env`` for ``total_timesteps`` steps, one update per step."""
        if total_timesteps < 1:
            raise SemcomError(f"total_timesteps must be at least 1, got {total_timesteps}")
        h = self.hyper
        buffer = ReplayBuffer(
            min(h.buffer_size, total_timesteps), self.state_dim, self.action_dim, self.seed
        )
        obs, _ = self.env.reset(seed=self.seed)
        for step in range(total_timesteps):
            if step < h.learning_starts:
                action = self.rng.uniform(-1, 1, self.action_dim).astype(np.float32)
            else:
                action, _ = self.predict(obs, deterministic=False)
            obs2, reward, terminated, truncated, _ = self.env.step(action)
            buffer.add(obs, action, float(reward), obs2, terminated)
            obs = obs2
            if terminated or truncated:
                obs, _ = self.env.reset()
            if step + 1 >= h.learning_starts and buffer.size >= h.batch_size:
                self._update(buffer)
            self.num_timesteps += 1
        return self

    # --- persistence -----------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write weights, temperature and hyper-parameters to ``path`` (a ``.pt`` file)."""
        torch.save(
            {
                "hyper": asdict(self.hyper),
                "state_dim": self.state_dim,
                "action_dim": self.action_dim,
                "seed": self.seed,
                "actor": self.actor.state_dict(),
                "critic": self.critic.state_dict(),
                "actor_target": self.actor_target.state_dict(),
                "critic_target": self.critic_target.state_dict(),
                "log_alpha": self.log_alpha.detach(),
                "num_timesteps": self.num_timesteps,
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path, env: gym.Env[Any, Any]) -> CODI:
        """Rebuild an agent saved by :meth:`save` for ``env`` (same space shapes)."""
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, pickle.UnpicklingError) as e:
            raise SemcomError(f"cannot read the CODI policy {path}: {e}") from None
        agent = cls(env, seed=int(blob["seed"]), **blob["hyper"])
        if (agent.state_dim, agent.action_dim) != (blob["state_dim"], blob["action_dim"]):
            raise SemcomError(
                f"the CODI policy {path} was trained for observations of "
                f"{blob['state_dim']} and actions of {blob['action_dim']} values; this "
                f"environment has {agent.state_dim} and {agent.action_dim}"
            )
        for name in ("actor", "critic", "actor_target", "critic_target"):
            getattr(agent, name).load_state_dict(blob[name])
        with torch.no_grad():
            agent.log_alpha.copy_(blob["log_alpha"])
        agent.num_timesteps = int(blob["num_timesteps"])
        return agent
