"""Paper 000's content-generation layer: a small conditional text model that writes a
virtual twin's text fields from the semantics the receiver reconstructed.

The text of a record is its *note* (:func:`write_note`), one sentence per text field::

    prescription: galantamine 12 mg . medication history: yes .
    chronic condition: heart disease .

The generator (:class:`ContentGenerator`) is a word-level GRU language model conditioned
on the receiver's output for the record (:func:`conditioning`: the regenerated numeric
fields and the class probabilities of every categorical field, ``[B, D] float32``). It
learns to *verbalise* what came over the air — it never sees the transmitted record — so
its accuracy is bounded by, and reports, what the link carried.

:func:`fit_content_layer` runs the layer as paper 000 describes it: one generator trained
globally on every cluster's reconstructions, then a copy customised (fine-tuned) on each
cluster's own; :func:`content_accuracy` scores the written notes field by field against
the true records (:func:`read_note` parses a note back).

Example:
    >>> rec = {"Prescription": "Galantamine", "Dosage in mg": 12.0,
    ...        "Medication_History": "Yes", "Chronic_Health_Conditions": "Heart Disease"}
    >>> note = write_note(rec)
    >>> note
    'prescription: galantamine 12 mg . medication history: yes . chronic condition: heart disease .'
    >>> read_note(note) == {"prescription": "galantamine", "dosage": "12",
    ...                     "medication history": "yes", "chronic condition": "heart disease"}
    True
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from semcom.channels.base import Channel
from semcom.codecs.multimodal import HealthRecordCodec
from semcom.data.health import HealthRecords, Value
from semcom.errors import SemcomError

__all__ = [
    "TEXT_FIELDS",
    "ContentGenerator",
    "ContentLayer",
    "NoteVocab",
    "conditioning",
    "content_accuracy",
    "fit_content_layer",
    "note_fields",
    "read_note",
    "train_generator",
    "write_note",
]

#: The fields a note writes (the keys of :func:`read_note`).
TEXT_FIELDS = ("prescription", "dosage", "medication history", "chronic condition")
_PAD, _BOS, _EOS, _UNK = 0, 1, 2, 3
_SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
_SENTENCE = re.compile(r"(prescription|medication history|chronic condition): (.*?) \.(?= |$)")


def _text(v: Value) -> str:
    if v is None or v == "":
        return "none"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip().lower()


def write_note(record: Mapping[str, Value]) -> str:
    """A record's text fields as a note (module docstring); ``none`` where empty."""
    drug = _text(record.get("Prescription"))
    dose = "" if drug == "none" else f" {_text(record.get('Dosage in mg'))} mg"
    return (
        f"prescription: {drug}{dose} . "
        f"medication history: {_text(record.get('Medication_History'))} . "
        f"chronic condition: {_text(record.get('Chronic_Health_Conditions'))} ."
    )


def read_note(note: str) -> dict[str, str]:
    """A note's fields (:data:`TEXT_FIELDS`); a field the note lacks is ``""``."""
    out = dict.fromkeys(TEXT_FIELDS, "")
    for key, value in _SENTENCE.findall(note):
        if key == "prescription":
            m = re.fullmatch(r"(.*?)(?: (\S+) mg)?", value)
            assert m is not None  # the pattern matches any string
            out["prescription"], out["dosage"] = m.group(1), m.group(2) or ""
        else:
            out[key] = value
    if out["prescription"] == "none":
        out["dosage"] = ""
    return out


def note_fields(note: str, levels: Mapping[str, Sequence[str]]) -> dict[str, Value]:
    """The schema's text fields a written note states clearly, spelt as in ``levels``
    (each field's known values, matched case-insensitively): ``Prescription`` with
    ``Dosage in mg`` (both ``None`` for ``none``; the pair is left out unless both read),
    ``Medication_History``, ``Chronic_Health_Conditions``. A field the note garbles or
    leaves out is absent from the result (the caller keeps what it had)."""
    got = read_note(note)
    out: dict[str, Value] = {}

    def level(field: str, text: str) -> str | None:
        return next((str(v) for v in levels.get(field, ()) if str(v).lower() == text), None)

    if got["prescription"] == "none":
        out["Prescription"], out["Dosage in mg"] = None, None
    else:
        drug = level("Prescription", got["prescription"])
        try:
            dose = float(got["dosage"])
        except ValueError:
            dose = None
        if drug is not None and dose is not None:
            out["Prescription"], out["Dosage in mg"] = drug, dose
    for field, key in (
        ("Medication_History", "medication history"),
        ("Chronic_Health_Conditions", "chronic condition"),
    ):
        value = level(field, got[key])
        if value is not None:
            out[field] = value
    return out


def _words(note: str) -> list[str]:
    return note.split()


