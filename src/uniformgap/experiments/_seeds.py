"""Hashed seeds of the experiment engine: every random stream of a run is named, not ordered.

All seeds come from :func:`stable_seed`, a hash, so they do not depend on the order in which
trials run (``base`` = config ``seed``):

- training data of (t, s, m): x ~ U([lo, hi]^d), m points, from
  ``torch.Generator().manual_seed(stable_seed(base, "data", t, s, m))``, y = u_t(x);
- student initialisation and minibatch order of (t, s): ``stable_seed(base, "train", t, s)``;
- test points of checkpoint epoch e: 'evaluation.test_points' fresh points from
  ``stable_seed(base, "test", m, e)``, shared by the whole ensemble;
- validation points: an independent sample from ``stable_seed(base, "val", m)``.
"""

from __future__ import annotations

import hashlib
from typing import Any


def stable_seed(*parts: Any) -> int:
    """A 63-bit seed from a hash of ``parts`` (stable across processes and machines)."""
    digest = hashlib.sha256(repr(tuple(parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1
