"""Robust generalization: Li, Jin, Zhong, Hopcroft, Wang, "Why robust generalization in deep
learning is difficult: perspective of expressive power", NeurIPS 2022 (arXiv:2205.13863).

The mathematics is restated in ``docs/robust.md``; section numbers in docstrings refer to it.
"""

# datasets and synthetic instances (docs/robust.md §5, §6.1)
from ._datasets import Dataset as Dataset
from ._datasets import load_dataset as load_dataset
from ._instances import ManifoldSet as ManifoldSet
from ._instances import Theorem43Instance as Theorem43Instance
from ._instances import manifold_linear as manifold_linear
from ._instances import manifold_torus as manifold_torus
from ._instances import theorem43_instance as theorem43_instance
from ._manifold_attack import Embedding as Embedding
from ._manifold_attack import OnManifold as OnManifold

# separation statistics (docs/robust.md §6.1)
from ._separation import SeparationReport as SeparationReport
from ._separation import separation as separation

# the robust classifier f*, g and the 1-NN margin (docs/robust.md §2, Prop. 3.2)
from ._classifier import RobustClassifier as RobustClassifier
from ._record import RobustEvaluation as RobustEvaluation
from ._classifier import classifier_summary as classifier_summary
from ._classifier import evaluate as evaluate

# constructions C1, C2, subspace network and their exact sizes (docs/robust.md §3, §4, §5.2)
from ._c1 import C1Network as C1Network
from ._c1 import build_c1 as build_c1
from ._c1 import c1_network as c1_network
from ._c2 import C2Network as C2Network
from ._c2 import GridCheck as GridCheck
from ._c2 import c2_network as c2_network
from ._counts import NetworkCounts as NetworkCounts
from ._counts import c1_counts as c1_counts
from ._counts import c2_counts as c2_counts
from ._counts import subspace_counts as subspace_counts
from ._sizes import SizeRow as SizeRow
from ._sizes import SizeTable as SizeTable
from ._sizes import rate_statements as rate_statements
from ._sizes import size_table as size_table
from ._subspace import SubspaceNetwork as SubspaceNetwork
from ._subspace import subspace_network as subspace_network

# -- adversarial training and honest evaluation (docs/robust.md §6.2–§6.3) --
from ._adversarial import margin as margin
from ._adversarial import pgd as pgd
from ._adversarial import pgd_witnesses as pgd_witnesses
from ._adversarial import project as project
from ._attack_libs import LIBRARY_ATTACKS as LIBRARY_ATTACKS
from ._compare import TrainedEval as TrainedEval
from ._compare import compare_trainings as compare_trainings
from ._compare import summarize as summarize
from ._compare import train_and_evaluate as train_and_evaluate
from ._evaluate import evaluate_split as evaluate_split
from ._evaluate import verify_witnesses as verify_witnesses
from ._train_config import EvalConfig as EvalConfig
from ._train_config import PGDConfig as PGDConfig
from ._train_config import RunConfig as RunConfig
from ._train_config import TrainConfig as TrainConfig
from ._train_config import load_run_config as load_run_config
from ._training import TrainResult as TrainResult
from ._training import build_model as build_model
from ._training import train_classifier as train_classifier

__all__: list[str] = [
    # datasets and synthetic instances
    "Dataset",
    "load_dataset",
    "ManifoldSet",
    "Theorem43Instance",
    "manifold_linear",
    "Embedding",
    "OnManifold",
    "manifold_torus",
    "theorem43_instance",
    # separation statistics
    "SeparationReport",
    "separation",
    # the robust classifier
    "RobustClassifier",
    "RobustEvaluation",
    "classifier_summary",
    "evaluate",
    # constructions and sizes
    "C1Network",
    "build_c1",
    "c1_network",
    "C2Network",
    "GridCheck",
    "c2_network",
    "NetworkCounts",
    "c1_counts",
    "c2_counts",
    "subspace_counts",
    "SizeRow",
    "SizeTable",
    "rate_statements",
    "size_table",
    "SubspaceNetwork",
    "subspace_network",
    # adversarial training and honest evaluation
    "margin", "pgd", "pgd_witnesses", "project", "LIBRARY_ATTACKS", "TrainedEval", "compare_trainings",
    "summarize", "train_and_evaluate", "evaluate_split", "verify_witnesses", "EvalConfig",
    "PGDConfig", "RunConfig", "TrainConfig", "load_run_config", "TrainResult", "build_model", "train_classifier",
]