@dataclass(frozen=True)
class NoteVocab:
    """Word vocabulary of the training notes (0 pad, 1 begin, 2 end, 3 unknown)."""

    words: tuple[str, ...]

    @classmethod
    def fit(cls, notes: Sequence[str]) -> NoteVocab:
        return cls(_SPECIALS + tuple(sorted({w for n in notes for w in _words(n)})))

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, notes: Sequence[str]) -> torch.Tensor:
        """``[B, L] int64``: begin, the words, end, then padding (``L`` = longest + 2)."""
        index = {w: i for i, w in enumerate(self.words)}
        seqs = [[_BOS, *(index.get(w, _UNK) for w in _words(n)), _EOS] for n in notes]
        out = torch.zeros(len(seqs), max(map(len, seqs)), dtype=torch.int64)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = torch.tensor(s)
        return out

    def decode(self, tokens: torch.Tensor) -> list[str]:
        """``[B, L] int64`` generated tokens (no begin token) -> notes, cut at the end."""
        notes = []
        for row in tokens.tolist():
            words = []
            for t in row:
                if t in (_EOS, _PAD):
                    break
                words.append(self.words[t])
            notes.append(" ".join(words))
        return notes


def conditioning(out: Mapping[str, Any]) -> torch.Tensor:
    """The receiver's reconstruction of a batch (a :class:`HealthRecordCodec` output) as
    the generator's condition: ``[B, N + sum(levels)] float32``, the regenerated numeric
    fields (scaled to [0, 1]) then each categorical field's class probabilities."""
    parts = [out["numeric"].detach()] + [lg.detach().softmax(-1) for lg in out["logits"]]
    return torch.cat(parts, dim=-1).float()


