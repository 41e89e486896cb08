"""A real multi-node Ray cluster on this host: a head and two worker nodes, each its own
``ray start --block`` process (own session, temp dir and ports, token authentication
with a token file of its own), a run joined with ``--address``, and one worker node killed
while a trial runs on it. The run must still end with the table of an uninterrupted --local
run: no row lost, none duplicated, every value equal; run.json says where each attempt ran.

Only processes this module started are stopped (by session id: each ``ray start`` leads a
session of its own); ``ray stop`` is never used, because it would stop every Ray instance on
the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import uniformgap
from uniformgap.experiments import load_config, plan_trials, run_experiment

RAY_CLI = shutil.which("ray", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
LABEL = "uniformgap-test"  # node label naming the node (head, w1, w2) in the trials' node records

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(RAY_CLI is None, reason="the `ray` CLI is not installed (pip install 'ray[tune]')"),
]

CONFIG = {
    "name": "tiny-cluster", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
    "n_samples": [16, 32, 64], "seeds": [0, 1],
    # long enough (a few seconds per trial on a busy machine) to kill a node during a trial
    "student": {"depth": 3, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 400, "batch_size": 0.25},
    "evaluation": {"checkpoints": 4, "test_points": 1024, "val_points": 256, "chunk_size": 1024},
    "execution": {"cpus_per_trial": 1, "max_failures": 2},
    "grid": {"student.width": [4, 8]},
}
START_TIMEOUT_S = 180  # a node's `ray start` on a loaded 2-core machine
RUN_TIMEOUT_S = 420  # the whole run on the cluster, node loss and retry included


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _text(path: Path) -> str:
    return path.read_text().strip() if path.is_file() else ""


def _wait(what: str, ready, timeout: float, check=None):
    """Poll ``ready()`` until it returns something truthy; ``check()`` raises early on a dead process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        if check is not None:
            check()
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


class LocalCluster:
    """Ray nodes as ``ray start --block`` processes, each leading its own session."""

    def __init__(self, root: Path):
        self.root = root
        token = root / "auth_token"
        token.write_text(secrets.token_hex(32))
        env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_AUTH_TOKEN")}
        # workers import uniformgap from this checkout; token authentication, as documented in README
        src = str(Path(uniformgap.__file__).parents[1])
        env.update(PYTHONPATH=os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")])),
                   RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token), RAY_USAGE_STATS_ENABLED="0")
        self.env = env
        self.nodes: dict[str, subprocess.Popen] = {}
        self.address: str | None = None

    def start(self, name: str) -> None:
        head = self.address is None
        # Ray replaces 127.0.0.1 by this host's own address (services.resolve_ip_for_localhost)
        # and refuses loopback-only multi-node clusters; every port is chosen free so that other
        # Ray instances on this machine are not disturbed
        args = [RAY_CLI, "start", "--block", "--num-cpus", "1", "--num-gpus", "0",
                "--node-ip-address", "127.0.0.1", "--temp-dir", str(self.root / name),
                "--labels", f"{LABEL}={name}", "--object-store-memory", str(80 * 2**20),
                *[x for flag in ("--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
                                 "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port")
                  for x in (flag, str(_free_port()))]]
        if head:
            args += ["--head", "--port", str(_free_port()), "--include-dashboard", "false",
                     "--dashboard-port", str(_free_port()), "--ray-client-server-port", str(_free_port())]
        else:
            args += ["--address", self.address]
        log = open(self.root / f"{name}.log", "w")
        self.nodes[name] = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def wait_started(self, name: str) -> None:
        log, address = self.root / f"{name}.log", self.root / name / "ray_current_cluster"
        # the head writes its address file after printing that it started
        _wait(f"ray node {name} (log {log})",
              lambda: "Ray runtime started" in log.read_text() and (self.address or _text(address)),
              START_TIMEOUT_S, check=lambda: self._alive(name))
        if self.address is None:
            self.address = _text(address)

    def _alive(self, name: str) -> None:
        if self.nodes[name].poll() is not None:
            raise RuntimeError(f"ray node {name} exited: {(self.root / f'{name}.log').read_text()[-2000:]}")

    def kill(self, name: str) -> None:
        """The node is lost, as when its machine dies: SIGKILL to every process of its session.
        (Ray puts each worker in a process group of its own but leaves it in the session; a worker
        orphaned by its raylet lives on for seconds and can still finish its trial.)"""
        _kill_sessions({self.nodes[name].pid})
        self.nodes[name].wait(timeout=30)

    def stop(self) -> list[int]:
        """Kill every process this cluster started; returns PIDs that survived (none expected)."""
        sessions = {p.pid for p in self.nodes.values()}
        left = _kill_sessions(sessions)
        for proc in self.nodes.values():
            proc.wait(timeout=30)
        return left


