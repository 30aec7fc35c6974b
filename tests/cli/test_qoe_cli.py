"""``semcom qoe train | eval``: runs, summaries, JSON and one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from tests.cli.helpers import assert_one_line_error, run_cli

from semcom.qoe import QoEConfig, config_hash


def test_train_then_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "qoe", "train", "--agent", "codi,random", "--users", "3", "--steps", "30",
        "--seeds", "2", "--window", "10", "--out", str(tmp_path), "--set", "compute_s=0.5",
        "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    folders = out.split()
    assert folders == [str(tmp_path / a / f"seed{s}") for a in ("codi", "random") for s in (0, 1)]
    assert "config hash" in err
    assert "reward / step" in err
    meta = json.loads((tmp_path / "codi" / "seed1" / "meta.json").read_text())
    assert meta["config"]["compute_s"] == 0.5
    assert meta["config_hash"] == config_hash(QoEConfig(users=3, compute_s=0.5))
    with (tmp_path / "codi" / "seed0" / "rewards.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 3

    code, out, err = run_cli(
        capsys, "qoe", "eval", "--policy", str(tmp_path / "codi"), "--episodes", "2", "--json",
        "--compute-scale", "0.5",
    )  # fmt: skip
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["policy"] for r in results] == [str(tmp_path / "codi" / f"seed{s}") for s in (0, 1)]
    assert all(r["episodes"] == 2 and r["options"] == {"compute_scale": 0.5} for r in results)

    code, out, err = run_cli(
        capsys, "qoe", "eval", "--policy", str(tmp_path / "codi" / "seed0"), "--episodes", "1",
        "--json", "--critic-ascent", "3", "--ascent-lr", "0.05",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["critic_ascent"] == {"steps": 3, "lr": 0.05}
    code, _, err = run_cli(capsys, "qoe", "eval", "--policy", str(tmp_path / "random" / "seed0"),
                           "--critic-ascent", "3")  # fmt: skip
    assert_one_line_error(code, err, "the random agent has no action-value critic")

    code, out, err = run_cli(capsys, "qoe", "eval", "--policy", str(tmp_path / "random" / "seed0"),
                          "--users", "6", "--episodes", "1")  # fmt: skip
    assert code == 0, err
    assert out.startswith("reward per step ")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["qoe", "train", "--agent", "dqn"], "unknown agent 'dqn'"),
        (["qoe", "train", "--users", "1"], "users must be in 2..20"),
        (["qoe", "train", "--set", "compute_s"], "--set takes KEY=VALUE"),
        (["qoe", "train", "--set", "compute_s=0"], "compute_s must be > 0"),
        (["qoe", "train", "--set", "colour=1"], "unknown QoE setting(s) colour"),
        (["qoe", "train", "--steps", "0"], "steps must be at least 1"),
        (["qoe", "train", "--quality-table", "missing.json"], "not found"),
        (["qoe", "eval", "--policy", "nowhere"], "holds no trained policy"),
        (["qoe", "eval", "--policy", "x", "--critic-ascent", "-1"], "--critic-ascent must be >= 0"),
        (["qoe", "eval", "--policy", "x", "--ascent-lr", "0"], "--ascent-lr > 0"),
        (["qoe", "train", "--agent-set", "actor_update"], "cannot parse option 'actor_update'"),
        (["qoe", "train", "--agent-set", "actor_update=dpo"], "unknown actor_update 'dpo'"),
        (["qoe", "train", "--agent-set", "colour=1"], "unknown CODI setting"),
        (["qoe", "train", "--agent", "greedy", "--agent-set", "x=1"], "takes no settings"),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_cli(capsys, *argv, *(["--out", str(tmp_path)] if argv[1] == "train" else []))
    assert_one_line_error(code, err, needle)


def test_agent_settings_reach_the_agent_and_its_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["qoe", "train", "--agent", "codi", "--users", "2", "--steps", "20", "--out",
            str(tmp_path), "--no-progress", "--agent-set", "actor_update=action-gradient",
            "--agent-set", "action_gradient_steps=2",
            "--agent-set", "learning_starts=10"]  # fmt: skip
    code, _, err = run_cli(capsys, *argv)
    assert code == 0, err
    meta = json.loads((tmp_path / "codi" / "seed0" / "meta.json").read_text())
    assert meta["hyper"] == {"gamma": 0.0, "actor_update": "action-gradient",
                             "action_gradient_steps": 2, "learning_starts": 10}  # fmt: skip
    saved = torch.load(tmp_path / "codi" / "seed0" / "policy.pt", weights_only=True)
    assert saved["hyper"]["actor_update"] == "action-gradient"
    assert saved["hyper"]["action_gradient_steps"] == 2


def test_eval_refuses_another_user_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "qoe", "train", "--agent", "codi", "--users", "2", "--steps", "5",
                "--out", str(tmp_path), "--no-progress")[0] == 0  # fmt: skip
    code, _, err = run_cli(
        capsys, "qoe", "eval", "--policy", str(tmp_path / "codi"), "--users", "4"
    )
    assert_one_line_error(code, err, "trained for 2 users")
