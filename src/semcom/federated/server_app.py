"""semcom's Flower ``ServerApp``: rounds of a strategy, wireless costs, metrics, resume.

Per round ``t`` the server (1) sends the global codec to the sampled clients
(``strategy.configure_train``), (2) averages the valid replies
(``strategy.aggregate_train``; bad ones are excluded and recorded; with ``[privacy]
secagg`` steps 1-2 are one SecAgg+ round, :mod:`semcom.federated.secure_aggregation`),
(3) stops with an
error when fewer than ``fl.min_answer_fraction`` of the sampled clients answered validly,
(4) asks clients for their local scores (``configure_evaluate``), (5) scores the new
global model on the test images, (6) prices every upload with the wireless model
(Eqs. 12-14, bits measured on the received records) and (7) writes ``rounds.csv``,
``clients.csv``, ``rounds.png`` and the resumable state ``fl_state.pt`` into ``out``,
printing one progress line.

Deployment reads ``config`` (the ``fl.toml`` path) and ``out`` from the run config.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION", "1")

import torch
from flwr.app import Array, ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.supercore.differential_privacy import add_gaussian_noise_inplace, compute_stdv

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, load_fl_config
from semcom.federated.history import (
    CLIENT_FIELDS,
    ROUND_FIELDS,
    plot_rounds,
    write_csv,
)
from semcom.federated.payload import to_record
from semcom.federated.secure_aggregation import secure_train_round
from semcom.federated.strategies import DPStrategy, RobustFedAvg, make_dp
from semcom.federated.strategy_registry import STRATEGIES
from semcom.federated.wireless import WirelessModel
from semcom.federated.workload import build_model, score, test_images
from semcom.train.checkpoint import atomic_save

__all__ = ["STATE_FILE", "ServerOptions", "app", "make_server_app"]

STATE_FILE = "fl_state.pt"
FORMAT = "semcom-fl-state/1"


@dataclass(frozen=True)
class ServerOptions:
    """Where a run writes and how it reports.

    Attributes:
        out: run folder.
        resume: continue from ``out/fl_state.pt``.
        progress: print one line per round on stderr.
    """

    out: Path
    resume: bool = False
    progress: bool = True


def _print(line: str) -> None:
    from semcom.train.progress import STDERR

    STDERR.print(line, highlight=False, soft_wrap=True)


def _load_state(cfg: FLConfig, opts: ServerOptions) -> dict[str, Any] | None:
    path = opts.out / STATE_FILE
    if not path.exists():
        return None
    if not opts.resume:
        raise SemcomError(
            f"{str(opts.out)!r} already holds a federated run; pass --resume to continue "
            "it or choose another --out"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated or foreign file
        raise SemcomError(f"cannot read {str(path)!r}: {e}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise SemcomError(f"{str(path)!r} is not a semcom federated run state")
    saved = {k: dict(v) for k, v in state["config"].items() if k != "simulation"}
    now = {k: v for k, v in cfg.to_dict().items() if k != "simulation"}
    # a key the saved run does not have is an option added since: it ran with the default
    defaults = FLConfig().to_dict()
    for table, keys in saved.items():
        for key, value in defaults.get(table, {}).items():
            keys.setdefault(key, value)
    saved["fl"] = {**saved["fl"], "rounds": now["fl"]["rounds"]}  # more rounds is fine
    if saved != now:
        diff = next(
            (f"{t}.{k}" for t in now for k in now[t] if saved.get(t, {}).get(k) != now[t][k]),
            "its tables",
        )
        raise SemcomError(f"cannot resume {str(opts.out)!r}: its config differs in {diff}")
    return state


def run_server(grid: Grid, cfg: FLConfig, opts: ServerOptions) -> None:
    """The ServerApp's main loop (see the module docstring)."""
    opts.out.mkdir(parents=True, exist_ok=True)
    test = test_images(cfg)
    codec = build_model(cfg, test)
    rounds: list[dict[str, Any]] = []
    clients: list[dict[str, Any]] = []
    start = 0
    state = _load_state(cfg, opts)
    if state is not None:
        codec.load_state_dict(state["model"])
        rounds, clients, start = state["rounds"], state["clients"], int(state["round"])
        if opts.progress:
            _print(f"resuming {opts.out} after round {start}")
    reference = {k: v.clone() for k, v in codec.state_dict().items()}
    strategy_cls = STRATEGIES[cfg.fl.strategy]
    n_sampled = max(1, int(cfg.fl.clients * cfg.fl.fraction_train))
    dp = make_dp(cfg.privacy, n_sampled, cfg.fl.clients)
    if dp is not None and state is not None and "dp_clipping_norm" in state:
        dp.clipping_norm = float(state["dp_clipping_norm"])  # adaptive clipping moves it
    strategy: RobustFedAvg = strategy_cls(
        reference,
        cfg,
        dp=dp,
        fraction_train=cfg.fl.fraction_train,
        fraction_evaluate=cfg.fl.fraction_evaluate,
        min_train_nodes=1,
        min_evaluate_nodes=1 if cfg.fl.fraction_evaluate > 0 else 0,
        min_available_nodes=cfg.fl.clients,
    )
    if state is not None:
        strategy.load_extra_state(state.get("strategy", {}))
    wireless = WirelessModel(cfg.wireless, cfg.fl.clients, cfg.fl.seed)
    arrays = to_record(codec.state_dict())
    for t in range(start + 1, cfg.fl.rounds + 1):
        t0 = time.perf_counter()
        arrays = strategy.prepare_broadcast(t, arrays, torch.as_tensor(wireless.snr_db(t)))
        if cfg.privacy.secagg:
            new_arrays = secure_train_round(strategy, grid, t, arrays, cfg)
            if new_arrays is not None and strategy.dp is not None:  # client-side clipping
                new_arrays = _add_dp_noise(new_arrays, strategy.dp)
        else:
            messages = strategy.configure_train(t, arrays, ConfigRecord(), grid)
            replies = grid.send_and_receive(messages, timeout=cfg.fl.timeout_s)
            new_arrays, _ = strategy.aggregate_train(t, replies)
        report = strategy.last_round
        sampled = len(report.sampled)
        need = math.ceil(cfg.fl.min_answer_fraction * sampled)
        if new_arrays is None or len(report.accepted) < need:
            reasons = "; ".join(sorted({r for _, _, r in report.failed}))[:300]
            raise SemcomError(
                f"round {t}: only {len(report.accepted)} of {sampled} clients sent a usable "
                f"update (fl.min_answer_fraction needs {need}); failures: {reasons}. The run "
                f"is saved up to round {t - 1}: fix the cause and pass --resume"
            )
        arrays = strategy.finish_aggregate(t, new_arrays)
        codec.load_state_dict(strategy.global_state(arrays))
        local = _local_scores(strategy, grid, t, arrays, cfg)
        g = score(cfg, codec, test, cfg.data.eval_snr_db, seed=cfg.fl.seed)
        snr = wireless.snr_db(t)
        n_up = len(report.accepted)
        round_clients: list[dict[str, Any]] = []
        energy, delay, bits = 0.0, 0.0, 0
        for u in report.accepted:
            up = wireless.uplink(u.bits, float(snr[u.partition_id]), n_up)
            energy, delay, bits = energy + up.energy_j, max(delay, up.delay_s), bits + u.bits
            round_clients.append(
                {
                    "round": t,
                    "partition_id": u.partition_id,
                    "status": "ok",
                    "num_examples": u.num_examples,
                    "train_loss": u.train_loss,
                    "snr_db": up.snr_db,
                    "bits": u.bits,
                    "bandwidth_hz": up.bandwidth_hz,
                    "rate_bps": up.rate_bps,
                    "delay_s": up.delay_s,
                    "energy_j": up.energy_j,
                    **local.get(u.partition_id, {}),
                    **u.extra,
                }
            )
        for _, pid, reason in report.failed:
            round_clients.append({"round": t, "partition_id": pid, "status": reason})
        local_acc = [v["local_accuracy"] for v in local.values()]
        rounds.append(
            {
                "round": t,
                "global_loss": g.loss,
                "global_psnr_db": g.psnr_db,
                "global_accuracy": g.accuracy,
                "mean_local_accuracy": sum(local_acc) / len(local_acc) if local_acc else math.nan,
                "uplink_bits": bits,
                "energy_j": energy,
                "delay_s": delay,
                "mean_snr_db": float(snr.mean()),
                "participants": n_up,
                "failed": len(report.failed),
                "seconds": time.perf_counter() - t0,
                **strategy.round_info(),
            }
        )
        clients += round_clients
        dp_state: dict[str, Any] = {"strategy": strategy.extra_state()}
        if strategy.dp is not None:
            dp_state["dp_clipping_norm"] = strategy.dp.clipping_norm
        _save(opts.out, cfg, codec, t, rounds, clients, dp_state)
        if opts.progress:
            r = rounds[-1]
            acc = "" if math.isnan(g.accuracy) else f"  acc {100 * g.accuracy:.1f}%"
            _print(
                f"round {t}/{cfg.fl.rounds}  loss {g.loss:.4f}  PSNR {g.psnr_db:.2f} dB{acc}  "
                f"uplink {bits / 8e6:.2f} MB {energy:.3g} J  {n_up}/{sampled} ok"
                + (f", {len(report.failed)} failed" if report.failed else "")
                + f"  {r['seconds']:.1f} s"
            )


