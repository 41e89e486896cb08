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

__all__: list[str] = [
    # datasets and synthetic instances
    "Dataset",
    "load_dataset",
    "ManifoldSet",
    "Theorem43Instance",
    "manifold_linear",
    "manifold_torus",
    "theorem43_instance",
]
