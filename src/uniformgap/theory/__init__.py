"""The theory as software: bounds, hat-network constructions, Lipschitz bounds.

Berner, Grohs, Voigtlaender, arXiv:2205.13531; formulas as restated in THEORY.md.
"""

from ._class import NetworkClass as NetworkClass
