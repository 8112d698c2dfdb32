"""[hub] max_workers bounds how many Hub fetches the refresh has in flight, and order is kept."""

from __future__ import annotations

import pytest

from catalog.hub.refresh import windowed


@pytest.mark.parametrize("width", [1, 2, 4, 16])
def test_at_most_width_fetches_are_in_flight_and_results_come_in_order(width):
    in_flight, peak, stored = set(), 0, []

    def submitter(key: int):
        def submit() -> int:
            nonlocal peak
            in_flight.add(key)
            peak = max(peak, len(in_flight))
            return key * 10
        return submit

    for key, result in windowed(((k, submitter(k)) for k in range(9)), width):
        assert result == key * 10
        in_flight.discard(key)
        stored.append(key)
    assert stored == list(range(9))
    assert peak == min(width, 9)
