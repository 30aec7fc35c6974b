"""Human-digital-twin health records: the dementia-patient schema, a validating loader,
an 80 / 20 split and a seeded generator of synthetic patients.

The schema is that of ``dementia_patients_health_data.csv`` (1,000 patients, 24
columns; the case-study data of paper 000): nine numeric measurements, two binary flags
and thirteen categorical / text fields. ``Dosage in mg`` is empty exactly when
``Prescription`` is.

Loading is all or nothing: a header that is not this schema is refused with the missing
and unexpected columns listed, and the first unparsable value is reported with its row
(1-based, the header is row 1) and column; nothing partial is returned.

:func:`shift_by_activity` makes a copy in which the activity level *does* shape the
numeric fields (for studying methods that rely on clusters of similar users; synthetic).

:func:`synthesize_health_records` draws more patients with the same schema and the same
marginals as a given set (numeric columns by their interpolated empirical quantile
function, the others by their empirical frequencies; ``Prescription`` and ``Dosage in
mg`` drawn as one pair). The columns are drawn independently, which matches this data
(its columns are nearly independent); the records are **synthetic**, for scale tests
only.

Example:
    >>> recs = synthesize_health_records(10, seed=0)
    >>> len(recs), recs.rows[0]["Physical_Activity"] in ACTIVITY_LEVELS
    (10, True)
    >>> train, test = recs.split(0.8, seed=0)
    >>> len(train), len(test)
    (8, 2)
    >>> recs.numeric(["Age", "Weight"]).shape
    (10, 2)
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from semcom.errors import SemcomError

__all__ = [
    "ACTIVITY_COLUMN",
    "ACTIVITY_LEVELS",
    "HEALTH_SCHEMA",
    "HealthColumn",
    "HealthRecords",
    "Value",
    "load_health_records",
    "parse_health_csv",
    "shift_by_activity",
    "synthesize_health_records",
    "validate_health_row",
]

Value = float | int | str | None
Kind = Literal["float", "int", "binary", "category"]


@dataclass(frozen=True)
class HealthColumn:
    """One column: its CSV name, kind and whether it may be empty."""

    name: str
    kind: Kind
    nullable: bool = False


HEALTH_SCHEMA: tuple[HealthColumn, ...] = (
    HealthColumn("Diabetic", "binary"),
    HealthColumn("AlcoholLevel", "float"),
    HealthColumn("HeartRate", "int"),
    HealthColumn("BloodOxygenLevel", "float"),
    HealthColumn("BodyTemperature", "float"),
    HealthColumn("Weight", "float"),
    HealthColumn("MRI_Delay", "float"),
    HealthColumn("Prescription", "category", nullable=True),
    HealthColumn("Dosage in mg", "float", nullable=True),
    HealthColumn("Age", "int"),
    HealthColumn("Education_Level", "category"),
    HealthColumn("Dominant_Hand", "category"),
    HealthColumn("Gender", "category"),
    HealthColumn("Family_History", "category"),
    HealthColumn("Smoking_Status", "category"),
    HealthColumn("APOE_ε4", "category"),
    HealthColumn("Physical_Activity", "category"),
    HealthColumn("Depression_Status", "category"),
    HealthColumn("Cognitive_Test_Scores", "int"),
    HealthColumn("Medication_History", "category"),
    HealthColumn("Nutrition_Diet", "category"),
    HealthColumn("Sleep_Quality", "category"),
    HealthColumn("Chronic_Health_Conditions", "category"),
    HealthColumn("Dementia", "binary"),
)
_BY_NAME = {c.name: c for c in HEALTH_SCHEMA}

#: The column whose levels are the FLeS case study's clusters, and those levels.
ACTIVITY_COLUMN = "Physical_Activity"
ACTIVITY_LEVELS = ("Sedentary", "Mild Activity", "Moderate Activity")


def _parse(col: HealthColumn, text: str, where: str) -> Value:
    text = text.strip()
    if text == "":
        if col.nullable:
            return None
        raise SemcomError(f"{where}, column {col.name!r}: empty value")
    if col.kind == "category":
        return text
    try:
        number = float(text)
    except ValueError:
        raise SemcomError(f"{where}, column {col.name!r}: {text!r} is not a number") from None
    if not math.isfinite(number):
        raise SemcomError(f"{where}, column {col.name!r}: {text!r} is not finite")
    if col.kind == "float":
        return number
    if number != int(number):
        raise SemcomError(f"{where}, column {col.name!r}: {text!r} is not an integer")
    if col.kind == "binary" and number not in (0.0, 1.0):
        raise SemcomError(f"{where}, column {col.name!r}: {text!r} is not 0 or 1")
    return int(number)


def validate_health_row(raw: Mapping[str, str], where: str = "record") -> dict[str, Value]:
    """One record's strings parsed and checked against :data:`HEALTH_SCHEMA`.

    Args:
        raw: ``{column: text}`` with exactly the schema's columns.
        where: how errors name the record (e.g. ``"row 17"``).

    Returns:
        ``{column: value}``: floats, ints (``int`` and ``binary`` columns), strings,
        ``None`` for an empty nullable field.

    Raises:
        SemcomError: naming the record and the column.
    """
    _check_columns(list(raw), where)
    row = {c.name: _parse(c, str(raw[c.name]), where) for c in HEALTH_SCHEMA}
    if (row["Prescription"] is None) != (row["Dosage in mg"] is None):
        raise SemcomError(
            f"{where}, column 'Dosage in mg': must be empty exactly when 'Prescription' is"
        )
    if row[ACTIVITY_COLUMN] not in ACTIVITY_LEVELS:
        raise SemcomError(
            f"{where}, column {ACTIVITY_COLUMN!r}: {row[ACTIVITY_COLUMN]!r} is not one of "
            + ", ".join(ACTIVITY_LEVELS)
        )
    return row


def _number(v: Value) -> float:
    if v is None:
        return math.nan
    if isinstance(v, str):
        raise SemcomError(f"{v!r} is not a number")
    return float(v)


def _check_columns(header: Sequence[str], where: str) -> None:
    names = [h.strip() for h in header]
    missing = [c.name for c in HEALTH_SCHEMA if c.name not in names]
    unexpected = [h for h in names if h not in _BY_NAME]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(repr(m) for m in missing))
        if unexpected:
            parts.append("unexpected columns: " + ", ".join(repr(u) for u in unexpected))
        raise SemcomError(f"{where} is not the health-record schema ({'; '.join(parts)})")


@dataclass(frozen=True)
class HealthRecords:
    """Validated patient records, in file order.

    Attributes:
        rows: one ``{column: value}`` per patient (see :func:`validate_health_row`).
    """

    rows: tuple[dict[str, Value], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Value]:
        """The values of column ``name`` in row order."""
        if name not in _BY_NAME:
            raise SemcomError(f"unknown health-record column {name!r}")
        return [r[name] for r in self.rows]

    def numeric(self, names: Iterable[str]) -> np.ndarray:
        """Numeric columns as ``[N, len(names)] float64`` (NaN where empty)."""
        cols = list(names)
        for n in cols:
            if n not in _BY_NAME or _BY_NAME[n].kind == "category":
                raise SemcomError(f"{n!r} is not a numeric health-record column")
        out = np.array([[_number(r[n]) for n in cols] for r in self.rows], dtype=np.float64)
        return out.reshape(len(self.rows), len(cols))

    def subset(self, index: Iterable[int]) -> HealthRecords:
        """The records at ``index``, in that order."""
        return HealthRecords(tuple(self.rows[i] for i in index))

    def split(self, train_share: float = 0.8, seed: int = 0) -> tuple[HealthRecords, HealthRecords]:
        """A seeded random ``(train, test)`` split; ``train`` has ``round(share * N)``."""
        if not 0 < train_share < 1:
            raise SemcomError(f"train share must be in (0, 1), got {train_share}")
        order = np.random.default_rng(seed).permutation(len(self.rows))
        n_train = round(train_share * len(self.rows))
        return self.subset(order[:n_train].tolist()), self.subset(order[n_train:].tolist())

    def to_csv(self, path: str | Path) -> None:
        """Write the records with the schema's header (the loader reads them back)."""
        with Path(path).open("w", newline="", encoding="utf-8") as f:
            f.write(self.to_csv_text())

    def to_csv_text(self) -> str:
        """The records as CSV text with the schema's header."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([c.name for c in HEALTH_SCHEMA])
        for r in self.rows:
            w.writerow(["" if r[c.name] is None else r[c.name] for c in HEALTH_SCHEMA])
        return buf.getvalue()


def parse_health_csv(text: str, source: str = "CSV") -> HealthRecords:
    """Records from CSV text (see :func:`load_health_records`)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise SemcomError(f"{source} is empty") from None
    _check_columns(header, source)
    names = [h.strip() for h in header]
    rows = []
    for lineno, values in enumerate(reader, start=2):
        if not values or all(v.strip() == "" for v in values):
            continue
        if len(values) != len(names):
            raise SemcomError(
                f"{source}: row {lineno} has {len(values)} fields, the header {len(names)}"
            )
        rows.append(validate_health_row(dict(zip(names, values, strict=True)), f"row {lineno}"))
    if not rows:
        raise SemcomError(f"{source} has a header but no records")
    return HealthRecords(tuple(rows))