class ContentGenerator(nn.Module):
    """Word-level GRU language model conditioned on a reconstruction.

    The condition sets the GRU's first state and is fed again at every step next to the
    previous word's embedding.

    Args:
        cond_dim: length ``D`` of the condition vector.
        vocab: the note vocabulary.
        hidden: GRU width.
        embed: word-embedding width.
    """

    def __init__(self, cond_dim: int, vocab: NoteVocab, hidden: int = 64, embed: int = 32):
        super().__init__()
        self.vocab = vocab
        self.cond_dim, self.hidden, self.embed_dim = cond_dim, hidden, embed
        self.cond = nn.Linear(cond_dim, hidden)
        self.embed = nn.Embedding(len(vocab), embed, padding_idx=_PAD)
        self.gru = nn.GRU(embed + hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(vocab))

    def config(self) -> dict[str, Any]:
        return {
            "cond_dim": self.cond_dim,
            "words": list(self.vocab.words),
            "hidden": self.hidden,
            "embed": self.embed_dim,
        }

    @classmethod
    def from_state_dict(
        cls, state_dict: dict[str, torch.Tensor], config: Mapping[str, Any]
    ) -> ContentGenerator:
        model = cls(
            int(config["cond_dim"]),
            NoteVocab(tuple(config["words"])),
            int(config["hidden"]),
            int(config["embed"]),
        )
        model.load_state_dict(state_dict)
        return model.eval()

    def _step_input(self, c: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        e = self.embed(tokens)  # [B, L, embed]
        return torch.cat([e, c.unsqueeze(1).expand(-1, e.shape[1], -1)], dim=-1)

    def forward(self, cond: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: ``cond [B, D]``, ``tokens [B, L]`` (begin ... end, padded) ->
        next-word logits ``[B, L-1, V]``."""
        c = torch.tanh(self.cond(cond))
        h, _ = self.gru(self._step_input(c, tokens[:, :-1]), c.unsqueeze(0).contiguous())
        logits: torch.Tensor = self.head(h)
        return logits

    def loss(self, cond: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Mean next-word cross-entropy (padding ignored)."""
        logits = self(cond, tokens)
        return F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten(), ignore_index=_PAD)

    @torch.no_grad()
    def generate(self, cond: torch.Tensor, max_words: int = 24) -> list[str]:
        """Greedy decoding: ``cond [B, D]`` -> ``B`` notes."""
        c = torch.tanh(self.cond(cond))
        h = c.unsqueeze(0).contiguous()
        tok = torch.full((cond.shape[0], 1), _BOS, dtype=torch.int64, device=cond.device)
        out = []
        for _ in range(max_words):
            y, h = self.gru(self._step_input(c, tok), h)
            tok = self.head(y[:, -1]).argmax(-1, keepdim=True)
            out.append(tok)
        return self.vocab.decode(torch.cat(out, dim=1))


def train_generator(
    gen: ContentGenerator,
    cond: torch.Tensor,
    notes: Sequence[str],
    epochs: int,
    lr: float = 3e-3,
    batch_size: int = 32,
    generator: torch.Generator | None = None,
) -> float:
    """Adam on :meth:`ContentGenerator.loss`; returns the last epoch's mean loss."""
    if len(notes) != cond.shape[0] or not notes:
        raise SemcomError("train_generator needs one condition per note and at least one note")
    tokens = gen.vocab.encode(notes)
    opt = torch.optim.Adam(gen.parameters(), lr=lr)
    gen.train()
    last = 0.0
    for _ in range(epochs):
        perm = torch.randperm(len(notes), generator=generator)
        total = 0.0
        for i in range(0, len(notes), batch_size):
            idx = perm[i : i + batch_size]
            loss = gen.loss(cond[idx], tokens[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach()) * len(idx)
        last = total / len(notes)
    gen.eval()
    return last


def content_accuracy(notes: Sequence[str], records: HealthRecords) -> dict[str, float]:
    """Written notes against the true records: ``field_accuracy`` (share of the
    :data:`TEXT_FIELDS` written exactly; the dosage counts only where a drug is
    prescribed), one ``<field>_accuracy`` each (spaces as ``_``), ``note_accuracy``
    (whole note exact)."""
    if len(notes) != len(records) or not notes:
        raise SemcomError("content_accuracy needs one note per record and at least one")
    hits = dict.fromkeys(TEXT_FIELDS, 0)
    counts = dict.fromkeys(TEXT_FIELDS, 0)
    exact = 0
    for note, row in zip(notes, records.rows, strict=True):
        truth_note = write_note(row)
        exact += note == truth_note
        got, truth = read_note(note), read_note(truth_note)
        for f in TEXT_FIELDS:
            if f == "dosage" and truth["prescription"] == "none":
                continue
            counts[f] += 1
            hits[f] += got[f] == truth[f]
    out = {f"{f.replace(' ', '_')}_accuracy": hits[f] / max(counts[f], 1) for f in TEXT_FIELDS}
    out["field_accuracy"] = sum(hits.values()) / max(sum(counts.values()), 1)
    out["note_accuracy"] = exact / len(notes)
    return out


@dataclass
class ContentLayer:
    """The global generator, each cluster's customised one, and their test accuracy
    (``metrics[cluster]``: :func:`content_accuracy` of the customised generator, plus
    ``global_field_accuracy`` of the global one on the same notes)."""

    global_model: ContentGenerator
    models: dict[str, ContentGenerator]
    metrics: dict[str, dict[str, float]]


def _reconstruct(
    codec: HealthRecordCodec,
    records: HealthRecords,
    channel: Channel,
    snr_db: float,
    gen: torch.Generator,
) -> torch.Tensor:
    codec.eval()
    with torch.no_grad():
        return conditioning(codec(codec.featurizer.encode(records), channel, snr_db, gen))


def fit_content_layer(
    codecs: Mapping[str, HealthRecordCodec],
    train: Mapping[str, HealthRecords],
    test: Mapping[str, HealthRecords],
    channel: Channel,
    snr_db: float | Mapping[str, float],
    *,
    epochs: int = 30,
    finetune_epochs: int = 10,
    lr: float = 3e-3,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ContentLayer:
    """Train the layer on what each cluster's link reconstructs (module docstring).

    Args:
        codecs: each cluster's codec (its receiver's reconstruction conditions the text).
        train, test: each cluster's training and test records (same keys as ``codecs``;
            ``test`` may be empty for a cluster, which then has no metrics).
        channel, snr_db: the link the records cross; SNR in dB, one for all or one per
            cluster.
        epochs: global training; finetune_epochs: each cluster's customisation.
        lr: Adam learning rate; seed: initialisation, shuffling and channel noise.
        progress: called with one line per stage.
    """
    if not codecs or set(codecs) != set(train):
        raise SemcomError("fit_content_layer needs training records for every cluster")
    g = torch.Generator().manual_seed(seed)
    snr = {c: snr_db if isinstance(snr_db, float | int) else snr_db[c] for c in codecs}
    conds = {c: _reconstruct(codecs[c], train[c], channel, snr[c], g) for c in codecs}
    notes = {c: [write_note(r) for r in train[c].rows] for c in codecs}
    all_notes = [n for c in codecs for n in notes[c]]
    vocab = NoteVocab.fit(all_notes)
    dims = {v.shape[1] for v in conds.values()}
    if len(dims) != 1:
        raise SemcomError("the clusters' codecs reconstruct different fields")
    torch.manual_seed(seed)
    global_model = ContentGenerator(dims.pop(), vocab)
    train_generator(
        global_model,
        torch.cat(list(conds.values())),
        all_notes,
        epochs,
        lr,
        generator=g,
    )
    if progress is not None:
        progress(f"content layer: global generator trained ({epochs} epochs)")
    models, metrics = {}, {}
    for c in codecs:
        model = copy.deepcopy(global_model)
        train_generator(model, conds[c], notes[c], finetune_epochs, lr, generator=g)
        models[c] = model
        if len(test.get(c, ())) == 0:
            continue
        cond_test = _reconstruct(codecs[c], test[c], channel, snr[c], g)
        m = content_accuracy(model.generate(cond_test), test[c])
        m["global_field_accuracy"] = content_accuracy(global_model.generate(cond_test), test[c])[
            "field_accuracy"
        ]
        metrics[c] = m
        if progress is not None:
            progress(f"content layer: {c} customised, field accuracy {m['field_accuracy']:.3f}")
    return ContentLayer(global_model, models, metrics)
