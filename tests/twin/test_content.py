"""The content-generation layer: notes and their parsing, the generator, the global then
customised training, and its accuracy."""

from __future__ import annotations

import pytest
import torch

from semcom.codecs.multimodal import CATEGORICAL_COLUMNS, HealthFeaturizer, HealthRecordCodec
from semcom.data.health import ACTIVITY_COLUMN, HealthRecords, synthesize_health_records
from semcom.errors import SemcomError
from semcom.registry import create_channel
from semcom.twin.content import (
    TEXT_FIELDS,
    ContentGenerator,
    NoteVocab,
    content_accuracy,
    fit_content_layer,
    note_fields,
    read_note,
    train_generator,
    write_note,
)

RECORDS = synthesize_health_records(120, seed=4)


@pytest.mark.parametrize("i", range(0, 120, 7))
def test_a_note_reads_back_to_its_record(i: int) -> None:
    row = RECORDS.rows[i]
    got = read_note(write_note(row))
    assert set(got) == set(TEXT_FIELDS)
    if row["Prescription"] is None:
        assert (got["prescription"], got["dosage"]) == ("none", "")
    else:
        assert got["prescription"] == str(row["Prescription"]).lower()
        assert float(got["dosage"]) == float(row["Dosage in mg"])  # type: ignore[arg-type]
    assert got["medication history"] == str(row["Medication_History"]).lower()
    assert got["chronic condition"] == str(row["Chronic_Health_Conditions"]).lower()


def test_note_fields_spell_the_schema_and_leave_out_what_is_garbled() -> None:
    feat = HealthFeaturizer.fit(RECORDS)
    levels = dict(zip(CATEGORICAL_COLUMNS, feat.levels, strict=True))
    row = next(r for r in RECORDS.rows if r["Prescription"] is not None)
    fields = note_fields(write_note(row), levels)
    assert fields == {
        "Prescription": row["Prescription"],
        "Dosage in mg": float(row["Dosage in mg"]),  # type: ignore[arg-type]
        "Medication_History": row["Medication_History"],
        "Chronic_Health_Conditions": row["Chronic_Health_Conditions"],
    }
    none = note_fields("prescription: none . medication history: maybe .", levels)
    assert none == {"Prescription": None, "Dosage in mg": None}
    garbled = note_fields("prescription: aspirin 3 mg . chronic condition: .", levels)
    assert garbled == {}


def test_vocab_round_trip_and_unknown_words() -> None:
    notes = [write_note(r) for r in RECORDS.rows[:20]]
    vocab = NoteVocab.fit(notes)
    tokens = vocab.encode(notes)
    assert tokens.dtype == torch.int64
    assert tokens.shape[0] == 20
    assert vocab.decode(tokens[:, 1:]) == notes  # drop the begin token
    assert vocab.decode(vocab.encode(["prescription: zzz ."])[:, 1:]) == ["prescription: <unk> ."]


def _oracle_condition(records: HealthRecords, feat: HealthFeaturizer) -> torch.Tensor:
    """A perfect reconstruction: the true fields as the receiver's output."""
    b = feat.encode(records)
    onehots = [
        torch.nn.functional.one_hot(b.labels[:, j].clamp_min(0), len(lv)).float()
        for j, lv in enumerate(feat.levels)
    ]
    return torch.cat([b.numeric, *onehots], dim=-1)


def test_the_generator_learns_to_write_what_it_is_given() -> None:
    records = synthesize_health_records(400, seed=5)
    feat = HealthFeaturizer.fit(records)
    train, test = records.split(0.8, seed=0)
    notes = [write_note(r) for r in train.rows]
    torch.manual_seed(0)
    gen = ContentGenerator(_oracle_condition(train, feat).shape[1], NoteVocab.fit(notes))
    before = content_accuracy(gen.generate(_oracle_condition(test, feat)), test)
    loss = train_generator(
        gen, _oracle_condition(train, feat), notes, epochs=30, generator=torch.Generator()
    )
    after = content_accuracy(gen.generate(_oracle_condition(test, feat)), test)
    assert loss < 0.3
    assert before["field_accuracy"] < 0.5
    # categorical fields are given exactly; the dose is regressed from a scaled number
    assert after["medication_history_accuracy"] > 0.9
    assert after["chronic_condition_accuracy"] > 0.9
    assert after["prescription_accuracy"] > 0.9
    assert after["dosage_accuracy"] > 0.5
    assert 0 <= after["note_accuracy"] <= after["field_accuracy"] <= 1


def test_fit_content_layer_trains_global_then_customised_generators() -> None:
    train, test = RECORDS.split(0.75, seed=1)
    feat = HealthFeaturizer.fit(train)
    torch.manual_seed(0)
    codec = HealthRecordCodec(feat, k=8)
    names = sorted(set(train.column(ACTIVITY_COLUMN)))

    def by(recs: HealthRecords, n: str) -> HealthRecords:
        return recs.subset([i for i, a in enumerate(recs.column(ACTIVITY_COLUMN)) if a == n])

    lines: list[str] = []
    layer = fit_content_layer(
        dict.fromkeys(names, codec),
        {n: by(train, n) for n in names},
        {n: by(test, n) for n in names},
        create_channel("awgn"),
        {n: 10.0 for n in names},
        epochs=3,
        finetune_epochs=2,
        progress=lines.append,
    )
    assert set(layer.models) == set(layer.metrics) == set(names)
    assert len(lines) == 1 + len(names)
    g = dict(layer.global_model.named_parameters())
    for model in layer.models.values():
        assert any(not torch.equal(p, g[k]) for k, p in model.named_parameters())
    for m in layer.metrics.values():
        assert 0 <= m["field_accuracy"] <= 1
        assert 0 <= m["global_field_accuracy"] <= 1
    with pytest.raises(SemcomError, match="every cluster"):
        fit_content_layer({"a": codec}, {"b": train}, {}, create_channel("awgn"), 10.0)


def test_content_accuracy_counts_fields() -> None:
    recs = RECORDS.subset([0, 1])
    notes = [write_note(r) for r in recs.rows]
    assert content_accuracy(notes, recs)["note_accuracy"] == 1.0
    wrong = ["prescription: none . medication history: . chronic condition: ."] * 2
    m = content_accuracy(wrong, recs)
    assert m["medication_history_accuracy"] == 0.0
    assert m["note_accuracy"] == 0.0
    with pytest.raises(SemcomError, match="one note per record"):
        content_accuracy(notes[:1], recs)
