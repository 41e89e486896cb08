"""The driver's live view of a run, advanced per checkpoint, not only per finished trial.

A trial reports after each checkpoint (``_trial.Report``: in-process a callback, on Ray through
``tune.report``, which reaches the driver from any node). :class:`RunProgress` turns these
reports into

- one tqdm bar (stderr) counting training epochs: done / total over all trials of the run,
  ETA from the measured throughput (tqdm's rate of epochs per second). A baseline trial
  ("grid", "poly") counts as one epoch. A trial that ends early (a search scheduler stopped
  it) counts as complete, so the bar still ends at its total;
- tracker scalars (TensorBoard, W&B) for every checkpoint as it arrives: the new rows of the
  trial's rows file (written before the report), each (trial, epoch) logged once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ._results import read_trial_rows
from ._spec import TrialSpec


def trial_epochs(spec: TrialSpec) -> int:
    """The work of a trial in epochs: its last checkpoint epoch (>= 1; a baseline counts 1)."""
    return max(1, spec.checkpoints[-1] if spec.checkpoints else 1)


class RunProgress:
    """Epoch-counting progress bar + per-checkpoint tracker logging for one driver session.

    ``specs``: the trials known now (more can be added with :meth:`add`, e.g. by a search);
    ``finished``: the trial ids already done (their epochs count from the start, their rows
    were logged by an earlier session); ``extra_total``: epochs expected from trials not yet
    known (a search's configurations still to be sampled), ``reserve`` of them per such trial,
    replaced by its real total when it first reports.
    """

    def __init__(self, run_dir: Path, specs: list[TrialSpec], finished: set[str], trackers: list[Any], *,
                 enabled: bool = True, extra_total: int = 0, reserve: int = 0):
        from tqdm.auto import tqdm

        self.run_dir = Path(run_dir)
        self.trackers = trackers
        self._done: dict[str, int] = {}
        self._total: dict[str, int] = {}
        self._logged: dict[str, set[int]] = {}
        self._extra = extra_total
        self._reserve = reserve
        self._finished: set[str] = set()
        for spec in specs:
            self._register(spec, spec.trial_id in finished)
        self.bar = tqdm(total=self.epochs_total, initial=self.epochs_done,
                        desc="epochs", unit="epoch", file=sys.stderr, disable=not enabled, dynamic_ncols=True)
        self._show()

    def _register(self, spec: TrialSpec, finished: bool, *, new: bool = False) -> None:
        """``new``: a trial started in this session (nothing of it is counted or logged yet)."""
        self._total[spec.trial_id] = trial_epochs(spec)
        # rows saved before this session were logged by the session that saved them
        rows = None if new else read_trial_rows(self.run_dir / "trials" / spec.trial_id)
        self._logged[spec.trial_id] = set() if rows is None else {int(e) for e in rows["epoch"].unique()}
        if finished:
            self._finished.add(spec.trial_id)
            self._done[spec.trial_id] = trial_epochs(spec)
        else:
            last = max(self._logged[spec.trial_id], default=0)
            self._done[spec.trial_id] = min(trial_epochs(spec), last)

    def add(self, spec: TrialSpec, *, expected: int = 0) -> None:
        """A trial that became known during the run (``expected``: the epochs reserved for it
        in ``extra_total``, now replaced by its real total)."""
        if spec.trial_id in self._total:
            return
        self._register(spec, False, new=True)
        self._extra = max(0, self._extra - expected)
        self._retotal()

    def checkpoint(self, spec: TrialSpec, epoch: int) -> None:
        """A trial reported its checkpoint at ``epoch``: advance the bar, log the new rows."""
        self.add(spec, expected=self._reserve)
        self._advance(spec.trial_id, min(max(1, int(epoch)), self._total[spec.trial_id]))
        self._log_new(spec.trial_id)

    def finished(self, spec: TrialSpec, *, ok: bool = True) -> None:
        """A trial ended (finished or stopped early: its remaining epochs are not to be done;
        ``ok`` False: it failed, its epochs stay as they were)."""
        self.add(spec, expected=self._reserve)
        if ok:
            self._finished.add(spec.trial_id)
            self._advance(spec.trial_id, self._total[spec.trial_id])
            self._log_new(spec.trial_id)
        for tracker in self.trackers:
            tracker.finish_trial(spec.trial_id)
        self._show()

    @property
    def epochs_done(self) -> int:
        return sum(self._done.values())

    @property
    def epochs_total(self) -> int:
        return sum(self._total.values()) + self._extra

    def close(self) -> None:
        self.bar.close()

    # -- internals -------------------------------------------------------------------------------
    def _advance(self, trial_id: str, epochs: int) -> None:
        self._done[trial_id] = max(self._done[trial_id], epochs)
        if not self.bar.disable and self.epochs_done > self.bar.n:
            self.bar.update(self.epochs_done - self.bar.n)  # the bar shows the one count, epochs_done
        self._show()

    def _retotal(self) -> None:
        self.bar.total = self.epochs_total
        self.bar.refresh()

    def _show(self) -> None:
        self.bar.set_postfix_str(f"trials {len(self._finished)}/{len(self._total)}", refresh=False)

    def _log_new(self, trial_id: str) -> None:
        logged = self._logged[trial_id]
        if not self.trackers:
            return
        rows = read_trial_rows(self.run_dir / "trials" / trial_id)
        if rows is None or rows.empty:
            return
        new = rows[~rows["epoch"].isin(logged)]
        if new.empty:
            return
        for tracker in self.trackers:
            tracker.log_trial(trial_id, new)
        logged.update(int(e) for e in new["epoch"].unique())
