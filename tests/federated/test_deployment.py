"""Flower deployment mode with Flower's own executables, on 127.0.0.1.

A ``flower-superlink`` and two ``flower-supernode`` processes run the Flower App of
``examples/fl/deploy`` (semcom's ServerApp and ClientApp), submitted with ``flwr run``; a
second test checks that a SuperLink with ``--enable-supernode-auth`` refuses a SuperNode
whose public key was not registered with ``flwr supernode register``.

Every process gets its own ``FLWR_HOME`` under ``tmp_path`` (Flower 1.41 keeps the CLI's
SuperLink connections in ``$FLWR_HOME/config.toml`` and installs the app there) and
``FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION=1`` (else Flower runs ``uv sync``).
"""

from __future__ import annotations

import csv
import datetime
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
APP_DIR = Path(__file__).resolve().parents[2] / "examples" / "fl" / "deploy"
EXECUTABLES = ("flower-superlink", "flower-supernode", "flwr")
RUN_TIMEOUT_S = 420.0  # two rounds take ~2.5 min on a loaded 2-core machine
TINY_CONFIG = """\
[fl]
rounds = 2
clients = 2
min_answer_fraction = 0.5
[model]
codec_options = {width = 8}
[data]
spec = "patches:16"
partition = "iid"
eval_images = 32
[train]
batch_size = 64
"""


def _exe(name: str) -> str:
    return str(BIN / name)


