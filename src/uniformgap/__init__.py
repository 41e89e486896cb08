"""uniformgap: the gap between average and uniform accuracy when learning ReLU networks.

Berner, Grohs, Voigtlaender, "Learning ReLU networks to high uniform accuracy is
intractable", ICLR 2023 (arXiv:2205.13531). Subpackages:

- :mod:`uniformgap.theory`      sample-complexity bounds, hat networks, Lipschitz bounds
- :mod:`uniformgap.networks`    ReLU networks and the JSON interchange format
- :mod:`uniformgap.learners`    learners: batched gradient ensembles, grid interpolation, polynomials
- :mod:`uniformgap.metrics`     L^p errors (Monte Carlo), exact and certified sup errors
- :mod:`uniformgap.experiments` configuration, execution (local / Ray Tune), result tables
- :mod:`uniformgap.analysis`    the minimax estimator, rate fits, figures, reports
- :mod:`uniformgap.audit`       worst-case audits and the fooling adversary
- :mod:`uniformgap.robust`      robust generalization (Li et al., NeurIPS 2022, arXiv:2205.13863;
  docs/robust.md): datasets, separation, the robust classifier, constructions, adversarial training
"""

from ._errors import InputError as InputError

__version__ = "0.1.0"
__all__ = ["InputError", "__version__"]
