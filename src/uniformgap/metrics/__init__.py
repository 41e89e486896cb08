"""Error metrics: Monte-Carlo L^p errors and per-network (exact / certified) sup errors."""

from ._registry import NETWORK_METRICS as NETWORK_METRICS
