"""Health records: schema validation (all or nothing), split, synthetic generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semcom.data.health import (
    ACTIVITY_COLUMN,
    ACTIVITY_LEVELS,
    HEALTH_SCHEMA,
    load_health_records,
    parse_health_csv,
    shift_by_activity,
    synthesize_health_records,
    validate_health_row,
)
from semcom.errors import SemcomError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
REAL = SHARED / "dementia_patients_health_data.csv"


def _csv(n: int = 5) -> str:
    return synthesize_health_records(n, seed=3).to_csv_text()


def _raw_row() -> dict[str, str]:
    first = synthesize_health_records(1).rows[0]
    return {k: ("" if v is None else str(v)) for k, v in first.items()}


def test_round_trip_through_csv(tmp_path: Path) -> None:
    recs = synthesize_health_records(12, seed=1)
    recs.to_csv(tmp_path / "r.csv")
    back = load_health_records(tmp_path / "r.csv")
    assert len(back) == 12
    assert back.numeric(["Age", "Weight"]).tolist() == recs.numeric(["Age", "Weight"]).tolist()
    assert back.column("Physical_Activity") == recs.column("Physical_Activity")


def test_missing_and_unexpected_columns_are_listed() -> None:
    text = _csv().replace("HeartRate", "Pulse", 1)
    with pytest.raises(
        SemcomError, match=r"missing columns: 'HeartRate'.*unexpected columns: 'Pulse'"
    ):
        parse_health_csv(text)


def test_bad_value_names_row_and_column() -> None:
    lines = _csv(4).splitlines()
    cells = lines[3].split(",")
    idx = [c.name for c in HEALTH_SCHEMA].index("HeartRate")
    cells[idx] = "fast"
    lines[3] = ",".join(cells)
    with pytest.raises(SemcomError, match=r"row 4, column 'HeartRate': 'fast' is not a number"):
        parse_health_csv("\n".join(lines))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Age", "61.5", "not an integer"),
        ("Diabetic", "2", "not 0 or 1"),
        ("Weight", "", "empty value"),
        ("Weight", "nan", "not finite"),
        ("Physical_Activity", "Athletic", "not one of"),
    ],
)
def test_row_validation(column: str, value: str, message: str) -> None:
    row = {
        k: ("" if v is None else str(v)) for k, v in synthesize_health_records(1).rows[0].items()
    }
    row[column] = value
    with pytest.raises(SemcomError, match=message):
        validate_health_row(row, "row 9")


def test_dosage_empty_exactly_with_prescription() -> None:
    row = {
        k: ("" if v is None else str(v)) for k, v in synthesize_health_records(1).rows[0].items()
    }
    row["Prescription"], row["Dosage in mg"] = "", "5.0"
    with pytest.raises(SemcomError, match="Dosage in mg"):
        validate_health_row(row)


def test_split_is_seeded_and_disjoint() -> None:
    recs = synthesize_health_records(50, seed=0)
    a_train, a_test = recs.split(0.8, seed=4)
    b_train, _ = recs.split(0.8, seed=4)
    assert (len(a_train), len(a_test)) == (40, 10)
    assert a_train.rows == b_train.rows
    ids = {id(r) for r in a_train.rows} | {id(r) for r in a_test.rows}
    assert len(ids) == 50


def test_synthetic_is_deterministic_and_valid() -> None:
    a = synthesize_health_records(200, seed=7)
    b = synthesize_health_records(200, seed=7)
    assert a.rows == b.rows
    assert set(a.column("Physical_Activity")) == set(ACTIVITY_LEVELS)
    back = parse_health_csv(a.to_csv_text())  # every synthetic row passes validation
    assert len(back) == 200


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data is absent")
def test_real_file_and_synthetic_marginals() -> None:
    real = load_health_records(REAL)
    assert len(real) == 1000
    assert real.column("Prescription").count(None) == 515
    syn = synthesize_health_records(5000, seed=0, like=real)
    for name in ("Age", "Weight", "HeartRate", "BloodOxygenLevel"):
        r, s = real.numeric([name])[:, 0], syn.numeric([name])[:, 0]
        assert abs(r.mean() - s.mean()) < 0.05 * r.std()
        assert abs(r.std() - s.std()) < 0.05 * r.std()
    share = syn.column("Physical_Activity").count("Sedentary") / 5000
    assert abs(share - 0.331) < 0.03
    assert np.isnan(syn.numeric(["Dosage in mg"])[:, 0]).mean() == pytest.approx(0.515, abs=0.03)


@pytest.mark.parametrize("strength", [0.0, 0.5, 1.0])
def test_shift_by_activity_keeps_the_schema_and_orders_the_levels(strength: float) -> None:
    recs = synthesize_health_records(300, seed=7)
    shifted = shift_by_activity(recs, strength)
    for row in shifted.rows:  # every record still passes the schema
        validate_health_row({k: "" if v is None else str(v) for k, v in row.items()}, "x")
    for name in ("Prescription", "Dosage in mg", "Gender", ACTIVITY_COLUMN):
        assert shifted.column(name) == recs.column(name)
    ages = {
        lv: np.array([r["Age"] for r in shifted.rows if r[ACTIVITY_COLUMN] == lv], float)
        for lv in ACTIVITY_LEVELS
    }
    if strength == 0.0:
        assert shifted.rows == recs.rows
    else:  # the levels' means move apart with the strength
        means = [ages[lv].mean() for lv in ACTIVITY_LEVELS]
        assert means[0] < means[1] < means[2]
    if strength == 1.0:  # disjoint slices
        assert ages["Sedentary"].max() <= ages["Mild Activity"].min()
        assert ages["Mild Activity"].max() <= ages["Moderate Activity"].min()
    with pytest.raises(SemcomError, match="strength must be in"):
        shift_by_activity(recs, 1.5)
