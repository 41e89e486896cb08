"""Runs at a URI: a local S3-compatible server (moto), no cloud account.

A run to s3:// equals a run to a local directory, resumes only the trial whose done.json is
gone, and is analysed and reported from the URI; trials write only to the store (a worker sees
no driver directory); a superseded attempt stops without writing; mistakes are one line, before
anything is written.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from io import BytesIO

import pandas as pd
import pytest

from _cli import run_cli
from uniformgap import InputError, analysis
from uniformgap._storage import RunStore, cache_dir, is_uri
from uniformgap.analysis import load_results
from uniformgap.experiments import load_config, load_run, plan_trials, resume_run, run_experiment

moto_server = pytest.importorskip(
    "moto.server", reason="moto (the `test-s3` extra, installed by `make test`) runs the local S3 server")

CONFIG = {
    "name": "s3", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 2, "width": 4},
    "n_samples": [8, 16], "seeds": [0],
    "student": {"depth": 2, "width": 8, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 20, "batch_size": 0.5},
    "evaluation": {"checkpoints": 2, "test_points": 512, "val_points": 128, "chunk_size": 512},
}
KEYS = ["config_id", "n_samples", "teacher", "seed", "epoch"]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on 127.0.0.1 (a free port) with dummy credentials."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch, tmp_path):
    """An empty bucket (its name is returned); the cache under tmp_path."""
    from pyarrow import fs as pafs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("UNIFORMGAP_CACHE", str(tmp_path / "cache"))
    bucket = f"b{len(os.listdir(tmp_path.parent))}-{tmp_path.name[-12:]}".lower().replace("_", "-")
    pafs.S3FileSystem(allow_bucket_creation=True, endpoint_override=s3_endpoint).create_dir(bucket)
    return bucket


def _attempts(store: RunStore, trial_id: str) -> list[dict]:
    return json.loads(store.read_bytes(f"trials/{trial_id}/nodes.json"))


def test_a_run_to_s3_equals_a_local_run_resumes_one_trial_and_analyses(s3, tmp_path, one_thread, capsys, monkeypatch):
    uri = f"s3://{s3}/runs/tiny"
    run = run_experiment(load_config(CONFIG), out=uri, executor="local", progress=False)
    ref = run_experiment(load_config(CONFIG), out=tmp_path / "ref", executor="local", progress=False)
    assert run.status == "complete" and run.uri == uri and run.location == uri
    assert len(run.table) == 2 * 2 * 2  # m x teachers x checkpoints
    pd.testing.assert_frame_equal(run.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"),
                                  check_exact=True)
    store = RunStore.connect(uri)
    stored = pd.read_parquet(BytesIO(store.read_bytes("results.parquet")))
    pd.testing.assert_frame_equal(stored, run.table)
    assert json.loads(store.read_bytes("run.json"))["status"] == "complete"

    # a trial whose done.json is gone is the only one that runs again (from its checkpoint)
    ids = [s.trial_id for s in plan_trials(load_config(CONFIG))]
    store.delete(f"trials/{ids[1]}/done.json")
    resumed = resume_run(uri, executor="local", progress=False)
    assert resumed.status == "complete"
    assert [len(_attempts(store, t)) for t in ids] == [1, 2]
    pd.testing.assert_frame_equal(resumed.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"),
                                  check_exact=True)
    assert not resumed.table.duplicated(KEYS).any()

    # readers take the URI: the API, analyze and report (whose files go next to the run)
    table, config = load_run(uri)
    pd.testing.assert_frame_equal(table, resumed.table)
    code, out, err = run_cli(["analyze", uri, "--bootstrap", "0", "--json"], capsys)
    assert code == 0, err
    assert {e["metric"] for e in json.loads(out)["minimax"]} >= {"l1", "l2", "linf"}
    assert json.loads(out)["run_dir"] == uri
    code, out, err = run_cli(["audit", uri, "--samples", "8", "--teacher", "0", "--train-seed", "0",
                              "--mc-points", "1000", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["a"] == f"student gd m=8 teacher 0 seed 0 epoch {CONFIG['student']['epochs']}"
    # report: the HTML itself is test_report's (its figures take seconds); here, where it goes
    written = []

    def write_report(run, out, *, config, figures_dir):
        from uniformgap._atomic import write_text_atomic

        written.append(run.run_dir)
        write_text_atomic(run.run_dir / "figures" / "fig.png", "png")
        return write_text_atomic(run.run_dir / "report.html", f"<html>{len(run.table)} rows</html>")

    monkeypatch.setattr(analysis, "write_report", write_report)
    code, out, err = run_cli(["report", uri, "--bootstrap", "0"], capsys)
    assert code == 0, err
    assert out.strip() == f"{uri}/report.html" and written == [cache_dir(uri)]
    assert store.read_bytes("report.html") == b"<html>8 rows</html>" and store.exists("figures/fig.png")


def test_a_failed_trial_at_a_uri_reports_its_error_and_a_resume_clears_it(s3, tmp_path, monkeypatch, one_thread):
    from uniformgap.experiments import _remote

    uri = f"s3://{s3}/flaky"
    real, broken = _remote.run_trial, plan_trials(load_config(CONFIG))[1].trial_id

    def fails_after_first_checkpoint(spec, run_dir, *, report=None):
        def then_fail(metrics):
            report(metrics)
            raise RuntimeError("simulated node failure")

        return real(spec, run_dir, report=then_fail if spec.trial_id == broken else report)

    monkeypatch.setattr(_remote, "run_trial", fails_after_first_checkpoint)
    first = run_experiment(load_config(CONFIG), out=uri, executor="local", progress=False)
    assert first.status == "partial" and first.errors == {broken: "RuntimeError: simulated node failure"}
    store = RunStore.connect(uri)
    assert store.read_bytes(f"trials/{broken}/error.txt") == b"RuntimeError: simulated node failure\n"
    retries = load_config(CONFIG).execution.max_failures  # each retry continues from the store's checkpoint
    assert len(_attempts(store, broken)) == 1 + retries and not store.exists(f"trials/{broken}/done.json")

    monkeypatch.setattr(_remote, "run_trial", real)
    second = resume_run(uri, executor="local", progress=False)
    ref = run_experiment(load_config(CONFIG), out=tmp_path / "ref", executor="local", progress=False)
    assert second.status == "complete" and second.errors == {}
    assert not store.exists(f"trials/{broken}/error.txt")
    assert not (second.run_dir / "trials" / broken / "error.txt").exists()
    pd.testing.assert_frame_equal(second.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"),
                                  check_exact=True)


def test_a_trial_writes_only_to_the_store(s3, tmp_path, monkeypatch, one_thread):
    """What a worker node does: no driver directory, no cache; it reads teachers from the store
    and leaves its rows, checkpoint and students there, done.json among them."""
    from uniformgap.experiments._remote import run_attempt
    from uniformgap.experiments._targets import build_targets, save_targets

    uri = f"s3://{s3}/worker"
    spec = plan_trials(load_config(CONFIG))[0]
    driver = tmp_path / "driver"
    save_targets(build_targets(spec.experiment_config()), driver / spec.teachers_dir, spec.experiment_config())
    store = RunStore.connect(uri)
    store.put(driver, spec.teachers_dir)
    monkeypatch.setenv("UNIFORMGAP_CACHE", str(tmp_path / "no-cache"))
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    run_attempt(spec, uri, {"host": "worker"})
    assert set(os.listdir(tmp_path)) == before  # nothing written beside the worker's own temp dir
    names = set(store.list(f"trials/{spec.trial_id}"))
    assert {f"trials/{spec.trial_id}/{n}" for n in ("done.json", "rows.parquet", "state.pt", "spec.json",
                                                       "nodes.json")} == names
    assert set(store.list(f"students/{spec.trial_id}")) == {
        f"students/{spec.trial_id}/epoch_{e}.safetensors" for e in spec.checkpoints}
    assert [a["host"] for a in _attempts(store, spec.trial_id)] == ["worker"]


def test_a_superseded_attempt_stops_without_writing(s3, tmp_path, one_thread):
    """An attempt that outlives its node: once a newer attempt is recorded, its next checkpoint
    raises instead of uploading, and it never uploads done.json."""
    from uniformgap.experiments._remote import SupersededAttempt, run_attempt
    from uniformgap.experiments._targets import build_targets, save_targets

    uri = f"s3://{s3}/zombie"
    spec = plan_trials(load_config(CONFIG))[0]
    assert len(spec.checkpoints) == 2
    save_targets(build_targets(spec.experiment_config()), tmp_path / spec.teachers_dir, spec.experiment_config())
    store = RunStore.connect(uri)
    store.put(tmp_path, spec.teachers_dir)
    nodes = f"trials/{spec.trial_id}/nodes.json"

    def newer_attempt_starts(metrics):
        attempts = json.loads(store.read_bytes(nodes))
        data = json.dumps(attempts + [{"host": "elsewhere", "attempt": "newer"}]).encode()
        with store.fs.open_output_stream(store.path(nodes)) as out:
            out.write(data)

    with pytest.raises(SupersededAttempt, match="a newer attempt started"):
        run_attempt(spec, uri, {"host": "old"}, report=newer_attempt_starts)
    rows = pd.read_parquet(BytesIO(store.read_bytes(f"trials/{spec.trial_id}/rows.parquet")))
    assert sorted(rows["epoch"].unique()) == [spec.checkpoints[0]]  # the first checkpoint only
    assert not store.exists(f"trials/{spec.trial_id}/done.json")
    assert [a["host"] for a in _attempts(store, spec.trial_id)] == ["old", "elsewhere"]


def test_mistakes_are_one_line_before_anything_is_written(s3, tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(json.dumps(CONFIG))
    cases = [
        (["--out", "ftp://host/run"],
         "`--out` must be a local path or a URI with scheme s3://, gs://, gcs://, got 'ftp://host/run' "
         "(e.g. --out s3://my-bucket/runs/quick)"),
        (["--out", "s3://no-such-bucket/run"],
         "`--out` bucket 'no-such-bucket' does not exist, got 's3://no-such-bucket/run' "
         "(create it first, e.g. aws s3 mb s3://no-such-bucket)"),
    ]
    for extra, message in cases:
        code, out, err = run_cli(["run", str(config), "--local", *extra], capsys)
        assert (code, err.strip()) == (2, f"uniformgap run: error: {message}")
    code, out, err = run_cli(["run", "--resume", f"s3://{s3}/nothing", "--local"], capsys)
    assert (code, err.strip()) == (
        2, f"uniformgap run: error: `--resume` must name a run directory holding config.yaml, got 's3://{s3}/nothing'")
    assert RunStore.connect(f"s3://{s3}").is_empty()

    store = RunStore.connect(f"s3://{s3}/taken")
    store.put_file(config, "config.yaml")
    code, out, err = run_cli(["run", str(config), "--local", "--out", f"s3://{s3}/taken"], capsys)
    assert (code, err.strip()) == (2, f"uniformgap run: error: `--out` 's3://{s3}/taken' already holds a run "
                                      f"(continue it with --resume s3://{s3}/taken, or replace it with --overwrite)")
    assert set(store.list("")) == {"config.yaml"}
    with pytest.raises(InputError, match="^`RUN_DIR` bucket 'gone' does not exist"):
        load_results("s3://gone/run")


def test_uris_and_their_local_copies():
    assert is_uri("s3://b/run") and is_uri("gs://b/x") and not is_uri("runs/quick") and not is_uri("/abs/path")
    assert cache_dir("s3://b/run") == cache_dir("s3://b/run") != cache_dir("s3://b/run2")


@pytest.mark.slow
def test_a_ray_run_to_s3_leaves_the_driver_only_its_copy(s3, tmp_path, one_thread):
    """Ray workers get the URI, never a driver path: their students exist only in the store, the
    driver's copy holds what it downloaded (trials) and wrote (table, run.json, teachers)."""
    pytest.importorskip("ray")
    uri = f"s3://{s3}/ray"
    config = load_config({**CONFIG, "execution": {"cpus_per_trial": 1, "max_failures": 0}})
    run = run_experiment(config, out=uri, executor="ray", progress=False)
    ref = run_experiment(config, out=tmp_path / "ref", executor="local", progress=False)
    assert run.status == "complete", run.errors
    pd.testing.assert_frame_equal(run.table.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"),
                                  check_exact=True)
    store = RunStore.connect(uri)
    assert len(store.list("students")) == 4 and not (run.run_dir / "students").exists()
    assert all(len(a) == 1 and a[0]["node_id"] for a in (_attempts(store, s.trial_id) for s in plan_trials(config)))


