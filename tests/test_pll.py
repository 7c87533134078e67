"""Board PLLs: the divider math against the datasheet ranges, and a PLL-clocked build per family."""

import itertools
import json
import subprocess
import sys

import pytest

from bitspin.boards import build_for_board, board_by_name
from bitspin.boards.clocked_top import ClockedTop, clocked_for_board
from bitspin.boards.designs import make_top
from bitspin.boards.pll import (ECP5_LIMITS, ICE40_LIMITS, BoardPLL, ecp5_pll_params, ice40_pll_params,
                        pll_params)

MHZ = 1e6


def _within(value, limits):
    return limits[0] <= value <= limits[1]


def _check_ecp5(p, f_in):
    lim = ECP5_LIMITS
    for name in ("CLKI_DIV", "CLKFB_DIV", "CLKOP_DIV"):
        assert _within(p[name], lim[name]) and isinstance(p[name], int)
    f_pfd = f_in / p["CLKI_DIV"]
    f_out = f_pfd * p["CLKFB_DIV"]
    f_vco = f_out * p["CLKOP_DIV"]
    assert _within(f_pfd, lim["f_pfd"]) and _within(f_vco, lim["f_vco"])
    assert _within(f_out, lim["f_out"])
    assert p["f_out"] == pytest.approx(f_out) and p["f_vco"] == pytest.approx(f_vco)
    assert p["FEEDBK_PATH"] == "CLKOP" and 0 <= p["CLKOP_CPHASE"] < 128 and p["CLKOP_FPHASE"] == 0


def _check_ice40(p, f_in):
    lim = ICE40_LIMITS
    for name in ("DIVR", "DIVF", "DIVQ"):
        assert _within(p[name], lim[name]) and isinstance(p[name], int)
    f_pfd = f_in / (p["DIVR"] + 1)
    f_vco = f_pfd * (p["DIVF"] + 1)
    f_out = f_vco / 2 ** p["DIVQ"]
    assert _within(f_pfd, lim["f_pfd"]) and _within(f_vco, lim["f_vco"])
    assert _within(f_out, lim["f_out"]) and p["f_out"] == pytest.approx(f_out)
    assert 1 <= p["FILTER_RANGE"] <= 6 and p["FEEDBACK_PATH"] == "SIMPLE"


def _best_ecp5(f_in, f_out):
    """The smallest error over every legal divider triple, by brute force."""
    lim = ECP5_LIMITS
    best = float("inf")
    for i, fb in itertools.product(range(1, 129), range(1, 81)):
        pfd, out = f_in / i, f_in / i * fb
        if _within(pfd, lim["f_pfd"]) and _within(out, lim["f_out"]) \
                and any(_within(out * o, lim["f_vco"]) for o in range(1, 129)):
            best = min(best, abs(out - f_out))
    return best


def _best_ice40(f_in, f_out):
    lim = ICE40_LIMITS
    best = float("inf")
    for r, f, q in itertools.product(range(16), range(128), range(1, 7)):
        pfd, vco = f_in / (r + 1), f_in / (r + 1) * (f + 1)
        if _within(pfd, lim["f_pfd"]) and _within(vco, lim["f_vco"]) \
                and _within(vco / 2 ** q, lim["f_out"]):
            best = min(best, abs(vco / 2 ** q - f_out))
    return best


def test_known_settings():
    # The settings ecppll and icepll print for the two boards' common requests.
    p = ecp5_pll_params(25 * MHZ, 100 * MHZ)
    assert (p["CLKI_DIV"], p["CLKFB_DIV"], p["CLKOP_DIV"]) == (1, 4, 6) and p["f_out"] == 100 * MHZ
    p = ice40_pll_params(12 * MHZ, 48 * MHZ)
    assert (p["DIVR"], p["DIVF"], p["DIVQ"], p["FILTER_RANGE"]) == (0, 63, 4, 1)
    assert p["f_out"] == 48 * MHZ


def test_ecp5_random_requests(rng):
    for f_in in (25 * MHZ, 12 * MHZ, float(rng.uniform(8, 400)) * MHZ):
        for f_out in rng.uniform(3.125, 400, size=4) * MHZ:
            p = ecp5_pll_params(f_in, f_out)
            _check_ecp5(p, f_in)
            assert abs(p["f_out"] - f_out) <= _best_ecp5(f_in, f_out) + 1e-3


def test_ecp5_hits_every_reachable_frequency_exactly(rng):
    # Requests the PLL can make exactly (25 MHz / CLKI_DIV * CLKFB_DIV) come out exact.
    hits = 0
    while hits < 30:
        i, fb = int(rng.integers(1, 9)), int(rng.integers(1, 81))
        f_out = 25 * MHZ / i * fb
        if not _within(f_out, ECP5_LIMITS["f_out"]):
            continue
        p = ecp5_pll_params(25 * MHZ, f_out)
        _check_ecp5(p, 25 * MHZ)
        assert p["f_out"] == pytest.approx(f_out, rel=1e-12)
        hits += 1


