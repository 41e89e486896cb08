"""In-process executor: the same trials as on Ray, one after another (debugging, fallback)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._nodes import this_host
from ._remote import run_attempt
from ._spec import TrialSpec

# on_done(spec, error): error is None for a finished trial, else the exception's one-line text
OnDone = Callable[[TrialSpec, str | None], None]
# on_progress(spec, report): a trial's report after each checkpoint (``_evaluate.summary``)
OnProgress = Callable[[TrialSpec, dict[str, Any]], None]


def run_local(specs: Sequence[TrialSpec], run_dir: Path | str, *, on_done: OnDone, max_failures: int = 0,
              on_progress: OnProgress | None = None) -> None:
    """Run ``specs`` in order; a failing trial is retried up to ``max_failures`` times (it
    continues from its last checkpoint), then recorded as errored and the run goes on.
    KeyboardInterrupt propagates (the run stays resumable). Each attempt is recorded as run
    on this host (``_nodes``). ``run_dir`` may be a URI (``_remote``). ``on_progress`` hears each
    trial's report after every checkpoint."""
    node = this_host()
    for spec in specs:
        for attempt in range(max_failures + 1):
            try:
                report = None if on_progress is None else (lambda result, spec=spec: on_progress(spec, result))
                run_attempt(spec, run_dir, node, report)
            except Exception as exc:  # noqa: BLE001 — recorded, the run goes on
                if attempt == max_failures:
                    on_done(spec, f"{type(exc).__name__}: {exc}")
                continue
            on_done(spec, None)
            break
