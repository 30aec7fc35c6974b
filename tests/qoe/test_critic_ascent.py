"""Decisions refined up the agent's own critic: higher critic values, in bounds, per
decision, nothing learned, and a clear refusal for agents without an action critic."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from tests.qoe.test_training import SMALL, TINY_HYPER

from semcom.errors import SemcomError
from semcom.qoe import QoEEnv
from semcom.qoe.agents import AGENTS, Agent, make_agent
from semcom.qoe.critic_ascent import CriticAscent
from semcom.qoe.training import evaluate_policy

CRITIC_AGENTS = ("codi", "sac")


@functools.cache
def _trained(agent: str) -> Agent:
    """One short training per agent for the whole module (the ascent learns nothing)."""
    model = make_agent(agent, QoEEnv(SMALL), seed=0, **TINY_HYPER[agent])
    model.learn(60)
    return model


def _observations(n: int) -> list[np.ndarray]:
    env = QoEEnv(SMALL)
    return [env.reset(seed=100 + i)[0] for i in range(n)]


@pytest.mark.parametrize("agent", CRITIC_AGENTS)
def test_ascent_raises_the_critic_value_of_every_decision(agent: str) -> None:
    model = _trained(agent)
    refined = CriticAscent(model, steps=20, lr=0.1)
    gains = []
    for obs in _observations(6):
        own, better = model.act(obs), refined.act(obs)
        assert better.shape == own.shape == (6,)
        assert better.dtype == np.float32
        assert np.all(np.abs(better) < 1)
        gains.append(model.critic_value(obs, better) - model.critic_value(obs, own))
    assert min(gains) >= -1e-4  # never worse on the critic (small Adam steps)
    assert max(gains) > 1e-3  # and it moves


@pytest.mark.parametrize("agent", CRITIC_AGENTS)
def test_zero_steps_is_the_agent_and_nothing_is_learned(agent: str) -> None:
    model = _trained(agent)
    before = [(p.detach().clone(), _grad(p)) for p in _critic_parameters(model)]
    obs = _observations(1)[0]
    decisions = []
    for decide in (CriticAscent(model, steps=0).act, model.act):
        if agent == "codi":  # its deterministic decision draws candidate chains
            model.model.eval_gen.manual_seed(7)  # type: ignore[attr-defined]
        decisions.append(decide(obs))
    np.testing.assert_array_equal(*decisions)
    CriticAscent(model, steps=5).act(obs)
    for p, (value, grad) in zip(_critic_parameters(model), before, strict=True):
        assert torch.equal(p, value)
        assert torch.equal(_grad(p), grad)  # no gradient left on the critic either


def _grad(p: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(p) if p.grad is None else p.grad.clone()


def _critic_parameters(model: Agent) -> list[torch.Tensor]:
    return list(model.model.critic.parameters())  # type: ignore[attr-defined]


def test_a_batch_is_refined_decision_by_decision() -> None:
    model = _trained("codi")
    refined = CriticAscent(model, steps=10, lr=0.1)
    obs = np.stack(_observations(3))
    actions = np.stack([model.act(o) for o in obs])
    together = refined.ascend(obs, actions)
    alone = np.stack([refined.ascend(o, a) for o, a in zip(obs, actions, strict=True)])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_evaluation_of_a_refined_agent() -> None:
    model = _trained("codi")
    result = evaluate_policy(CriticAscent(model, steps=3), SMALL, episodes=1)
    assert result["agent"] == "codi"
    assert np.isfinite(result["reward"])
    assert result["clipped_actions"] == 0


@pytest.mark.parametrize("agent", [a for a in AGENTS if a not in CRITIC_AGENTS])
def test_agents_without_an_action_critic_are_refused(agent: str) -> None:
    model = make_agent(agent, QoEEnv(SMALL), seed=0, **TINY_HYPER[agent])
    with pytest.raises(SemcomError, match="no action-value critic"):
        CriticAscent(model)


@pytest.mark.parametrize(("steps", "lr", "needle"), [(-1, 0.1, "steps"), (3, 0.0, "lr")])
def test_bad_settings(steps: int, lr: float, needle: str) -> None:
    with pytest.raises(SemcomError, match=needle):
        CriticAscent(_trained("codi"), steps=steps, lr=lr)