@pytest.fixture(autouse=True)
def _need_flower_executables() -> None:
    missing = [n for n in EXECUTABLES if not (BIN / n).exists()]
    if missing:
        pytest.skip(f"Flower executables not found in {BIN}: {', '.join(missing)}")


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (held open together while chosen)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLWR_INTERNAL_")}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # SuperExec is found on PATH
            "FLWR_HOME": str(home),
            "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
            "FLWR_DISABLE_UPDATE_CHECK": "1",
            "FLWR_TELEMETRY_ENABLED": "0",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "SEMCOM_CLIENT_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class Processes:
    """The processes a test started, each logging to its own file; stops only those."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def start(self, name: str, cmd: list[str], home: Path) -> subprocess.Popen[bytes]:
        with self.log(name).open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_env(home),
                cwd=self.root,
            )
        self.procs[name] = proc
        return proc

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.log(name)
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {name} (rc={self.procs[name].poll()}) ---\n{text[-chars:]}"

    def tails(self) -> str:
        return "\n".join(self.tail(n) for n in self.procs)

    def stop(self) -> None:
        """Terminate, wait, and kill if needed: supernodes and clients first, link last."""
        for name in sorted(self.procs, key=lambda n: n == "superlink"):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    p = Processes(tmp_path)
    try:
        yield p
    finally:
        p.stop()


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _write_flower_config(home: Path, name: str, port: int, root_cert: Path | None) -> None:
    """A Flower 1.41 config file with one SuperLink connection, the default one."""
    conn = f'address = "127.0.0.1:{port}"\n'
    conn += f'root-certificates = "{root_cert}"\n' if root_cert else "insecure = true\n"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "{name}"\n\n[superlink.{name}]\n{conn}', encoding="utf-8"
    )


def _rounds(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_deployment_two_supernodes(tmp_path: Path, procs: Processes) -> None:
    config = tmp_path / "fl.toml"
    config.write_text(TINY_CONFIG, encoding="utf-8")
    out = tmp_path / "out"
    link_port, *node_ports = _free_ports(3)

    link = procs.start(
        "superlink",
        [
            _exe("flower-superlink"),
            "--insecure",
            "--disable-runtime-dependency-installation",
            "--host",
            "127.0.0.1",
            "--port",
            str(link_port),
        ],
        tmp_path / "home-superlink",
    )
    _wait_for_port(link_port, link)
    for i, port in enumerate(node_ports):
        procs.start(
            f"supernode-{i}",
            [
                _exe("flower-supernode"),
                "--insecure",
                "--superlink",
                f"127.0.0.1:{link_port}",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--node-config",
                f"partition-id={i} num-partitions=2",
            ],
            tmp_path / f"home-supernode-{i}",
        )

    cli_home = tmp_path / "home-cli"
    _write_flower_config(cli_home, "local-deploy", link_port, None)
    run = procs.start(
        "flwr-run",
        [
            _exe("flwr"),
            "run",
            str(APP_DIR),
            "local-deploy",
            "--run-config",
            f"config='{config}' out='{out}'",
            "--stream",
        ],
        cli_home,
    )

    deadline = time.monotonic() + RUN_TIMEOUT_S
    rows = _rounds(out / "rounds.csv")
    while len(rows) < 2:
        dead = [n for n, p in procs.procs.items() if n != "flwr-run" and p.poll() is not None]
        assert not dead, f"{dead} exited during the run\n{procs.tails()}"
        if run.poll() is not None:  # the stream ends with the run: give the file a moment
            time.sleep(2)
            rows = _rounds(out / "rounds.csv")
            assert len(rows) >= 2, f"run ended with {len(rows)} rounds\n{procs.tails()}"
            break
        assert time.monotonic() < deadline, f"no 2 rounds in {RUN_TIMEOUT_S} s\n{procs.tails()}"
        time.sleep(2)
        rows = _rounds(out / "rounds.csv")

    assert [int(r["round"]) for r in rows] == [1, 2], procs.tails()
    assert [int(r["participants"]) for r in rows] == [2, 2], procs.tails()
    assert [int(r["failed"]) for r in rows] == [0, 0], procs.tails()
    assert "Successfully started run" in procs.log("flwr-run").read_text(errors="replace")


def _write_tls_and_node_keys(d: Path) -> None:
    """A CA, a server certificate for 127.0.0.1 and two SuperNode key pairs (P-384, SSH)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    begin, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "semcom test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP384R1())
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(end)
        .add_extension(san, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (d / "ca.crt").write_bytes(ca.public_bytes(pem))
    (d / "server.pem").write_bytes(cert.public_bytes(pem))
    (d / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    for name in ("registered", "stranger"):
        k = ec.generate_private_key(ec.SECP384R1())
        (d / f"{name}_key").write_bytes(
            k.private_bytes(pem, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        )
        (d / f"{name}_key.pub").write_bytes(
            k.public_key().public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            )
        )


def test_supernode_auth_refuses_unregistered_key(tmp_path: Path, procs: Processes) -> None:
    _write_tls_and_node_keys(tmp_path)
    link_port, port_ok, port_bad = _free_ports(3)
    ca = tmp_path / "ca.crt"

    link = procs.start(
        "superlink",
        [
            _exe("flower-superlink"),
            "--ssl-ca-certfile",
            str(ca),
            "--ssl-certfile",
            str(tmp_path / "server.pem"),
            "--ssl-keyfile",
            str(tmp_path / "server.key"),
            "--enable-supernode-auth",
            "--disable-runtime-dependency-installation",
            "--host",
            "127.0.0.1",
            "--port",
            str(link_port),
        ],
        tmp_path / "home-superlink",
    )
    _wait_for_port(link_port, link)

    cli_home = tmp_path / "home-cli"
    _write_flower_config(cli_home, "local-auth", link_port, ca)
    cli = [_exe("flwr"), "supernode"]
    reg = subprocess.run(
        [*cli, "register", str(tmp_path / "registered_key.pub"), "local-auth", "--format", "json"],
        capture_output=True,
        text=True,
        env=_env(cli_home),
        timeout=120,
    )
    assert reg.returncode == 0, reg.stdout + reg.stderr
    node_id = str(json.loads(reg.stdout[reg.stdout.index("{") :])["node-id"])

    def supernode(name: str, port: int) -> subprocess.Popen[bytes]:
        return procs.start(
            f"supernode-{name}",
            [
                _exe("flower-supernode"),
                "--root-certificates",
                str(ca),
                "--superlink",
                f"127.0.0.1:{link_port}",
                "--auth-supernode-private-key",
                str(tmp_path / f"{name}_key"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--max-retries",
                "3",
            ],
            tmp_path / f"home-supernode-{name}",
        )

    ok = supernode("registered", port_ok)
    bad = supernode("stranger", port_bad)

    try:
        rc = bad.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the unregistered SuperNode was not refused\n{procs.tails()}")
    assert rc != 0, procs.tails()
    assert "Failed to activate SuperNode" in procs.log("supernode-stranger").read_text(
        errors="replace"
    ), procs.tails()

    # The registered SuperNode is let in: it stays up and the SuperLink lists it online.
    deadline = time.monotonic() + 120
    status = ""
    while status != "online":
        assert ok.poll() is None, procs.tails()
        assert time.monotonic() < deadline, f"registered SuperNode is {status!r}\n{procs.tails()}"
        time.sleep(2)
        ls = subprocess.run(
            [*cli, "ls", "local-auth", "--format", "json"],
            capture_output=True,
            text=True,
            env=_env(cli_home),
            timeout=120,
        )
        assert ls.returncode == 0, ls.stdout + ls.stderr
        nodes = json.loads(ls.stdout[ls.stdout.index("{") :])["nodes"]
        status = next((n["status"] for n in nodes if str(n["node-id"]) == node_id), "")
    assert len(nodes) == 1, nodes  # the stranger never became a node
