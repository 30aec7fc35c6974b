"""CODI: the VP schedule, in-bound sampling, gradients through the chain, save / load, and
the action-gradient actor update (denoising loss, improved buffer actions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from semcom.errors import SemcomError
from semcom.qoe import QoEEnv
from semcom.qoe.codi import (
    ACTOR_UPDATES,
    CODI,
    DiffusionActor,
    DoubleQ,
    ReplayBuffer,
    vp_beta_schedule,
)


def test_vp_schedule_is_increasing_and_in_unit_interval() -> None:
    betas = vp_beta_schedule(5)
    assert betas.shape == (5,)
    assert torch.all(betas > 0)
    assert torch.all(betas < 1)
    assert torch.all(betas[1:] > betas[:-1])
    # almost all signal is gone after K steps: x_K is (nearly) the Gaussian the chain starts from
    assert torch.prod(1 - betas) < 0.01


@pytest.mark.parametrize("explore", [True, False])
def test_sampler_gives_in_bound_actions(explore: bool) -> None:
    actor = DiffusionActor(state_dim=7, action_dim=4, denoising_steps=3, hidden=32)
    with torch.no_grad():  # push the raw chain far out of bounds
        actor.eps[-1].bias.fill_(-50.0)
        actor.log_std[-1].bias.fill_(3.0)
    gen = torch.Generator().manual_seed(0)
    action, entropy = actor(torch.rand(64, 7), explore=explore, generator=gen)
    assert action.shape == (64, 4)
    assert entropy.shape == (64,)
    assert torch.all(action.abs() <= 1.0)
    assert torch.isfinite(entropy).all()


def test_sampler_is_seeded_and_gradients_reach_every_denoising_layer() -> None:
    actor = DiffusionActor(state_dim=5, action_dim=3, denoising_steps=4, hidden=16)
    critic = DoubleQ(5, 3, hidden=16)
    s = torch.rand(8, 5)
    a1, _ = actor(s, generator=torch.Generator().manual_seed(1))
    a2, _ = actor(s, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(a1, a2)
    a, entropy = actor(s, generator=torch.Generator().manual_seed(2))
    loss = -torch.min(*critic(s, a)).mean() - 0.1 * entropy.mean()
    loss.backward()
    for name, p in actor.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize("actor_update", ACTOR_UPDATES)
def test_actions_of_a_trained_agent_stay_in_bounds_and_are_reproducible(actor_update: str) -> None:
    env = QoEEnv(users=3)
    hyper = {"learning_starts": 20, "batch_size": 16, "hidden": 32, "actor_update": actor_update}
    agent = CODI(env, seed=0, **hyper)
    agent.learn(60)
    obs, _ = env.reset(seed=5)
    a, _ = agent.predict(obs)
    assert a.shape == (6,)
    assert a.dtype == np.float32
    assert np.all(np.abs(a) <= 1)
    batch, _ = agent.predict(np.stack([obs, obs]), deterministic=False)
    assert batch.shape == (2, 6)
    assert np.all(np.abs(batch) <= 1)
    twin = CODI(env, seed=0, **hyper)
    twin.learn(60)
    b, _ = twin.predict(obs)
    np.testing.assert_array_equal(a, b)


def test_save_load_round_trip(tmp_path: Path) -> None:
    env = QoEEnv(users=2)
    agent = CODI(env, seed=3, learning_starts=10, batch_size=8, hidden=16, denoising_steps=3)
    agent.learn(30)
    agent.save(tmp_path / "codi.pt")
    loaded = CODI.load(tmp_path / "codi.pt", env)
    assert loaded.hyper == agent.hyper
    assert loaded.num_timesteps == 30
    for net in ("actor", "critic", "actor_target", "critic_target"):
        for (k, p), (_, q) in zip(
            getattr(agent, net).state_dict().items(),
            getattr(loaded, net).state_dict().items(),
            strict=True,
        ):
            torch.testing.assert_close(p, q, msg=f"{net}.{k}")
    obs, _ = env.reset(seed=9)
    # same weights and a freshly seeded evaluation generator: the same decision
    fresh = CODI.load(tmp_path / "codi.pt", env)
    np.testing.assert_array_equal(loaded.predict(obs)[0], fresh.predict(obs)[0])


def test_load_refuses_another_environment_shape(tmp_path: Path) -> None:
    agent = CODI(QoEEnv(users=2), seed=0, hidden=16)
    agent.save(tmp_path / "codi.pt")
    with pytest.raises(SemcomError, match="trained for observations of 8"):
        CODI.load(tmp_path / "codi.pt", QoEEnv(users=3))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(SemcomError, match="cannot read the CODI policy"):
        CODI.load(tmp_path / "junk.pt", QoEEnv(users=2))


def test_bad_settings() -> None:
    with pytest.raises(SemcomError, match="unknown CODI setting"):
        CODI(QoEEnv(users=2), learning_rate=1.0)
    with pytest.raises(SemcomError, match="denoising_steps"):
        CODI(QoEEnv(users=2), denoising_steps=0)
    with pytest.raises(SemcomError, match="unknown actor_update 'dpo'; choose one of"):
        CODI(QoEEnv(users=2), actor_update="dpo")


def test_denoising_loss_is_small_only_for_actions_the_chain_makes() -> None:
    torch.manual_seed(0)
    actor = DiffusionActor(state_dim=3, action_dim=2, denoising_steps=5, hidden=64)
    opt = torch.optim.Adam(actor.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    s = torch.rand(256, 3)
    target = torch.stack([s[:, 0] * 1.6 - 0.8, 0.5 - s[:, 1]], 1)  # a state-dependent action
    first = float(actor.denoising_loss(s, target, gen).detach())
    for _ in range(600):
        loss = actor.denoising_loss(s, target, gen)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    assert float(actor.denoising_loss(s, target, gen).detach()) < 0.5 * first
    with torch.no_grad():  # the chain (no last-step noise) now lands near the targets
        made, _ = actor(s, explore=False, generator=gen)
    assert float((made - target).abs().mean()) < 0.15
    assert float((made - target.flip(0)).abs().mean()) > 0.3


def test_action_gradient_moves_the_buffer_targets_up_the_critic() -> None:
    env = QoEEnv(users=2)
    agent = CODI(env, seed=1, learning_starts=8, batch_size=8, hidden=16,
                 actor_update="action-gradient", action_gradient_steps=3)  # fmt: skip
    buffer = ReplayBuffer(16, agent.state_dim, agent.action_dim, seed=0)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(16):
        a = rng.uniform(-0.5, 0.5, agent.action_dim).astype(np.float32)
        obs2, r, *_ = env.step(a)
        buffer.add(obs, a, float(r), obs2, False)
        obs = obs2
    np.testing.assert_array_equal(buffer.improved, buffer.a)
    s, a = torch.from_numpy(buffer.s), torch.from_numpy(buffer.a)
    alpha_before = float(agent.log_alpha.detach())
    agent._update(buffer)  # the critic steps first, then the sampled targets climb it
    moved = torch.from_numpy(buffer.improved.copy())
    changed = (moved - a).abs().sum(1) > 0
    assert changed.any()
    with torch.no_grad():  # every moved target is worth more than its action to that critic
        gain = agent.q_value(s, moved) - agent.q_value(s, a)
    assert torch.all(gain[changed] > 0)
    for _ in range(4):
        agent._update(buffer)
    assert np.all(np.abs(buffer.improved) <= 1)
    np.testing.assert_array_equal(buffer.a, a.numpy())  # what was played stays as played
    assert float(agent.log_alpha.detach()) == alpha_before  # no temperature in this mode
