"""Robust generalization: Li, Jin, Zhong, Hopcroft, Wang, "Why robust generalization in deep
learning is difficult: perspective of expressive power", NeurIPS 2022 (arXiv:2205.13863).

The mathematics is restated in ``docs/robust.md``; section numbers in docstrings refer to it.
"""

__all__: list[str] = []