def test_refused_credentials_are_one_line_before_anything_is_written(s3, tmp_path, monkeypatch, capsys):
    from moto import settings

    config = tmp_path / "tiny.yaml"
    config.write_text(json.dumps(CONFIG))
    with monkeypatch.context() as patch:
        patch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # the server checks credentials: ours are unknown
        code, out, err = run_cli(["run", str(config), "--local", "--out", f"s3://{s3}/run"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"uniformgap run: error: `--out` 's3://{s3}/run': access denied: missing or wrong "
                          "credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE for s3://, "
                          "GOOGLE_APPLICATION_CREDENTIALS for gs://) (")
    assert len(err.strip().splitlines()) == 1
    assert RunStore.connect(f"s3://{s3}").is_empty()


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("UNIFORMGAP_CLUSTER_S3") != "1",
                    reason="a 3-node Ray cluster run to s3:// with a node killed (~2 min): set UNIFORMGAP_CLUSTER_S3=1")
def test_a_cluster_run_to_s3_survives_a_lost_worker_node(s3, tmp_path, monkeypatch, one_thread):
    """tests/test_cluster.py's node kill with ``--out s3://``: no node shares a directory with
    another; the trial that lost its node is retried elsewhere from the store's checkpoint and
    the table equals the uninterrupted local run."""
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import yaml

    import test_cluster as tc

    ref = run_experiment(load_config(tc.CONFIG), out=tmp_path / "local", executor="local", progress=False)
    cluster = tc.LocalCluster(Path(tempfile.mkdtemp(prefix="ugc", dir="/tmp")))  # nodes inherit the S3 env
    try:
        for name in ("head", "w1", "w2"):
            cluster.start(name)
            cluster.wait_started(name)
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(tc.CONFIG))
        uri = f"s3://{s3}/cluster"
        driver = subprocess.Popen(
            [sys.executable, "-m", "uniformgap", "run", str(config), "--address", cluster.address, "--json",
             "--out", uri], env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, start_new_session=True, text=True)
        store = RunStore.connect(uri)

        def running_on_a_worker():
            assert driver.poll() is None, "the driver exited early"
            files = store.list("trials")
            if not any(f.endswith("/done.json") for f in files):
                return None
            for tid in sorted({f.split("/")[1] for f in files}):
                if f"trials/{tid}/rows.parquet" in files and f"trials/{tid}/done.json" not in files:
                    node = tc._node_of(_attempts(store, tid)[-1])
                    if node in ("w1", "w2"):
                        return tid, node

        try:
            victim, lost = tc._wait("a trial running on a worker node", running_on_a_worker, tc.RUN_TIMEOUT_S)
            cluster.kill(lost)
            out, _ = driver.communicate(timeout=tc.RUN_TIMEOUT_S)
        finally:
            if driver.poll() is None:
                tc._kill_sessions({driver.pid})
                driver.wait()
        assert driver.returncode == 0 and json.loads(out)["status"] == "complete"
        got = pd.read_parquet(BytesIO(store.read_bytes("results.parquet")))
        pd.testing.assert_frame_equal(got.drop(columns="wall_time_s"), ref.table.drop(columns="wall_time_s"),
                                      check_exact=True)
        attempts = [tc._node_of(a) for a in json.loads(store.read_bytes("run.json"))["nodes"][victim]]
        assert len(attempts) >= 2 and attempts[0] == lost and attempts[-1] != lost
    finally:
        left = cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        assert not left, f"processes of the test cluster survived: {left}"


