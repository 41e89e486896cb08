"""Ray Tune executor — the only module that imports ray (Ray 2.x Tuner API).

Each trial (one batched ensemble, see ``_trial``) is one Tune trial of a function trainable
with resources ``{"cpu": cpus_per_trial, "gpu": gpus_per_trial}``; ``param_space`` is a
``tune.grid_search`` over the trial specs. The trainable calls :func:`run_trial`, which
checkpoints into RUN_DIR/trials/<trial_id> at every evaluation and reports a small summary
with ``tune.report``; a retried trial (``FailureConfig.max_failures``; a lost node counts as
a failure) continues from that checkpoint, on whichever node Tune places it. Each attempt
records its Ray node in RUN_DIR/trials/<trial_id>/nodes.json (``_nodes``). Resume does not
use ``Tuner.restore``: the driver re-plans from config.yaml and submits only unfinished trials
(RUN_DIR is the source of truth), so it also works after the Ray session is gone (reboot).

Without an address a small local Ray instance is started (no dashboard, workers' output not
forwarded). ``address`` or ``RAY_ADDRESS`` joins a cluster; then RUN_DIR must be on a
filesystem every node sees (e.g. NFS), because trials write their files there directly — or a URI
(``s3://``, ``gs://``; ``_remote``), which no node needs to share: each trial works in a temporary
directory of its node and uploads its files there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .._errors import InputError
from ._config import ExecutionConfig
from ._remote import run_attempt
from ._spec import TrialSpec

OnDone = Callable[[TrialSpec, str | None], None]


def _trainable(config: dict) -> None:
    from ray import tune

    spec = TrialSpec.from_dict(config["spec"])
    run_attempt(spec, config["run_dir"], ray_node(), report=lambda metrics: tune.report(metrics))


def ray_node() -> dict:
    """The Ray node this process runs on: ``node_id``, ``ip``, ``host`` and the node's labels
    (``ray start --labels k=v``; Ray adds ``ray.io/node-id``)."""
    import socket

    import ray

    context = ray.get_runtime_context()
    return {"node_id": context.get_node_id(), "ip": ray.util.get_node_ip_address(),
            "host": socket.gethostname(), "labels": dict(context.get_node_labels())}


def run_ray(
    specs: Sequence[TrialSpec],
    run_dir: Path,
    execution: ExecutionConfig,
    *,
    on_done: OnDone,
    address: str | None = None,
    location: str | None = None,
) -> None:
    """Run ``specs`` as Tune trials; ``on_done(spec, error)`` fires as each one ends. With a
    ``location`` (the run's URI) the trials read and write only there (``_remote``); ``run_dir``,
    the driver's copy, then holds Tune's own files only."""
    run_dir = Path(run_dir).resolve()
    address = address or os.environ.get("RAY_ADDRESS") or None
    # the driver prints cluster events such as "(raylet) The node ... has been marked dead" on
    # stdout (ray._private.worker.listen_error_messages); they go to stderr, so that stdout
    # stays the command's own (one JSON object with --json)
    with contextlib.redirect_stdout(sys.stderr):
        _run_ray(specs, run_dir, execution, on_done, address, location or str(run_dir))


def _run_ray(specs, run_dir: Path, execution: ExecutionConfig, on_done: OnDone, address: str | None,
             location: str) -> None:
    import ray
    from ray import tune

    started = False
    if not ray.is_initialized():
        kwargs = dict(log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
        if address:
            try:
                ray.init(address=address, **kwargs)
            except ConnectionError as exc:
                if _token_refused(exc):
                    raise InputError(_token_message(address)) from None
                raise
        else:
            # Ray nices its workers (15) by default; trials ARE the work, so run them at normal
            # priority; a local instance sized to this machine, no dashboard (a process and a port less)
            with _env({"RAY_worker_niceness": os.environ.get("RAY_worker_niceness", "0")}):
                ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, **kwargs)
        started = True
    try:
        gpus = execution.gpus_per_trial
        if gpus == "auto":
            gpus = 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
        by_id = {s.trial_id: s for s in specs}

        class _Done(tune.Callback):
            def on_trial_complete(self, iteration, trials, trial, **info):
                on_done(by_id[trial.config["spec"]["trial_id"]], None)

            def on_trial_error(self, iteration, trials, trial, **info):
                on_done(by_id[trial.config["spec"]["trial_id"]], _error_line(trial))

        # the legacy reporter honours verbose=0 (the new one prints a banner on stdout, which
        # would break --json); Tune's own CSV/JSON/TensorBoard loggers would duplicate our rows
        with _env({"RAY_AIR_NEW_OUTPUT": "0", "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1"}):
            trainable = tune.with_resources(_trainable, {"cpu": execution.cpus_per_trial, "gpu": gpus})
            tuner = tune.Tuner(
                trainable,
                param_space={"spec": tune.grid_search([s.to_dict() for s in specs]), "run_dir": location},
                tune_config=tune.TuneConfig(
                    max_concurrent_trials=execution.max_concurrent_trials,
                    trial_dirname_creator=lambda trial: trial.trial_id,
                ),
                run_config=tune.RunConfig(
                    name=f"session-{time.strftime('%Y%m%d-%H%M%S')}",
                    storage_path=str(run_dir / "ray"),
                    failure_config=tune.FailureConfig(max_failures=execution.max_failures),
                    verbose=0,
                    callbacks=[_Done()],
                ),
            )
            tuner.fit()
    finally:
        if started:
            ray.shutdown()


@contextlib.contextmanager
def _env(wanted: dict[str, str]):
    """Set environment variables for a block, then restore them."""
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _token_refused(exc: BaseException) -> bool:
    """Whether a failed connection was refused for a missing or wrong token (Ray wraps the
    AuthenticationError as text in a RuntimeError, ray._private.node._init_gcs_client)."""
    from ray.exceptions import AuthenticationError

    while exc is not None:
        if isinstance(exc, AuthenticationError) or "InvalidAuthToken" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _token_message(address: str) -> str:
    """One line: what to set to join a cluster with token authentication (Ray >= 2.60)."""
    if os.environ.get("RAY_AUTH_MODE", "").lower() == "token":
        return (f"`--address` {address}: the cluster refused this token; use the cluster's token "
                "(RAY_AUTH_TOKEN, the file in RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token; it is the head's "
                "`ray get-auth-token`)")
    return (f"`--address` {address}: the cluster requires token authentication; set RAY_AUTH_MODE=token "
            "with the cluster's token in ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN "
            f"(e.g. RAY_AUTH_MODE=token uniformgap run ... --address {address})")


def _error_line(trial) -> str:
    """The trainable's exception as one line (Ray wraps it in a RayTaskError)."""
    path = Path(trial.config["run_dir"]) / "trials" / trial.config["spec"]["trial_id"] / "error.txt"
    if path.is_file():
        return path.read_text().strip().splitlines()[0]
    return "trial failed (see the Ray logs under RUN_DIR/ray)"
