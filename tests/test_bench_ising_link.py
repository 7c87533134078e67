"""The projected Ising rate beside what the board's UART lets through (sw/bench/ising.py)."""

import math

from bitspin.boards.catalog import board_by_name
from bitspin.sw.bench.ising import link_bound


def test_the_link_bound_of_the_ulx3s_at_its_baud():
    link = link_bound(256, 259.6, 101.0, "ulx3s-85f")
    assert link["baud"] == board_by_name("ulx3s-85f").device_baud == 1_000_000
    # 8 payload bytes per record plus a 7-byte frame shared by 128 records, 10 bits a byte.
    assert math.isclose(link["records_per_s"], 1e6 / 10 / (8 + 7 / 128))
    assert link["full_stream_fraction_of_compute"] < 0.05
    every = link["observe_every_for_compute_rate"]
    assert every * link["records_per_s"] >= link["compute_sweeps_per_s"]
    assert (every - 1) * link["records_per_s"] < link["compute_sweeps_per_s"]


def test_a_small_fast_link_is_never_the_limit():
    link = link_bound(8, 1000.0, 10.0, "icebreaker")
    assert link["full_stream_fraction_of_compute"] == 1.0
    assert link["observe_every_for_compute_rate"] == 1
