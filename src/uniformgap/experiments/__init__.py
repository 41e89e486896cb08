"""Student–teacher experiments: configuration, presets, targets, trials, execution
(Ray Tune or in-process), result tables and resume (arXiv:2205.13531, Section 3)."""

from ._config import PRESETS as PRESETS
from ._config import ExperimentConfig as ExperimentConfig
from ._grid import Variant as Variant
from ._grid import expand_grid as expand_grid
from ._load import load_config as load_config
from ._plan import Plan as Plan
from ._plan import PlannedTrial as PlannedTrial
from ._plan import format_plan as format_plan
from ._plan import plan_experiment as plan_experiment
from ._loader import Trained as Trained
from ._loader import load_run as load_run
from ._loader import load_trained as load_trained
from ._run import RunResult as RunResult
from ._run import format_summary as format_summary
from ._run import plan_trials as plan_trials
from ._run import resume_run as resume_run
from ._run import run_experiment as run_experiment
from ._run import summarize as summarize
from ._targets import TARGETS as TARGETS
from ._targets import Target as Target
from ._targets import build_targets as build_targets
from ._targets import random_teacher as random_teacher
from ._seeds import stable_seed as stable_seed
from ._spec import TrialSpec as TrialSpec
from ._trial import run_trial as run_trial

__all__ = [
    "PRESETS", "ExperimentConfig", "Variant", "expand_grid", "load_config", "load_run", "load_trained", "Trained",
    "Plan", "PlannedTrial", "format_plan", "plan_experiment",
    "RunResult", "format_summary", "plan_trials", "resume_run", "run_experiment", "summarize",
    "TARGETS", "Target", "build_targets", "random_teacher", "TrialSpec", "run_trial", "stable_seed",
]
