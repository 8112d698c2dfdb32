"""The estimates' calibration step: sizes from the architecture, and the bits-per-weight fallback.

`recalibrate` (the nightly flow's "calibration" stage) first brings `quant_size_estimates` up to
date (catalog.estimates.sizes: each quant's file size from the model's tensor shapes, recomputed
only for models whose config changed), then keeps the bits-per-weight calibration still unless the
live median really moved. That calibration estimates only models whose config cannot be counted
and serves as a check of the architecture estimate (view quant_bits).

Bits per weight: the median over the catalogue's real builds of a quant. Each new build nudges
it, and a nudge would change the estimate of that quant in every model without a config, and so
every such page. The stored value (table quant_calibration) moves only when the live median
differs from it by more than TOLERANCE, far below that estimator's own error (docs/methodology.md).

The fit of the speed constants and error bands on public measurements is `catalog.calibration.fit`.
"""

from __future__ import annotations

import duckdb

from catalog.estimates.sizes import store_size_estimates

TOLERANCE = 0.005   # relative drift of the live median before the stored calibration follows


def recalibrate(con: duckdb.DuckDBPyConnection, run_id: str | None,
                tolerance: float = TOLERANCE) -> list[str]:
    """Store the live median of every quant that has none stored or drifted past tolerance.

    Returns the quants whose calibration changed. A quant whose real builds all went away keeps
    its last stored value. Size estimates from the architecture are refreshed first.
    """
    store_size_estimates(con)
    rows = con.execute("""
        INSERT OR REPLACE INTO quant_calibration
        SELECT b.quant, b.live_bits, b.live_builds, now(), $run_id
        FROM quant_bits b LEFT JOIN quant_calibration c USING (quant)
        WHERE b.live_bits IS NOT NULL
          AND (c.quant IS NULL OR abs(b.live_bits - c.calibrated_bits) > $tolerance * c.calibrated_bits)
        RETURNING quant""", {"run_id": run_id, "tolerance": tolerance}).fetchall()
    return sorted(r[0] for r in rows)
