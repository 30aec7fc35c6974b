from __future__ import annotations

from pathlib import Path

import pytest

from semcom.config import TrainConfig, config_from_dict, load_config
from semcom.errors import SemcomError


def test_toml_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "train.toml"
    p.write_text(
        'codec = "deepjscc"\nsnr_db = "0:10"\ncbr = "1/12"\nepochs = 3\n'
        "codec_options = { width = 16 }\n"
    )
    cfg = load_config(TrainConfig, p)
    assert cfg.snr_db == (0.0, 10.0)
    assert cfg.cbr == pytest.approx(1 / 12)
    assert cfg.codec_options == {"width": 16}
    assert config_from_dict(TrainConfig, cfg.to_dict()) == cfg


def test_unknown_key_names_key_and_allowed(tmp_path: Path) -> None:
    p = tmp_path / "train.toml"
    p.write_text("epochs = 1\nlearning_rate = 0.1\n")
    with pytest.raises(SemcomError, match=r"unknown key 'learning_rate'.*allowed keys: codec,"):
        load_config(TrainConfig, p)


def test_frozen() -> None:
    cfg = TrainConfig(epochs=1)
    with pytest.raises(AttributeError):
        cfg.epochs = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"epochs": "three"}, "wrong type"),
        ({"epochs": True}, "wrong type"),
        ({}, "--epochs N or --time-budget-min"),
        ({"epochs": 0}, "at least 1"),
        ({"epochs": 1, "snr_db": [1, 2, 3]}, "snr_db must be"),
        ({"epochs": 1, "batch_size": 0}, "batch_size"),
    ],
)
def test_bad_values(data: dict[str, object], message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        config_from_dict(TrainConfig, data)


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="does not exist"):
        load_config(TrainConfig, tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = = 1")
    with pytest.raises(SemcomError, match="not valid TOML"):
        load_config(TrainConfig, bad)
