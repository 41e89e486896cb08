"""The compiled ℓ∞ early-exit scan behind :func:`uniformgap.robust._nearest.nearest`.

A module of its own so that numba is imported (and the kernel compiled, then cached on disk)
only when an ℓ∞ search runs, not when ``uniformgap.robust`` is imported.
"""

import numba


@numba.njit(parallel=True, cache=True, nogil=True)
def linf_scan(Q, R, order, U, J, block, tile):  # pragma: no cover - compiled
    """In place: U[i], J[i] ← the ℓ∞-nearest reference strictly nearer than U[i] (see module doc)."""
    nq, d = Q.shape
    nr = R.shape[0]
    for blk in numba.prange((nq + block - 1) // block):
        i0 = blk * block
        i1 = min(nq, i0 + block)
        for j0 in range(0, nr, tile):
            j1 = min(nr, j0 + tile)
            for i in range(i0, i1):
                u = U[i]
                best = J[i]
                for j in range(j0, j1):
                    m = 0.0
                    t = 0
                    while t < d:
                        k = order[i, t]
                        v = abs(Q[i, k] - R[j, k])
                        if v > m:
                            m = v
                            if m >= u:
                                break
                        t += 1
                    if m < u:
                        u = m
                        best = j
                U[i] = u
                J[i] = best
