"""What does a run at an s3:// URI cost over a local RUN_DIR? The same run, side by side.

Starts a moto S3 server on 127.0.0.1 (the `test-s3` extra), then runs one small experiment
in-process (executor "local") alternately to a fresh local directory and to a fresh s3:// prefix,
``--rounds`` times each, and prints the median wall time of each and the per-trial overhead of the
store (downloads of teachers and checkpoints, uploads at every checkpoint, the driver's copy).
The server shares the CPUs with the run, so the overhead is an upper estimate for a remote store's
CPU cost and says nothing about network latency.

    python benchmarks/bench_storage.py            # ~1 min on 2 CPU cores
    python benchmarks/bench_storage.py --quick    # < 30 s
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import statistics
import tempfile
import time

import torch

from uniformgap.experiments import load_config, plan_trials, run_experiment

CONFIG = {
    "name": "bench-storage", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 8},
    "n_samples": [16, 32, 64, 128], "seeds": [0, 1],
    "student": {"depth": 3, "width": 16, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 400, "batch_size": 0.25},
    "evaluation": {"checkpoints": 4, "test_points": 4096, "val_points": 1024, "chunk_size": 4096},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and rounds")
    parser.add_argument("--rounds", type=int, default=3, help="runs per location (default 3; --quick: 2)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from moto.server import ThreadedMotoServer
    from pyarrow import fs as pafs

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    scratch = tempfile.mkdtemp(prefix="bench-storage-")
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=endpoint, UNIFORMGAP_CACHE=os.path.join(scratch, "cache"))
    pafs.S3FileSystem(allow_bucket_creation=True, endpoint_override=endpoint).create_dir("bench")
    raw = dict(CONFIG)
    rounds = args.rounds
    if args.quick:
        raw["student"] = {**raw["student"], "epochs": 100}
        rounds = min(rounds, 2)
    config = load_config(raw)
    n_trials = len(plan_trials(config))
    times: dict[str, list[float]] = {"local": [], "s3": []}
    try:
        run_experiment(config, out=os.path.join(scratch, "warm-up"), executor="local", progress=False)
        for i in range(rounds):
            for where, out in (("local", os.path.join(scratch, f"local-{i}")), ("s3", f"s3://bench/run-{i}")):
                start = time.perf_counter()
                result = run_experiment(config, out=out, executor="local", progress=False)
                times[where].append(time.perf_counter() - start)
                assert result.status == "complete", result.errors
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    local, s3 = statistics.median(times["local"]), statistics.median(times["s3"])
    print(f"{n_trials} trials x {len(plan_trials(config)[0].checkpoints)} checkpoints, "
          f"{rounds} rounds, median wall time")
    print(f"  local RUN_DIR: {local:7.2f} s")
    print(f"  s3:// (moto):  {s3:7.2f} s   ratio {s3 / local:.2f}, overhead {(s3 - local) / n_trials:.2f} s per trial")


if __name__ == "__main__":
    main()
