"""Trials and runs whose RUN_DIR is a URI (``s3://…``, ``gs://…``; the store is ``_storage``).

The store is the source of truth, as RUN_DIR is for a local run; no process assumes the disk of
another. An attempt of a trial (:func:`run_attempt`) works in a temporary directory of its own
node: it downloads its teachers and its trial folder (a retried trial continues from the
uploaded checkpoint), records itself in ``nodes.json`` and uploads at every checkpoint what
changed — students first, then ``rows.parquet``, then ``state.pt`` (the order of a local trial, so
uploaded rows are never older than the uploaded state) — and ``done.json`` last, so a trial
half-uploaded is never taken as done. Before each upload the attempt checks that it is still the
latest attempt in the store's ``nodes.json``: an attempt that outlives its node (a worker killed
with its raylet can run on for seconds) stops at its next checkpoint instead of writing over its
successor. Every upload of a trial writes the same bytes for the same checkpoint (training is
deterministic on CPU), so a repeated upload is harmless.

The driver keeps a local copy of the run (``_storage.cache_dir``): it writes config.yaml,
teachers, run.json and the results table there and uploads them; it downloads each finished
trial's folder to assemble the table. A local RUN_DIR never comes here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._errors import InputError
from .._storage import RunStore, is_uri
from ._nodes import NODES_FILE, record_attempt
from ._spec import TrialSpec
from ._trial import run_trial, trial_dir

Report = Callable[[dict[str, Any]], None]
DONE_FILE = "done.json"


class SupersededAttempt(RuntimeError):
    """A newer attempt of the same trial has started; this one stops without writing."""


def run_attempt(spec: TrialSpec, location: str | Path, node: dict[str, Any], report: Report | None = None) -> None:
    """One attempt of a trial at ``location`` (a local RUN_DIR or a URI), recorded as run on ``node``."""
    if not is_uri(location):
        record_attempt(trial_dir(Path(location), spec), node)
        run_trial(spec, location, report=report)
        return
    _run_remote_attempt(spec, RunStore.connect(str(location)), node, report)


def _run_remote_attempt(spec: TrialSpec, store: RunStore, node: dict[str, Any], report: Report | None) -> None:
    tid = spec.trial_id
    trial = f"trials/{tid}"
    if store.exists(f"{trial}/{DONE_FILE}"):
        return
    work = Path(tempfile.mkdtemp(prefix="uniformgap-trial-"))
    try:
        store.get(spec.teachers_dir, work, reuse=True)
        store.get(trial, work)
        store.get(f"students/{tid}", work, reuse=True)
        attempt = uuid.uuid4().hex
        record_attempt(work / trial, {**node, "attempt": attempt})
        store.put(work, f"{trial}/{NODES_FILE}")
        store.delete(f"{trial}/error.txt")  # an earlier attempt's; run_trial removes the local copy
        sync = _Uploader(store, work, spec, attempt)

        def on_checkpoint(metrics: dict[str, Any]) -> None:
            sync.push()
            if report is not None:
                report(metrics)

        try:
            run_trial(spec, work, report=on_checkpoint)
        except SupersededAttempt:
            raise
        except BaseException:
            if (work / trial / "error.txt").is_file() and sync.current():
                store.put(work, f"{trial}/error.txt")
            raise
        sync.push()
        store.put(work, f"{trial}/{DONE_FILE}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _Uploader:
    """Uploads what changed in an attempt's trial and students folders since the last push."""

    def __init__(self, store: RunStore, work: Path, spec: TrialSpec, attempt: str) -> None:
        self.store, self.work, self.attempt, self.tid = store, work, attempt, spec.trial_id
        self.sent: dict[str, tuple[int, int]] = {}

    def current(self) -> bool:
        """Whether this attempt is the latest one recorded in the store."""
        data = self.store.read_bytes(f"trials/{self.tid}/{NODES_FILE}")
        attempts = json.loads(data) if data else []
        return bool(attempts) and attempts[-1].get("attempt") == self.attempt

    def push(self) -> None:
        if not self.current():
            raise SupersededAttempt(f"trial {self.tid!r}: a newer attempt started; this one stops without writing")
        students = sorted((self.work / "students" / self.tid).glob("*"))
        tdir = self.work / "trials" / self.tid
        first = [p for p in sorted(tdir.iterdir()) if p.name not in ("rows.parquet", "state.pt", DONE_FILE, NODES_FILE)]
        last = [tdir / "rows.parquet", tdir / "state.pt"]
        for path in students + first + last:
            if not path.is_file():
                continue
            stat = path.stat()
            key = path.relative_to(self.work).as_posix()
            if self.sent.get(key) != (stat.st_size, stat.st_mtime_ns):
                self.store.put_file(path, key)
                self.sent[key] = (stat.st_size, stat.st_mtime_ns)


# -- the driver's side ---------------------------------------------------------------------
def check_out_store(uri: str, overwrite: bool) -> RunStore:
    """The store for a new run at ``uri``, checked: refused when it holds a run or other files
    (unless ``overwrite``; then :func:`clear_store` removes what a run writes)."""
    store = RunStore.open(uri, argument="--out")
    if not overwrite:
        if store.exists("config.yaml"):
            raise InputError(f"`--out` {uri!r} already holds a run (continue it with --resume {uri}, "
                             "or replace it with --overwrite)")
        if not store.is_empty():
            raise InputError(f"`--out` {uri!r} is not empty (choose a new location or pass --overwrite)")
    return store


def clear_store(store: RunStore, entries: tuple[str, ...]) -> None:
    """Remove ``entries`` (files or folders at the run root) from the store."""
    for name in entries:
        store.delete(name)


def pull_trial(store: RunStore, local: Path, trial_id: str) -> None:
    """The driver's copy of one trial's folder (rows, done.json, error.txt, nodes.json)."""
    store.get(f"trials/{trial_id}", local)

