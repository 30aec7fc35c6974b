"""Evaluation: SNR sweeps, result tables and plots."""

from semcom.evaluation.sweep import (
    COLUMNS,
    RefinedCodec,
    SweepRow,
    evaluate_codec,
    read_csv,
    rows_as_json,
    sweep_codecs,
    write_csv,
)

__all__ = [
    "COLUMNS",
    "RefinedCodec",
    "SweepRow",
    "evaluate_codec",
    "read_csv",
    "rows_as_json",
    "sweep_codecs",
    "write_csv",
]
