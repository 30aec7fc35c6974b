"""A round samples every client even when the server asks before all have connected
(Flower's simulation starts the ServerApp before it registers the SuperNodes)."""

from __future__ import annotations

import pytest
import torch
from flwr.app import ConfigRecord

from semcom.errors import SemcomError
from semcom.federated.config import fl_config_from_dict
from semcom.federated.nodes import wait_for_nodes
from semcom.federated.payload import to_record
from semcom.federated.strategies import RobustFedAvg


class SlowGrid:
    """A grid whose nodes connect a few at a time: ``counts[i]`` on the i-th look."""

    def __init__(self, counts: list[int]) -> None:
        self.counts = counts
        self.looks = 0

    def get_node_ids(self) -> list[int]:
        n = self.counts[min(self.looks, len(self.counts) - 1)]
        self.looks += 1
        return [1000 + i for i in range(n)]


@pytest.mark.parametrize("phase", ["train", "evaluate"])
def test_a_round_samples_every_client_of_a_slow_start(
    phase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flwr.supercore.task_identity import TaskIdentity

    for key in ("_run_id", "_node_id", "_task_id"):  # what a ServerApp's process has set
        monkeypatch.setattr(TaskIdentity, key, 1)
    cfg = fl_config_from_dict({"fl": {"clients": 10, "timeout_s": 30}})
    reference = {"w": torch.zeros(3)}
    strategy = RobustFedAvg(
        reference, cfg, fraction_train=1.0, fraction_evaluate=1.0, min_available_nodes=10
    )
    grid = SlowGrid([3, 3, 6, 10])
    configure = strategy.configure_train if phase == "train" else strategy.configure_evaluate
    messages = list(configure(1, to_record(reference), ConfigRecord(), grid))  # type: ignore[arg-type]
    assert sorted(m.metadata.dst_node_id for m in messages) == list(range(1000, 1010))


def test_waiting_gives_up_with_a_message() -> None:
    with pytest.raises(SemcomError, match=r"only 3 of 10 clients connected within 0.05 s"):
        wait_for_nodes(SlowGrid([3]), 10, timeout_s=0.05, poll_s=0.01)  # type: ignore[arg-type]
    ids = wait_for_nodes(SlowGrid([2, 5]), 4, timeout_s=5, poll_s=0.01)  # type: ignore[arg-type]
    assert ids == [1000 + i for i in range(5)]
