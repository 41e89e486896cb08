"""Where each trial ran: one record per attempt in RUN_DIR/trials/<trial_id>/nodes.json.

An executor calls :func:`record_attempt` as an attempt of a trial starts, with the node it runs
on: :func:`this_host` in-process; the Ray adapter adds the Ray node id and node labels. A trial
retried after a failure (e.g. its node was lost) has one record per attempt, in order; the last
record of a finished trial is the node that finished it. :func:`trial_nodes` collects them for
run.json. Only one attempt of a trial runs at a time, so read-append-write is safe.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from .._atomic import write_text_atomic

NODES_FILE = "nodes.json"


def this_host() -> dict[str, Any]:
    """This machine as a node record: ``host`` (hostname) and ``ip``, the address of the interface
    that routes outwards (a UDP ``connect`` sends no packet; None without a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.0", 9))  # TEST-NET-1: never contacted, only routed
            ip = s.getsockname()[0]
        except OSError:
            ip = None
    return {"host": socket.gethostname(), "ip": ip}


def record_attempt(trial_dir: str | os.PathLike, node: dict[str, Any]) -> None:
    """Append ``node`` (+ the process id and the start time, unix seconds) to the trial's attempts."""
    path = Path(trial_dir) / NODES_FILE
    attempts = _read(path)
    attempts.append({**node, "pid": os.getpid(), "started": time.time()})
    write_text_atomic(path, json.dumps(attempts, indent=2) + "\n")


def trial_nodes(run_dir: str | os.PathLike, trial_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """trial_id -> its attempts (oldest first), for the trials that have started."""
    out = {}
    for tid in trial_ids:
        attempts = _read(Path(run_dir) / "trials" / tid / NODES_FILE)
        if attempts:
            out[tid] = attempts
    return out


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        attempts = json.loads(path.read_text())
    except json.JSONDecodeError:  # written atomically, so only a foreign edit gets here
        return []
    return attempts if isinstance(attempts, list) else []