def _add_dp_noise(arrays: ArrayRecord, dp: DPStrategy) -> ArrayRecord:
    """Flower's central-DP Gaussian noise on a securely aggregated average (the clients
    clipped their updates; the DP wrapper never sees them under SecAgg+)."""
    nds = arrays.to_numpy_ndarrays()
    add_gaussian_noise_inplace(
        nds, compute_stdv(dp.noise_multiplier, dp.clipping_norm, dp.num_sampled_clients)
    )
    return ArrayRecord({k: Array(v) for k, v in zip(arrays.keys(), nds, strict=True)})


def _local_scores(
    strategy: RobustFedAvg, grid: Grid, t: int, arrays: ArrayRecord, cfg: FLConfig
) -> dict[int, dict[str, float]]:
    if cfg.fl.fraction_evaluate == 0:
        return {}
    messages = strategy.configure_evaluate(t, arrays, ConfigRecord(), grid)
    out: dict[int, dict[str, float]] = {}
    for msg in grid.send_and_receive(messages, timeout=cfg.fl.timeout_s):
        if msg.has_error():
            continue
        m = msg.content["metrics"]
        out[int(m["partition-id"])] = {  # type: ignore[arg-type]
            "local_psnr_db": float(m["local-psnr-db"]),  # type: ignore[arg-type]
            "local_accuracy": float(m["local-accuracy"]),  # type: ignore[arg-type]
        }
    return out