def test_get_mirrors_a_folder_and_reuses_same_size_files_only_when_asked(s3, tmp_path):
    local, source = tmp_path / "local", tmp_path / "source"
    store = RunStore.connect(f"s3://{s3}/mirror")
    for name, text in (("f/a.txt", "aa"), ("f/sub/b.txt", "bbb"), ("top.txt", "t")):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    store.put(source, "f")
    store.put(source, "top.txt")
    assert set(store.list("")) == {"f/a.txt", "f/sub/b.txt", "top.txt"}
    assert store.get("f", local) == 2 and (local / "f/sub/b.txt").read_text() == "bbb"
    assert store.get("top.txt", local) == 1 and (local / "top.txt").read_text() == "t"
    (local / "f/stale.txt").write_text("not in the store")
    store.delete("f/a.txt")
    (source / "f/sub/b.txt").write_text("BBB")  # same size, new content
    store.put(source, "f/sub/b.txt")
    assert store.get("f", local, reuse=True) == 0  # reuse: same size is taken as the same file
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*.txt")) == ["f/sub/b.txt", "top.txt"]
    assert (local / "f/sub/b.txt").read_text() == "bbb"
    assert store.get("f", local) == 1 and (local / "f/sub/b.txt").read_text() == "BBB"
    assert store.get("nothing", local) == 0 and store.read_bytes("nothing") is None