def _session_members(sessions: set[int]) -> list[int]:
    """Live processes whose session id is in ``sessions`` (each node's `ray start` leads its own)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in sessions and fields[0] != "Z":  # after "(comm)": state ppid pgrp session
            pids.append(int(stat.parent.name))
    return pids


def _kill_sessions(sessions: set[int]) -> list[int]:
    """SIGKILL every process of ``sessions`` until none is left (or 30 s); returns the survivors."""
    def gone() -> bool:
        pids = _session_members(sessions)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return not pids

    try:
        _wait("processes of the killed Ray nodes gone", gone, 30)
    except TimeoutError:
        pass
    return _session_members(sessions)


@pytest.fixture
def cluster():
    root = Path(tempfile.mkdtemp(prefix="ugc", dir="/tmp"))  # short: Unix socket paths <= 107 chars
    c = LocalCluster(root)
    try:
        yield c
    finally:
        left = c.stop()
        shutil.rmtree(root, ignore_errors=True)
        assert not left, f"processes of the test cluster survived: {left}"


def table(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns="wall_time_s")


def _node_of(attempt: dict) -> str:
    return attempt.get("labels", {}).get(LABEL, "?")


def test_killing_a_worker_node_mid_run_loses_and_duplicates_nothing(tmp_path, cluster, one_thread):
    cluster.start("head")
    ref = run_experiment(load_config(CONFIG), out=tmp_path / "local", executor="local", progress=False)
    cluster.wait_started("head")
    for name in ("w1", "w2"):
        cluster.start(name)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    run = [sys.executable, "-m", "uniformgap", "run", str(config), "--address", cluster.address, "--json"]

    # while the workers start: a driver without RAY_AUTH_MODE, and one with a wrong token, are refused
    # (Ray retries a refused connection RAY_NUM_REDIS_GET_RETRIES = 20 times, 1 s apart: 2 here)
    fast = {**cluster.env, "RAY_NUM_REDIS_GET_RETRIES": "2"}
    no_mode = {k: v for k, v in fast.items() if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH")}
    wrong = {**fast, "RAY_AUTH_TOKEN": secrets.token_hex(32)}  # RAY_AUTH_TOKEN comes before the token file
    refused = {what: subprocess.Popen([*run, "--out", str(tmp_path / what)], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
               for what, env in (("no-mode", no_mode), ("wrong-token", wrong))}
    outputs = {what: p.communicate(timeout=START_TIMEOUT_S) + (p.returncode,) for what, p in refused.items()}
    a = cluster.address
    assert outputs["no-mode"][0] == "" and outputs["no-mode"][2] == 2
    assert outputs["no-mode"][1].strip().splitlines()[-1] == (
        f"uniformgap run: error: `--address` {a}: the cluster requires token authentication; set RAY_AUTH_MODE=token "
        "with the cluster's token in ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN "
        f"(e.g. RAY_AUTH_MODE=token uniformgap run ... --address {a})")
    assert outputs["wrong-token"][0] == "" and outputs["wrong-token"][2] == 2
    assert outputs["wrong-token"][1].strip().splitlines()[-1] == (
        f"uniformgap run: error: `--address` {a}: the cluster refused this token; use the cluster's token "
        "(RAY_AUTH_TOKEN, the file in RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token; it is the head's "
        "`ray get-auth-token`)")

    for name in ("w1", "w2"):
        cluster.wait_started(name)
    run_dir = tmp_path / "cluster"
    driver_log = open(tmp_path / "driver.log", "w")
    driver = subprocess.Popen(
        [*run, "--out", str(run_dir)],
        env=cluster.env, stdout=subprocess.PIPE, stderr=driver_log, stdin=subprocess.DEVNULL,
        start_new_session=True, text=True,
    )
    try:
        trials = run_dir / "trials"

        def running_on_a_worker():
            """A trial mid-run (first checkpoint written, not done) whose current attempt is on a
            worker node, once some trial has finished."""
            if driver.poll() is not None:
                raise RuntimeError(f"driver exited early: {(tmp_path / 'driver.log').read_text()[-2000:]}")
            if not list(trials.glob("*/done.json")):
                return None
            for tdir in trials.iterdir():
                nodes = tdir / "nodes.json"
                if (tdir / "rows.parquet").is_file() and not (tdir / "done.json").is_file() and nodes.is_file():
                    node = _node_of(json.loads(nodes.read_text())[-1])
                    if node in ("w1", "w2"):
                        return tdir.name, node

        victim, lost = _wait("a trial running on a worker node", running_on_a_worker, RUN_TIMEOUT_S)
        cluster.kill(lost)
        killed_at = time.time()
        out, _ = driver.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if driver.poll() is None:
            _kill_sessions({driver.pid})
            driver.wait()
        driver_log.close()
    assert driver.returncode == 0, (tmp_path / "driver.log").read_text()[-3000:]
    result = json.loads(out)
    assert result["status"] == "complete" and result["errors"] == {}

    # the table of the uninterrupted local run: 0 lost, 0 duplicated, values equal
    got = pd.read_parquet(run_dir / "results.parquet")
    key = ["trial_id", "teacher", "seed", "epoch"]
    assert not got.duplicated(key).any()
    expected_rows = sum(len(s.members) * len(s.checkpoints) for s in plan_trials(load_config(CONFIG)))
    assert len(got) == len(ref.table) == expected_rows
    pd.testing.assert_frame_equal(table(got), table(ref.table), check_exact=True)

    # run.json: where each attempt ran; the victim was retried on a node that was still alive
    nodes = json.loads((run_dir / "run.json").read_text())["nodes"]
    assert set(nodes) == {s.trial_id for s in plan_trials(load_config(CONFIG))}
    attempts = [_node_of(a) for a in nodes[victim]]
    assert len(attempts) >= 2 and attempts[0] == lost and attempts[-1] != lost, nodes[victim]
    ran_on = {_node_of(a) for per_trial in nodes.values() for a in per_trial}
    assert ran_on <= {"head", "w1", "w2"}
    assert all(_node_of(a) != lost for per in nodes.values() for a in per if a["started"] > killed_at)
    assert all(a["node_id"] and a["host"] == socket.gethostname() for per in nodes.values() for a in per)
    local_nodes = json.loads((tmp_path / "local" / "run.json").read_text())["nodes"]
    assert all(len(per) == 1 and per[0]["host"] == socket.gethostname() for per in local_nodes.values())
