"""Agents behind one interface, training runs (CSV, meta, reuse), evaluation, and a short
CODI training that beats the random policy."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from semcom.errors import SemcomError
from semcom.qoe import QoEConfig, QoEEnv, config_hash
from semcom.qoe.agents import AGENTS, GAMMA, GreedyAgent, make_agent, situation_from_obs
from semcom.qoe.env import evaluate_allocation
from semcom.qoe.training import REWARD_COLUMNS, evaluate_policy, load_run, train_run

SMALL = QoEConfig(users=3, episode_len=10)
TINY_HYPER = {
    "codi": {"hidden": 16, "batch_size": 16, "learning_starts": 20},
    "sac": {"batch_size": 16, "learning_starts": 20, "policy_kwargs": {"net_arch": [16]}},
    "ppo": {"n_steps": 32, "batch_size": 16, "policy_kwargs": {"net_arch": [16]}},
    "greedy": {},
    "random": {},
}


@pytest.mark.parametrize("agent", AGENTS)
def test_every_agent_trains_saves_and_reloads(agent: str, tmp_path: Path) -> None:
    run = train_run(
        agent, SMALL, steps=40, seed=0, out=tmp_path, window=10, progress=False,
        hyper=TINY_HYPER[agent],
    )  # fmt: skip
    assert run.folder == tmp_path / agent / "seed0"
    with (run.folder / "rewards.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == REWARD_COLUMNS
    assert [int(r["step"]) for r in rows] == [10, 20, 30, 40]  # PPO's extra rollout dropped
    meta = json.loads((run.folder / "meta.json").read_text())
    assert meta["config_hash"] == config_hash(SMALL)
    assert meta["steps"] == 40
    assert run.evaluation["config_hash"] == config_hash(SMALL)
    loaded, cfg = load_run(run.folder)
    assert cfg == SMALL
    obs, _ = QoEEnv(SMALL).reset(seed=1)
    a = loaded.act(obs)
    assert a.shape == (6,)
    assert np.all(np.abs(a) <= 1)
    if agent in ("codi", "sac", "ppo", "greedy"):  # deterministic decisions survive a reload
        again, _ = load_run(run.folder)
        np.testing.assert_allclose(again.act(obs), a, atol=1e-6)


@pytest.mark.parametrize("agent", AGENTS)
def test_critic_value_reads_the_saved_critic_or_says_there_is_none(
    agent: str, tmp_path: Path
) -> None:
    run = train_run(
        agent, SMALL, steps=40, seed=0, out=tmp_path, window=10, progress=False,
        hyper=TINY_HYPER[agent],
    )  # fmt: skip
    loaded, _ = load_run(run.folder)
    obs, _ = QoEEnv(SMALL).reset(seed=1)
    low, high = -np.ones(6, np.float32), np.ones(6, np.float32)
    if agent not in ("codi", "sac"):
        with pytest.raises(SemcomError, match="no action-value critic"):
            loaded.critic_value(obs, low)
        return
    q_low, q_high = loaded.critic_value(obs, low), loaded.critic_value(obs, high)
    assert np.isfinite([q_low, q_high]).all()
    assert q_low != q_high  # the value depends on the decision
    again, _ = load_run(run.folder)
    assert again.critic_value(obs, high) == pytest.approx(q_high, abs=1e-6)
    assert loaded.critic_value(obs, 5 * high) == pytest.approx(q_high, abs=1e-6)  # clipped


def test_finished_run_is_reused_and_changed_settings_retrain(tmp_path: Path) -> None:
    first = train_run("random", SMALL, steps=20, seed=0, out=tmp_path, progress=False)
    stamp = (first.folder / "meta.json").stat().st_mtime_ns
    again = train_run("random", SMALL, steps=20, seed=0, out=tmp_path, progress=False)
    assert (again.folder / "meta.json").stat().st_mtime_ns == stamp
    other = QoEConfig(users=3, episode_len=10, compute_s=0.5)
    third = train_run("random", other, steps=20, seed=0, out=tmp_path, progress=False)
    assert third.meta["config_hash"] == config_hash(other) != config_hash(SMALL)
    assert not list(tmp_path.glob("**/*.partial"))
    tuned = train_run("ppo", SMALL, steps=32, seed=0, out=tmp_path, progress=False,
                      hyper=TINY_HYPER["ppo"])  # fmt: skip
    stamp = (tuned.folder / "meta.json").stat().st_mtime_ns
    retuned = train_run("ppo", SMALL, steps=32, seed=0, out=tmp_path, progress=False,
                        hyper={**TINY_HYPER["ppo"], "gamma": 0.5})  # fmt: skip
    assert tuned.meta["hyper"]["gamma"] == GAMMA  # the shared discount, recorded
    assert retuned.meta["hyper"]["gamma"] == 0.5  # other settings: trained again
    assert (retuned.folder / "meta.json").stat().st_mtime_ns != stamp


def test_load_run_refuses_another_user_count(tmp_path: Path) -> None:
    run = train_run("ppo", SMALL, steps=32, seed=0, out=tmp_path, progress=False,
                    hyper=TINY_HYPER["ppo"])  # fmt: skip
    with pytest.raises(SemcomError, match="trained for 3 users"):
        load_run(run.folder, QoEConfig(users=5))
    with pytest.raises(SemcomError, match="no trained policy"):
        load_run(tmp_path / "nothing")


def test_greedy_reads_the_state_from_the_observation_and_beats_minimum_everything() -> None:
    env = QoEEnv(users=6)
    obs, _ = env.reset(seed=2)
    sit = situation_from_obs(env, obs)
    np.testing.assert_allclose(sit.snr_db, env.situation.snr_db, atol=1e-4)
    np.testing.assert_allclose(sit.bandwidth_hz, env.situation.bandwidth_hz, rtol=1e-5)
    greedy = GreedyAgent(env, 0)
    res, steps = env.decode_action(greedy.act(obs))
    chosen = evaluate_allocation(env.config, env.table, env.situation, res, steps)
    lowest = evaluate_allocation(
        env.config, env.table, env.situation, np.full(6, 0.25), np.ones(6, dtype=np.int64)
    )
    assert chosen.reward > lowest.reward


def test_unknown_agent_and_settings() -> None:
    env = QoEEnv(users=2)
    with pytest.raises(SemcomError, match="unknown agent 'dqn'"):
        make_agent("dqn", env)
    with pytest.raises(SemcomError, match="takes no settings"):
        make_agent("greedy", env, lr=1.0)
    with pytest.raises(SemcomError, match="unknown SAC setting"):
        make_agent("sac", env, not_a_setting=1)


def test_evaluation_with_a_fixed_budget() -> None:
    greedy = make_agent("greedy", QoEEnv(SMALL))
    low = evaluate_policy(greedy, SMALL, episodes=2, options={"compute_scale": 0.2})
    high = evaluate_policy(greedy, SMALL, episodes=2, options={"compute_scale": 1.0})
    assert low["options"] == {"compute_scale": 0.2}
    assert low["diffusion_steps"] < high["diffusion_steps"]
    with pytest.raises(SemcomError, match="episodes"):
        evaluate_policy(greedy, SMALL, episodes=0)


def test_short_codi_training_beats_random(tmp_path: Path) -> None:
    cfg = QoEConfig(users=3)
    codi = train_run("codi", cfg, steps=1500, seed=0, out=tmp_path, progress=False,
                     reuse=False, hyper={"hidden": 64, "learning_starts": 300})  # fmt: skip
    rand = evaluate_policy(make_agent("random", QoEEnv(cfg), seed=0), cfg)
    assert codi.evaluation["reward"] > rand["reward"] + 0.2