def test_ice40_random_requests(rng):
    for f_in in (12 * MHZ, float(rng.uniform(10, 133)) * MHZ):
        for f_out in rng.uniform(16, 275, size=6) * MHZ:
            p = ice40_pll_params(f_in, f_out)
            _check_ice40(p, f_in)
            error = abs(p["f_out"] - f_out)
            assert error <= _best_ice40(f_in, f_out) + 1e-3
    for f_out in rng.uniform(16, 275, size=50) * MHZ:  # from the iCEBreaker's 12 MHz
        p = ice40_pll_params(12 * MHZ, f_out)
        _check_ice40(p, 12 * MHZ)
        # The output steps are 12 MHz * (DIVF + 1) / 2**DIVQ: the worst case is 1.82% off
        # (275 MHz gives 270), 1.1% near 69 MHz.
        assert abs(p["f_out"] - f_out) <= 0.019 * f_out
    for _ in range(30):  # exactly reachable requests come out exact
        divf, divq = int(rng.integers(44, 88)), int(rng.integers(1, 7))  # VCO 540-1056 MHz
        f_out = 12 * MHZ * (divf + 1) / 2 ** divq
        if _within(f_out, ICE40_LIMITS["f_out"]):
            assert ice40_pll_params(12 * MHZ, f_out)["f_out"] == pytest.approx(f_out, rel=1e-12)


@pytest.mark.parametrize("family, f_in, f_out, match", [
    ("ecp5", 25e6, 500e6, "requested output 500 MHz is outside"),
    ("ecp5", 25e6, 1e6, "requested output 1 MHz is outside"),
    ("ecp5", 4e6, 100e6, "input 4 MHz is outside"),
    ("ice40", 12e6, 300e6, "requested output 300 MHz is outside"),
    ("ice40", 12e6, 10e6, "requested output 10 MHz is outside"),
    ("ice40", 200e6, 100e6, "input 200 MHz is outside"),
    ("xilinx", 12e6, 50e6, "no PLL for FPGA family"),
])
def test_unreachable_requests_raise(family, f_in, f_out, match):
    with pytest.raises(ValueError, match=match):
        pll_params(family, f_in, f_out)


def test_cli_rejects_unreachable_clock():
    done = subprocess.run([sys.executable, "-m", "bitspin.sw.cli.main", "build", "--board", "icebreaker",
                           "--design", "loopback", "--clock-mhz", "400"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "outside" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("board, mhz, primitive", [
    ("icebreaker", 48, "SB_PLL40_PAD"), ("ulx3s-85f", 100, "EHXPLLL")])
def test_clocked_top_elaborates_the_pll_and_its_constraint(board, mhz, primitive, tmp_path):
    top = make_top("loopback", {"board": board, "clock_mhz": mhz, "baud": 115200})
    assert isinstance(top, ClockedTop) and top.frequency == mhz * MHZ
    plan = board_by_name(board).platform().prepare(top, name="top")
    plan.extract(tmp_path)
    rtlil = (tmp_path / "top.il").read_text()
    assert f"cell \\{primitive} " in rtlil
    constraints = (tmp_path / ("top.pcf" if board == "icebreaker" else "top.lpf")).read_text()
    assert (f"set_frequency CLK_PLL {float(mhz)}" in constraints
            or f'FREQUENCY NET "CLK_PLL" {mhz * MHZ} HZ' in constraints), constraints


def test_inner_top_sees_the_pll_frequency():
    from amaranth import Elaboratable, Module
    from bitspin.boards.uart_top import UARTPinsTop
    seen = []

    class Probe(Elaboratable):
        def __init__(self, clock_hz):
            from amaranth import Signal
            seen.append(clock_hz)
            self.rx, self.tx = Signal(), Signal()

        def elaborate(self, platform):
            seen.append(platform.default_clk_frequency)  # the proxy reaches submodules too
            return Module()

    top = clocked_for_board(UARTPinsTop(Probe), "icebreaker", 60 * MHZ)
    board_by_name("icebreaker").platform().prepare(top, name="top")
    assert seen == [60 * MHZ, 60 * MHZ]


def test_no_clock_option_keeps_the_oscillator():
    top = make_top("loopback", {"board": "icebreaker"})
    assert not isinstance(top, ClockedTop)
    top = make_top("loopback", {"board": "icebreaker", "clock_mhz": None})
    assert not isinstance(top, ClockedTop)


def test_board_pll_exposes_the_achieved_frequency():
    pll = BoardPLL("ice40", 12 * MHZ, 100 * MHZ)
    assert pll.frequency == pytest.approx(100.5 * MHZ)  # 12 * 67 / 8
    assert clocked_for_board(None, "ulx3s-85f", 123.4567 * MHZ).frequency == 125 * MHZ


@pytest.mark.slow
@pytest.mark.parametrize("board, mhz", [("icebreaker", 48), ("ulx3s-85f", 100)])
def test_pll_clocked_loopback_builds_and_meets_timing(board, mhz, tmp_path):
    top = make_top("loopback", {"board": board, "clock_mhz": mhz, "baud": 115200})
    result = build_for_board(top, board, tmp_path, seed=3)
    print(json.dumps(result.as_dict()))
    assert result.bitstream.exists() and result.report.timing_met
    constraints = {name: fmax["constraint"] for name, fmax in result.report.fmax_mhz.items()}
    # The core clock is constrained at the PLL frequency: by our constraint on CLK_PLL where
    # that name survives synthesis (iCE40), else by nextpnr's derivation from the pin's
    # constraint through the PLL dividers (ECP5: "$glbnet$inner.core.buffer.clk"). nextpnr
    # keeps the period in whole picoseconds: 20 833 ps reads back as 48.0008 MHz.
    assert len(constraints) == 1 and list(constraints.values())[0] == pytest.approx(
        mhz, rel=1e-4), constraints
