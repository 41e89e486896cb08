"""Ray Tune executor — with ``_ray_search`` the only modules that import ray (Ray 2.x Tuner API).

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
from ._trial import trial_dir

OnDone = Callable[[TrialSpec, str | None], None]
OnProgress = Callable[[TrialSpec, dict], None]


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
    on_progress: OnProgress | None = None,
    address: str | None = None,
    location: str | None = None,
) -> None:
    """Run ``specs`` as Tune trials; ``on_done(spec, error)`` fires as each one ends,
    ``on_progress(spec, result)`` on the driver as each checkpoint's ``tune.report`` arrives
    (from whichever node the trial runs on). With a ``location`` (the run's URI) the trials read
    and write only there (``_remote``); ``run_dir``, the driver's copy, then holds Tune's own files only."""
    run_dir = Path(run_dir).resolve()
    location = location or str(run_dir)
    with ray_session(address) as gpus_available:
        from ray import tune

        by_id = {s.trial_id: s for s in specs}

        class _Done(tune.Callback):
            def on_trial_result(self, iteration, trials, trial, result, **info):
                if on_progress is not None:
                    on_progress(by_id[trial.config["spec"]["trial_id"]], result)

            def on_trial_complete(self, iteration, trials, trial, **info):
                on_done(by_id[trial.config["spec"]["trial_id"]], None)

            def on_trial_error(self, iteration, trials, trial, **info):
                spec = by_id[trial.config["spec"]["trial_id"]]
                on_done(spec, error_line(trial_dir(run_dir, spec)))

        tuner = tune.Tuner(
            tune.with_resources(_trainable, trial_resources(execution, gpus_available)),
            param_space={"spec": tune.grid_search([s.to_dict() for s in specs]), "run_dir": location},
            tune_config=tune.TuneConfig(
                max_concurrent_trials=execution.max_concurrent_trials,
                trial_dirname_creator=lambda trial: trial.trial_id,
            ),
            run_config=run_config(run_dir, execution, [_Done()]),
        )
        tuner.fit()


def trial_resources(execution: ExecutionConfig, gpus_available: bool) -> dict[str, float]:
    """A trial's Tune resources: ``cpus_per_trial`` and ``gpus_per_trial`` ("auto": 1 when the
    cluster has a GPU)."""
    gpus = execution.gpus_per_trial
    if gpus == "auto":
        gpus = 1.0 if gpus_available else 0.0
    return {"cpu": execution.cpus_per_trial, "gpu": gpus}


def run_config(run_dir: Path, execution: ExecutionConfig, callbacks: list):
    """Tune's RunConfig of a session: its files under RUN_DIR/ray, retries, no console output."""
    from ray import tune

    return tune.RunConfig(
        name=f"session-{time.strftime('%Y%m%d-%H%M%S')}",
        storage_path=str(run_dir / "ray"),
        failure_config=tune.FailureConfig(max_failures=execution.max_failures),
        verbose=0,
        callbacks=callbacks,
    )


@contextlib.contextmanager
def ray_session(address: str | None):
    """Ray for the block: the running instance, the cluster at ``address`` / RAY_ADDRESS, or a
    small local instance started (and shut down) here. Yields whether the cluster has a GPU.

    Inside, stdout goes to stderr: the driver prints cluster events such as "(raylet) The node ...
    has been marked dead" on stdout (ray._private.worker.listen_error_messages), and stdout stays
    the command's own (one JSON object with --json). The legacy reporter honours verbose=0 (the new
    one prints a banner on stdout); Tune's own CSV/JSON/TensorBoard loggers would duplicate our rows.
    """
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    with contextlib.redirect_stdout(sys.stderr):
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
            with _env({"RAY_AIR_NEW_OUTPUT": "0", "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1"}):
                yield ray.cluster_resources().get("GPU", 0) >= 1
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


def check_address(address: str | None, *, timeout_s: float = 5.0) -> None:
    """Refuse, in one line and before a run writes anything, a cluster address (``address`` or
    RAY_ADDRESS) where nothing accepts a TCP connection: ``ray.init`` would retry for minutes.
    "auto" and addresses without a port are left to Ray."""
    import socket

    address = address or os.environ.get("RAY_ADDRESS") or None
    if not address or address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__).lower()
        raise InputError(
            f"`--address` {address}: no Ray cluster answers there ({why}); start its head with "
            f"`ray start --head --port {port}` or give the head's address (e.g. --address 10.0.0.5:6379)"
        ) from None


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


def error_line(tdir: Path) -> str:
    """The trainable's exception as one line, from the trial directory ``tdir`` (Ray wraps the
    exception itself in a RayTaskError)."""
    path = Path(tdir) / "error.txt"
    if path.is_file():
        return path.read_text().strip().splitlines()[0]
    return "trial failed (see the Ray logs under RUN_DIR/ray)"
