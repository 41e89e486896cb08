"""Hyperparameter search on Ray Tune (config ``search:``; what a configuration is: ``_search``).

A Tune search algorithm samples ``num_samples`` configurations from ``space`` — random search
(Tune's ``BasicVariantGenerator``), Optuna (``OptunaSearch``) or HyperOpt (``HyperOptSearch``)
when that package is importable — with the base config's own values evaluated first
(``include_default``: Tune's ``points_to_evaluate``). Each configuration is one function
trainable that runs :func:`run_trial` and, at every checkpoint, reports ``objective`` = J_j(A)
and ``checkpoint`` = j through ``tune.report``; ``scheduler: asha`` (``ASHAScheduler``,
time_attr ``checkpoint``, mode min) stops weak configurations at its rungs. Configurations are
numbered in the order Tune creates their trials (the driver names each trial ``search-<i>``,
``trial_name_creator``; the trainable reads its number from its trial name). Trials, resources,
retries and node records are those of the grid executor (``_ray``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from .._errors import InputError
from ._config import ExperimentConfig
from ._ray import OnDone, OnProgress, error_line, ray_node, ray_session, run_config, trial_resources
from ._remote import run_attempt
from ._results import read_trial_rows
from ._search import default_point, max_checkpoints, objective, search_spec, settle, trial_index, trial_name_of
from ._search_config import ALGORITHM_PACKAGES, Distribution
from ._spec import TrialSpec
from ._trial import trial_dir


def check_algorithm(config: ExperimentConfig) -> None:
    """Optuna / HyperOpt only when importable: one line naming the package otherwise."""
    algorithm = config.search.algorithm
    package = ALGORITHM_PACKAGES.get(algorithm)
    if package is not None and importlib.util.find_spec(package) is None:
        raise InputError(
            f"`search.algorithm` {algorithm!r} needs the package {package!r}, which is not installed "
            f"(pip install {package}, or e.g. --set search.algorithm=random)"
        )


def _domain(dist: Distribution):
    from ray import tune

    if dist.kind == "loguniform":
        return tune.loguniform(dist.low, dist.high)
    if dist.kind == "uniform":
        return tune.uniform(dist.low, dist.high)
    if dist.kind == "randint":
        return tune.randint(int(dist.low), int(dist.high) + 1)  # Tune's upper end is exclusive
    return tune.choice(list(dist.values))


def _search_algorithm(config: ExperimentConfig):
    search = config.search
    points = [default_point(config)] if search.include_default else None
    if search.algorithm == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        return OptunaSearch(points_to_evaluate=points, seed=search.seed)
    if search.algorithm == "hyperopt":
        from ray.tune.search.hyperopt import HyperOptSearch

        return HyperOptSearch(points_to_evaluate=points, random_state_seed=search.seed)
    from ray.tune.search.basic_variant import BasicVariantGenerator

    # a searcher of our own ignores TuneConfig.max_concurrent_trials: it takes the limit itself
    return BasicVariantGenerator(points_to_evaluate=points, random_state=search.seed,
                                 max_concurrent=config.execution.max_concurrent_trials or 0)


def _trainable(params: dict, *, base: dict, run_dir: str) -> None:
    from ray import tune

    config = ExperimentConfig.model_validate(base)
    spec = search_spec(config, params, trial_index(tune.get_context().get_trial_name()))
    tdir = trial_dir(Path(run_dir), spec)  # a search runs on a shared or local RUN_DIR, never a URI

    def report(result: dict[str, Any]) -> None:
        tune.report({**result, "objective": objective(read_trial_rows(tdir), config.search.metric)})

    run_attempt(spec, run_dir, ray_node(), report)


def run_ray_search(
    config: ExperimentConfig,
    run_dir: Path,
    specs: list[TrialSpec],
    *,
    on_done: OnDone,
    on_progress: OnProgress | None = None,
    address: str | None = None,
) -> None:
    """Sample and run the search's configurations; each one's spec is appended to ``specs`` as it
    first reports or ends. A configuration the scheduler stops is marked (``_search.settle``)
    before ``on_done(spec, None)``; a failed one gets ``on_done(spec, error)``."""
    run_dir = Path(run_dir).resolve()
    search, execution = config.search, config.execution
    known: dict[int, TrialSpec] = {}
    numbers: dict[str, int] = {}  # Tune's trial id -> configuration number, in the order Tune creates them

    def trial_name(trial) -> str:
        return trial_name_of(numbers.setdefault(trial.trial_id, len(numbers)))

    def spec_of(trial) -> TrialSpec:
        index = numbers[trial.trial_id]
        if index not in known:
            known[index] = search_spec(config, trial.config, index)
            specs.append(known[index])
        return known[index]

    with ray_session(address) as gpus_available:
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

        class _Events(tune.Callback):
            def on_trial_result(self, iteration, trials, trial, result, **info):
                if on_progress is not None:
                    on_progress(spec_of(trial), result)

            def on_trial_complete(self, iteration, trials, trial, **info):
                spec = spec_of(trial)
                settle(run_dir, spec)
                on_done(spec, None)

            def on_trial_error(self, iteration, trials, trial, **info):
                spec = spec_of(trial)
                on_done(spec, error_line(trial_dir(run_dir, spec)))

        n_checkpoints = max_checkpoints(config)
        scheduler = (
            ASHAScheduler(time_attr="checkpoint", max_t=n_checkpoints, grace_period=min(search.grace_period, n_checkpoints),
                          reduction_factor=search.reduction_factor)
            if search.scheduler == "asha" else FIFOScheduler()
        )
        trainable = tune.with_parameters(_trainable, base=config.model_dump(), run_dir=str(run_dir))
        tuner = tune.Tuner(
            tune.with_resources(trainable, trial_resources(execution, gpus_available)),
            param_space={key: _domain(dist) for key, dist in search.space.items()},
            tune_config=tune.TuneConfig(
                metric="objective", mode="min", search_alg=_search_algorithm(config), scheduler=scheduler,
                num_samples=search.num_samples, max_concurrent_trials=execution.max_concurrent_trials,
                reuse_actors=True,
                trial_name_creator=trial_name, trial_dirname_creator=lambda trial: trial.trial_id,
            ),
            run_config=run_config(run_dir, execution, [_Events()]),
        )
        tuner.fit()
