"""fl.toml: defaults, round trip, and every bad input refused with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcom.cli.app import main
from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, fl_config_from_dict, load_fl_config


def test_defaults_and_round_trip() -> None:
    cfg = fl_config_from_dict({})
    assert cfg.fl.strategy == "fedavg"
    assert cfg.fl.clients == 9
    assert cfg.wireless.snr_db == (0.0, 25.0)
    assert cfg.wireless.power_w == 0.1
    assert cfg.data.dirichlet == 0.9
    assert abs(float(cfg.model.cbr) - 1 / 6) < 1e-12
    assert fl_config_from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"fl": {"strategy": "fedmagic"}}, r"unknown strategy 'fedmagic'; choose one of: fedavg"),
        ({"fl": {"rounds": 3, "colour": "red"}}, r"unknown key 'colour'"),
        ({"wireles": {}}, r"unknown table \[wireles\]"),
        ({"fl": {"fraction_train": 1.5}}, r"fraction_train must be in \(0, 1\]"),
        ({"fl": {"fraction_train": 0.0}}, r"fraction_train must be in \(0, 1\]"),
        ({"fl": {"min_answer_fraction": -0.1}}, r"min_answer_fraction must be in"),
        ({"faults": {"raise_fraction": 0.7, "nan_fraction": 0.6}}, r"at most 1"),
        ({"wireless": {"snr_db": [25, 0]}}, r"high < low"),
        ({"wireless": {"snr_model": "rician"}}, r"unknown snr_model"),
        ({"model": {"codec": "nope"}}, r"unknown codec 'nope'"),
        ({"data": {"partition": "shards"}}, r"unknown partition 'shards'"),
        ({"train": {"task_weight": 1.0}}, r"needs model.classifier"),
        ({"fl": {"rounds": "many"}}, r"wrong type"),
    ],
)
def test_bad_configs_are_refused(raw: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        fl_config_from_dict(raw)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "fl.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[fl]\nstrategy = "fedmagic"\n', "unknown strategy 'fedmagic'"),
        ("[fl]\nrounds = 2\nspeed = 3\n", "unknown key 'speed'"),
        ("[fl]\nfraction_train = 2.0\n", "fraction_train must be in (0, 1]"),
        ('[fl]\nclients = 5000\n[data]\nspec = "patches"\npartition = "iid"\n', "5000 clients"),
        (
            '[data]\nspec = "patches"\npartition = "iid"\nmin_size = 1000\n',
            "fewer than data.min_size = 1000",
        ),
        ("[fl\n", "is not valid TOML"),
    ],
)
def test_cli_refuses_bad_configs_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    code = main(
        ["fl", "run", "--config", str(_write(tmp_path, text)), "--out", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert message in err[0], err
    assert not (tmp_path / "o").exists()


def test_dry_run_prints_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(
        tmp_path,
        '[fl]\nclients = 4\n[data]\nspec = "patches"\npartition = "iid"\n[model]\n'
        "codec_options = {width = 8}\n",
    )
    assert main(["fl", "run", "--config", str(cfg), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "4 clients (iid" in err
    assert "parameters" in err
    assert "MB per upload" in err


def test_load_fl_config_reads_a_file(tmp_path: Path) -> None:
    cfg = load_fl_config(
        _write(tmp_path, '[wireless]\nsnr_db = "5:15"\nsnr_model = "gauss-markov"\n')
    )
    assert isinstance(cfg, FLConfig)
    assert cfg.wireless.snr_db == (5.0, 15.0)


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parents[2] / "examples" / "fl").glob("*.toml")), ids=str
)
def test_every_example_config_is_valid(path: Path) -> None:
    cfg = load_fl_config(path)
    assert cfg.fl.rounds >= 1


def test_scale_paper_sets_the_paper_keys_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from semcom.federated.scales import apply_scale

    cfg = fl_config_from_dict(
        {"fl": {"clients": 4, "rounds": 2}, "data": {"spec": "patches", "partition": "iid"}}
    )
    same, none = apply_scale(cfg, "cpu")
    assert same == cfg
    assert none == []
    paper, changed = apply_scale(cfg, "paper")
    assert (paper.fl.clients, paper.fl.rounds) == (9, 2)
    assert (paper.model.codec, paper.model.codec_options) == ("vitjscc", {"size": "gsc-m"})
    assert paper.data == cfg.data
    assert "fl.clients: 4 -> 9" in changed
    with pytest.raises(SemcomError, match="unknown scale 'huge'"):
        apply_scale(cfg, "huge")

    path = _write(tmp_path, '[fl]\nclients = 4\n[data]\nspec = "patches"\npartition = "iid"\n')
    assert main(["fl", "run", "--config", str(path), "--scale", "paper", "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "--scale paper: model.codec: deepjscc -> vitjscc" in err
    assert "9 clients" in err
    assert "vitjscc with 1,6" in err
