"""The results table of a robust run (``experiment: robust``, docs/robust.md §6.4) and its summary.

One row per trial = (d, width, training, seed); the columns are written by ``_robust_trial`` and
documented there. ``n_samples`` = points trained on (M or N), ``teacher`` = the instance seed φ,
``epoch`` = the selected checkpoint; E3 rows (on a manifold) carry ``k`` (intrinsic dimension),
``manifold`` ("linear" | "torus") and ``rotate``; E1/E2 rows have k and manifold empty. Errors are fractions of the support (P uniform); the
``test_*`` columns are measured on the whole support S, i.e. they are L_P itself.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

LEAD = ["learner", "config_id", "trial_id", "n_samples", "teacher", "seed"]
INSTANCE = ["d", "k", "manifold", "rotate", "K", "M", "width", "depth", "n_params", "size", "eps", "c", "delta", "eps0", "norm", "training"]
ERRORS = [f"{split}_{kind}_error" for split in ("train", "val", "test") for kind in ("clean", "robust", "certified")]
TAIL = ["epoch", "epochs_done", "train_loss", *ERRORS, "witness_lb", "unseen_fraction",
        "linear_clean_error", "linear_robust_error", "linear_certified_error", "c1_size", "c1_on", "c1_size_train",
        "attacks", "unverified", "train_time_s", "wall_time_s", "diverged"]
INT_COLUMNS = ["n_samples", "teacher", "seed", "d", "k", "K", "M", "width", "depth", "n_params", "size", "epoch",
               "epochs_done", "c1_size", "c1_size_train", "unverified"]


def order_robust(df: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """The robust column order and dtypes (nullable ints: C1 is undefined with an empty class)."""
    known = LEAD + swept + INSTANCE + TAIL
    cols = LEAD + swept + INSTANCE + TAIL + [c for c in df.columns if c not in known]
    df = df.reindex(columns=list(dict.fromkeys(cols)))
    for c in INT_COLUMNS:
        df[c] = pd.to_numeric(df[c]).astype("Int64")
    df["diverged"] = df["diverged"].astype(bool)
    return df


def is_robust_table(df: pd.DataFrame) -> bool:
    return len(df) > 0 and "learner" in df.columns and bool((df["learner"] == "robust").all())


def summarize_robust(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Per (training, manifold, k, d, width): means over seeds of the robust/clean errors and the seeds'
    count (manifold "-" and k 0 for E1/E2 rows, which live in R^d itself)."""
    if table.empty:
        return []
    out = []
    where = table.assign(
        manifold=table["manifold"].fillna("-") if "manifold" in table.columns else "-",
        k=pd.to_numeric(table["k"]).fillna(0).astype(int) if "k" in table.columns else 0,
    )
    for (training, manifold, k, d, width), rows in where.groupby(["training", "manifold", "k", "d", "width"], sort=True):
        out.append({
            "training": training, "manifold": manifold, "k": int(k), "d": int(d), "M": int(rows["M"].iloc[0]), "width": int(width),
            "size": int(rows["size"].iloc[0]), "seeds": int(len(rows)),
            **{k: float(rows[k].mean()) for k in ("train_robust_error", "test_robust_error", "test_certified_error",
                                                   "test_clean_error", "unseen_fraction")},
        })
    return out


def format_robust_summary(summary: list[dict[str, Any]]) -> str:
    """The summary as a fixed-width table."""
    head = (f"{'training':>13} {'manifold':>8} {'k':>2} {'d':>3} {'M':>7} {'width':>6} {'size':>8} {'seeds':>5}  {'train rob':>9}  "
            f"{'test rob':>9}  {'test cert':>9}  {'test clean':>10}  {'unseen':>6}")
    lines = ["robust errors (mean over seeds; rob = attack + witness, a lower bound; cert = certified, an upper "
             "bound; test = the whole support S, i.e. L_P):", head]
    for r in summary:
        vals = "  ".join(f"{r[k]:>{w}.3f}" if math.isfinite(r[k]) else f"{'-':>{w}}" for k, w in (
            ("train_robust_error", 9), ("test_robust_error", 9), ("test_certified_error", 9),
            ("test_clean_error", 10), ("unseen_fraction", 6)))
        lines.append(f"{r['training']:>13} {r['manifold']:>8} {r['k'] or '-':>2} {r['d']:>3} {r['M']:>7} {r['width']:>6} {r['size']:>8} {r['seeds']:>5}  {vals}")
    return "\n".join(lines)