def load_health_records(path: str | Path) -> HealthRecords:
    """All records of a health-record CSV (UTF-8), validated; nothing partial on error.

    Args:
        path: e.g. ``../shared/data/dementia_patients_health_data.csv``.

    Raises:
        SemcomError: unreadable file, a header that is not the schema (missing and
            unexpected columns listed), or a bad value (row and column named).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SemcomError(f"no health-record file {str(p)!r}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SemcomError(f"cannot read health records {str(p)!r}: {e}") from None
    return parse_health_csv(text, source=str(p))


def _builtin_marginals() -> HealthRecords:
    """A tiny seed set spanning every level, used when no reference set is given."""
    levels: dict[str, list[str | None]] = {
        "Prescription": ["Galantamine", "Donepezil", "Memantine", "Rivastigmine", None],
        "Education_Level": ["Primary School", "Secondary School", "No School", "Diploma/Degree"],
        "Dominant_Hand": ["Left", "Right"],
        "Gender": ["Female", "Male"],
        "Family_History": ["No", "Yes"],
        "Smoking_Status": ["Current Smoker", "Former Smoker", "Never Smoked"],
        "APOE_ε4": ["Negative", "Positive"],
        "Physical_Activity": list(ACTIVITY_LEVELS),
        "Depression_Status": ["No", "Yes"],
        "Medication_History": ["No", "Yes"],
        "Nutrition_Diet": ["Low-Carb Diet", "Mediterranean Diet", "Balanced Diet"],
        "Sleep_Quality": ["Poor", "Good"],
        "Chronic_Health_Conditions": ["Diabetes", "Heart Disease", "Hypertension", "None"],
    }
    ranges: dict[str, tuple[float, float]] = {  # (low, high) of the 1,000-patient file
        "AlcoholLevel": (0.0004, 0.1999),
        "HeartRate": (60, 100),
        "BloodOxygenLevel": (90.01, 99.99),
        "BodyTemperature": (36.0, 37.5),
        "Weight": (50.07, 99.98),
        "MRI_Delay": (0.09, 59.96),
        "Dosage in mg": (1.5, 23.0),
        "Age": (60, 90),
        "Cognitive_Test_Scores": (0, 10),
        "Diabetic": (0, 1),
        "Dementia": (0, 1),
    }
    rows = []
    for i in range(20):
        t = i / 19
        row: dict[str, Value] = {}
        for c in HEALTH_SCHEMA:
            if c.kind == "category":
                opts = levels[c.name]
                row[c.name] = opts[i % len(opts)]
            else:
                lo, hi = ranges[c.name]
                v = lo + t * (hi - lo)
                row[c.name] = round(v) if c.kind in ("int", "binary") else v
        if row["Prescription"] is None:
            row["Dosage in mg"] = None
        rows.append(row)
    return HealthRecords(tuple(rows))


def synthesize_health_records(
    n: int, seed: int = 0, like: HealthRecords | None = None
) -> HealthRecords:
    """``n`` synthetic patients with ``like``'s schema and marginals (module docstring).

    Args:
        n: number of records, >= 1.
        seed: the draw's seed (same seed, same records).
        like: the reference records; default a built-in seed set spanning the file's
            ranges and levels.

    Returns:
        :class:`HealthRecords` that pass :func:`validate_health_row`.
    """
    if n < 1:
        raise SemcomError(f"number of synthetic records must be >= 1, got {n}")
    ref = like if like is not None else _builtin_marginals()
    rng = np.random.default_rng(seed)
    cols: dict[str, list[Value]] = {}
    for c in HEALTH_SCHEMA:
        if c.name in ("Prescription", "Dosage in mg"):
            continue
        values = ref.column(c.name)
        if c.kind == "float":
            ref_sorted = np.sort(np.array(values, dtype=np.float64))
            q = np.linspace(0.0, 1.0, len(ref_sorted))
            cols[c.name] = [float(v) for v in np.interp(rng.random(n), q, ref_sorted)]
        else:
            pick = rng.integers(0, len(values), n)
            cols[c.name] = [values[i] for i in pick]
    pairs = list(zip(ref.column("Prescription"), ref.column("Dosage in mg"), strict=True))
    pick = rng.integers(0, len(pairs), n)
    cols["Prescription"] = [pairs[i][0] for i in pick]
    cols["Dosage in mg"] = [pairs[i][1] for i in pick]
    return HealthRecords(tuple({c.name: cols[c.name][i] for c in HEALTH_SCHEMA} for i in range(n)))


def shift_by_activity(records: HealthRecords, strength: float) -> HealthRecords:
    """A copy whose numeric fields depend on the activity level (synthetic, for studies).

    Each numeric field except ``Dosage in mg`` is scaled to ``u`` in [0, 1] by its range
    in ``records``, then moved to ``(1 - strength) u + strength (c + u) / L`` (back in the
    field's units; integers rounded), with ``c`` the index of the record's activity level
    in :data:`ACTIVITY_LEVELS` and ``L`` their number. ``strength = 0`` leaves the
    records as they are; ``strength = 1`` gives every activity level its own disjoint
    slice of each range. Categorical fields are untouched.

    Args:
        records: the records to transform.
        strength: in [0, 1].

    Example:
        >>> recs = synthesize_health_records(30, seed=0)
        >>> shifted = shift_by_activity(recs, 1.0)
        >>> sed = [r["Age"] for r in shifted.rows if r[ACTIVITY_COLUMN] == "Sedentary"]
        >>> mod = [r["Age"] for r in shifted.rows if r[ACTIVITY_COLUMN] == "Moderate Activity"]
        >>> max(sed) <= min(mod)
        True
    """
    if not 0.0 <= strength <= 1.0:
        raise SemcomError(f"strength must be in [0, 1], got {strength}")
    if strength == 0.0:
        return HealthRecords(tuple(dict(r) for r in records.rows))
    levels = list(ACTIVITY_LEVELS)
    numeric = [c for c in HEALTH_SCHEMA if c.kind in ("float", "int") and c.name != "Dosage in mg"]
    bounds = {}
    for c in numeric:
        col = records.numeric([c.name])[:, 0]
        bounds[c.name] = (float(np.nanmin(col)), float(np.nanmax(col)))
    rows = []
    for row in records.rows:
        act = str(row[ACTIVITY_COLUMN])
        level = levels.index(act) if act in levels else 0
        new = dict(row)
        for c in numeric:
            v = row[c.name]
            if v is None:
                continue
            lo, hi = bounds[c.name]
            u = (float(v) - lo) / (hi - lo) if hi > lo else 0.0
            u = (1 - strength) * u + strength * (level + u) / len(levels)
            x = lo + u * (hi - lo)
            new[c.name] = round(x) if c.kind == "int" else x
        rows.append(new)
    return HealthRecords(tuple(rows))
