"""Keep the published calibration of each quant still unless the live median really moved.

Estimated sizes are parameters × calibrated bits per weight, the median over the catalogue's real
builds of that quant. Each new build nudges the median, and a nudge would change the estimate of
that quant in every model, and so every page: nightly exports would never be incremental and
`changes.json` would list noise. The stored value (table quant_calibration) moves only when the
live median differs from it by more than TOLERANCE, far below the estimator's own error (19.7 %
median against held-out real files, docs/methodology.md).
"""

from __future__ import annotations

import duckdb

TOLERANCE = 0.005   # relative drift of the live median before the stored calibration follows


def recalibrate(con: duckdb.DuckDBPyConnection, run_id: str | None,
                tolerance: float = TOLERANCE) -> list[str]:
    """Store the live median of every quant that has none stored or drifted past tolerance.

    Returns the quants whose calibration changed. A quant whose real builds all went away keeps
    its last stored value.
    """
    rows = con.execute("""
        INSERT OR REPLACE INTO quant_calibration
        SELECT b.quant, b.live_bits, b.live_builds, now(), $run_id
        FROM quant_bits b LEFT JOIN quant_calibration c USING (quant)
        WHERE b.live_bits IS NOT NULL
          AND (c.quant IS NULL OR abs(b.live_bits - c.calibrated_bits) > $tolerance * c.calibrated_bits)
        RETURNING quant""", {"run_id": run_id, "tolerance": tolerance}).fetchall()
    return sorted(r[0] for r in rows)