def _save(
    out: Path,
    cfg: FLConfig,
    codec: torch.nn.Module,
    t: int,
    rounds: list[dict[str, Any]],
    clients: list[dict[str, Any]],
    extra: dict[str, Any],
) -> None:
    atomic_save(
        {
            **extra,
            "format": FORMAT,
            "config": cfg.to_dict(),
            "model": codec.state_dict(),
            "round": t,
            "rounds": rounds,
            "clients": clients,
        },
        out / STATE_FILE,
    )
    write_csv(out / "rounds.csv", ROUND_FIELDS, rounds)
    write_csv(out / "clients.csv", CLIENT_FIELDS, clients)
    plot_rounds(out / "rounds.png", rounds, f"{cfg.fl.strategy}, {cfg.fl.clients} clients")


def make_server_app(cfg: FLConfig | None = None, opts: ServerOptions | None = None) -> ServerApp:
    """A ``ServerApp`` for ``cfg`` / ``opts`` (``None``: read ``config`` and ``out`` from
    the run config, resuming when ``out`` holds a run)."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        c = cfg if cfg is not None else load_fl_config(str(context.run_config["config"]))
        o = opts
        if o is None:
            o = ServerOptions(Path(str(context.run_config.get("out", "runs/fl"))), resume=True)
        run_server(grid, c, o)

    return app


#: Deployment entry point (``[tool.flwr.app.components] serverapp``).
app = make_server_app()
