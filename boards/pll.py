"""PLLs for board builds: the divider math (pure Python) and the primitives (Amaranth).

Two families:

* **ECP5** ``EHXPLLL``, feedback from ``CLKOP``: ``f_out = f_in / CLKI_DIV * CLKFB_DIV`` and the
  VCO runs at ``f_out * CLKOP_DIV``. The search follows prjtrellis' ``ecppll``: PFD 3.125-400 MHz,
  VCO 400-800 MHz, output 3.125-400 MHz, input 8-400 MHz; among equally close results the one
  whose VCO is nearest 600 MHz wins.
* **iCE40** ``SB_PLL40_PAD`` (or ``SB_PLL40_CORE``), ``SIMPLE`` feedback:
  ``f_vco = f_in * (DIVF + 1) / (DIVR + 1)`` and ``f_out = f_vco / 2**DIVQ``. The search follows
  icestorm's ``icepll``: PFD 10-133 MHz, VCO 533-1066 MHz, input 10-133 MHz, output 16-275 MHz,
  ``FILTER_RANGE`` from the PFD frequency.

:func:`ecp5_pll_params` and :func:`ice40_pll_params` return the closest achievable frequency;
:class:`BoardPLL` instantiates the primitive and defines a clock domain at its output that is held
in reset until the PLL locks (and, as on every iCE40 build, for 15 us after that, because iCE40
block RAMs read as zeroes for about 3 us after configuration).
"""

from __future__ import annotations

import math

from amaranth import ClockDomain, ClockSignal, Const, Elaboratable, Instance, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer

__all__ = ["ecp5_pll_params", "ice40_pll_params", "pll_params", "BoardPLL",
           "ECP5_LIMITS", "ICE40_LIMITS"]

MHZ = 1e6

ECP5_LIMITS = {
    "f_in": (8 * MHZ, 400 * MHZ),
    "f_out": (3.125 * MHZ, 400 * MHZ),
    "f_pfd": (3.125 * MHZ, 400 * MHZ),
    "f_vco": (400 * MHZ, 800 * MHZ),
    "CLKI_DIV": (1, 128),
    "CLKFB_DIV": (1, 80),
    "CLKOP_DIV": (1, 128),
}

ICE40_LIMITS = {
    "f_in": (10 * MHZ, 133 * MHZ),
    "f_out": (16 * MHZ, 275 * MHZ),
    "f_pfd": (10 * MHZ, 133 * MHZ),
    "f_vco": (533 * MHZ, 1066 * MHZ),
    "DIVR": (0, 15),
    "DIVF": (0, 127),
    "DIVQ": (1, 6),
}


def _check_range(what: str, value: float, limits: tuple, family: str):
    low, high = limits
    if not (low <= value <= high):
        raise ValueError(f"{family} PLL: {what} {value / MHZ:g} MHz is outside "
                         f"{low / MHZ:g}-{high / MHZ:g} MHz")


def ecp5_pll_params(f_in_hz: float, f_out_hz: float) -> dict:
    """``EHXPLLL`` dividers that bring ``f_in_hz`` closest to ``f_out_hz``.

    Returns ``CLKI_DIV``, ``CLKFB_DIV``, ``CLKOP_DIV``, ``CLKOP_CPHASE``, ``CLKOP_FPHASE``,
    ``FEEDBK_PATH`` (always ``"CLKOP"``), and the frequencies ``f_in``, ``f_pfd``, ``f_vco`` and
    ``f_out`` (the achieved output) in Hz. Raises ``ValueError`` when the input or the requested
    output lies outside what the PLL can take or make.
    """
    lim = ECP5_LIMITS
    _check_range("input", f_in_hz, lim["f_in"], "ECP5")
    _check_range("requested output", f_out_hz, lim["f_out"], "ECP5")
    best = None
    for clki_div in range(lim["CLKI_DIV"][0], lim["CLKI_DIV"][1] + 1):
        f_pfd = f_in_hz / clki_div
        if not lim["f_pfd"][0] <= f_pfd <= lim["f_pfd"][1]:
            continue
        for clkfb_div in range(lim["CLKFB_DIV"][0], lim["CLKFB_DIV"][1] + 1):
            f_out = f_pfd * clkfb_div
            if not lim["f_out"][0] <= f_out <= lim["f_out"][1]:
                continue
            # Every CLKOP_DIV that keeps the VCO in range gives the same output; take the one
            # nearest 600 MHz, the middle of the VCO range, as ecppll does.
            low = max(lim["CLKOP_DIV"][0], math.ceil(lim["f_vco"][0] / f_out - 1e-9))
            high = min(lim["CLKOP_DIV"][1], math.floor(lim["f_vco"][1] / f_out + 1e-9))
            if low > high:
                continue
            clkop_div = min(range(low, high + 1), key=lambda d: abs(f_out * d - 600 * MHZ))
            f_vco = f_out * clkop_div
            key = (abs(f_out - f_out_hz), abs(f_vco - 600 * MHZ))
            if best is None or key < best[0]:
                best = (key, clki_div, clkfb_div, clkop_div, f_pfd, f_vco, f_out)
    if best is None:
        raise ValueError(f"ECP5 PLL: no divider setting reaches {f_out_hz / MHZ:g} MHz "
                         f"from {f_in_hz / MHZ:g} MHz")
    _, clki_div, clkfb_div, clkop_div, f_pfd, f_vco, f_out = best
    return {
        "CLKI_DIV": clki_div, "CLKFB_DIV": clkfb_div, "CLKOP_DIV": clkop_div,
        # ecppll shifts CLKOP by 180 degrees of its own period (CPHASE = half the divider), as
        # Lattice's tools do; with CLKOP as the feedback the output stays aligned to the input.
        "CLKOP_CPHASE": clkop_div // 2, "CLKOP_FPHASE": 0,
        "FEEDBK_PATH": "CLKOP",
        "f_in": float(f_in_hz), "f_pfd": f_pfd, "f_vco": f_vco, "f_out": f_out,
    }


def _ice40_filter_range(f_pfd: float) -> int:
    for bound, value in ((17, 1), (26, 2), (44, 3), (66, 4), (101, 5)):
        if f_pfd < bound * MHZ:
            return value
    return 6


def ice40_pll_params(f_in_hz: float, f_out_hz: float) -> dict:
    """``SB_PLL40_*`` dividers (``SIMPLE`` feedback) that bring ``f_in_hz`` closest to ``f_out_hz``.

    Returns ``DIVR``, ``DIVF``, ``DIVQ``, ``FILTER_RANGE``, ``FEEDBACK_PATH`` (``"SIMPLE"``) and
    the frequencies ``f_in``, ``f_pfd``, ``f_vco`` and ``f_out`` (achieved) in Hz. Raises
    ``ValueError`` when the input or the requested output is out of range.
    """
    lim = ICE40_LIMITS
    _check_range("input", f_in_hz, lim["f_in"], "iCE40")
    _check_range("requested output", f_out_hz, lim["f_out"], "iCE40")
    best = None
    for divr in range(lim["DIVR"][0], lim["DIVR"][1] + 1):
        f_pfd = f_in_hz / (divr + 1)
        if not lim["f_pfd"][0] <= f_pfd <= lim["f_pfd"][1]:
            continue
        for divf in range(lim["DIVF"][0], lim["DIVF"][1] + 1):
            f_vco = f_pfd * (divf + 1)
            if not lim["f_vco"][0] <= f_vco <= lim["f_vco"][1]:
                continue
            for divq in range(lim["DIVQ"][0], lim["DIVQ"][1] + 1):
                f_out = f_vco / (1 << divq)
                if not lim["f_out"][0] <= f_out <= lim["f_out"][1]:
                    continue
                error = abs(f_out - f_out_hz)
                if best is None or error < best[0]:  # the first of equals wins, as in icepll
                    best = (error, divr, divf, divq, f_pfd, f_vco, f_out)
    if best is None:
        raise ValueError(f"iCE40 PLL: no divider setting reaches {f_out_hz / MHZ:g} MHz "
                         f"from {f_in_hz / MHZ:g} MHz")
    _, divr, divf, divq, f_pfd, f_vco, f_out = best
    return {
        "DIVR": divr, "DIVF": divf, "DIVQ": divq, "FILTER_RANGE": _ice40_filter_range(f_pfd),
        "FEEDBACK_PATH": "SIMPLE",
        "f_in": float(f_in_hz), "f_pfd": f_pfd, "f_vco": f_vco, "f_out": f_out,
    }


def pll_params(family: str, f_in_hz: float, f_out_hz: float) -> dict:
    """:func:`ecp5_pll_params` or :func:`ice40_pll_params` by ``family`` (``"ecp5"``/``"ice40"``)."""
    if family == "ecp5":
        return ecp5_pll_params(f_in_hz, f_out_hz)
    if family == "ice40":
        return ice40_pll_params(f_in_hz, f_out_hz)
    raise ValueError(f"no PLL for FPGA family {family!r}; known: ecp5, ice40")


class BoardPLL(Elaboratable):
    """The board oscillator through a PLL, as clock domain ``domain`` (``"sync"`` by default).

    With ``domain=None`` no domain is defined: the parent drives its own domain from ``clk`` and
    ``rst`` (what :class:`boards.clocked_top.ClockedTop` does, since Amaranth 0.6 will require a
    domain to be defined in the top or a parent of its users). Requests ``platform.default_clk`` itself (so the platform no longer makes ``sync`` from the
    oscillator), instantiates the family's PLL, adds a clock constraint of the achieved frequency
    on the domain's clock (when it defines one), and holds the domain in reset until ``LOCK`` has been high (synchronized)
    for 15 us. ``frequency`` is the achieved output in Hz, ``params`` the dividers.

    ``ice40_primitive`` picks ``"SB_PLL40_PAD"`` (the default: the iCEBreaker's 12 MHz clock is on
    pin 35, IOT_46b_G0, the PLL's dedicated input pad) or ``"SB_PLL40_CORE"`` (fed from the
    clock pin's input buffer, for boards whose oscillator is not on that pad).
    """

    POR_SECONDS = 15e-6
    RESET_STAGES = 3

    def __init__(self, family: str, f_in_hz: float, f_out_hz: float, *, domain: str = "sync",
                 ice40_primitive: str = "SB_PLL40_PAD"):
        if ice40_primitive not in ("SB_PLL40_PAD", "SB_PLL40_CORE"):
            raise ValueError(f"ice40_primitive must be SB_PLL40_PAD or SB_PLL40_CORE, "
                             f"not {ice40_primitive!r}")
        self.family = family
        self.f_in_hz = float(f_in_hz)
        self.params = pll_params(family, f_in_hz, f_out_hz)
        self.frequency = self.params["f_out"]
        self.domain = domain
        self.ice40_primitive = ice40_primitive
        self.clk = Signal(name="pll_clk")  # the PLL output
        self.locked = Signal()  # LOCK, unsynchronized
        self.rst = Signal(init=1)  # synchronous to clk: high until locked for POR_SECONDS

    def elaborate(self, platform):
        m = Module()
        p = self.params
        clk_port = platform.request(platform.default_clk, dir="-")
        if self.family == "ecp5":
            m.submodules.clk_buf = clk_buf = io.Buffer("i", clk_port)
            m.submodules.pll = Instance(
                "EHXPLLL",
                a_FREQUENCY_PIN_CLKI=f"{self.f_in_hz / MHZ:g}",
                a_FREQUENCY_PIN_CLKOP=f"{self.frequency / MHZ:g}",
                a_ICP_CURRENT="12", a_LPF_RESISTOR="8",
                a_MFG_ENABLE_FILTEROPAMP="1", a_MFG_GMCREF_SEL="2",
                p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
                p_DPHASE_SOURCE="DISABLED",
                p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
                p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
                p_CLKI_DIV=p["CLKI_DIV"], p_CLKFB_DIV=p["CLKFB_DIV"],
                p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=p["CLKOP_DIV"],
                p_CLKOP_CPHASE=p["CLKOP_CPHASE"], p_CLKOP_FPHASE=p["CLKOP_FPHASE"],
                p_FEEDBK_PATH=p["FEEDBK_PATH"],
                i_CLKI=clk_buf.i, i_CLKFB=self.clk, i_RST=Const(0), i_STDBY=Const(0),
                i_PHASESEL0=Const(0), i_PHASESEL1=Const(0), i_PHASEDIR=Const(0),
                i_PHASESTEP=Const(0), i_PHASELOADREG=Const(0), i_PLLWAKESYNC=Const(0),
                i_ENCLKOP=Const(0),
                o_CLKOP=self.clk, o_LOCK=self.locked,
            )
        elif self.family == "ice40":
            common = dict(
                p_FEEDBACK_PATH=p["FEEDBACK_PATH"],
                p_DIVR=p["DIVR"], p_DIVF=p["DIVF"], p_DIVQ=p["DIVQ"],
                p_FILTER_RANGE=p["FILTER_RANGE"],
                i_RESETB=Const(1), i_BYPASS=Const(0),
                o_PLLOUTGLOBAL=self.clk, o_LOCK=self.locked,
            )
            if self.ice40_primitive == "SB_PLL40_PAD":
                # The pad feeds the PLL directly: no SB_IO of our own on the clock pin.
                m.submodules.pll = Instance("SB_PLL40_PAD", i_PACKAGEPIN=clk_port.io, **common)
            else:
                m.submodules.clk_buf = clk_buf = io.Buffer("i", clk_port)
                m.submodules.pll = Instance("SB_PLL40_CORE", i_REFERENCECLK=clk_buf.i, **common)
        else:
            raise ValueError(f"no PLL for FPGA family {self.family!r}")

        # The reset: LOCK synchronized, then a power-on delay counted at f_out.
        m.domains.pll_por = ClockDomain("pll_por", reset_less=True, local=True)
        m.d.comb += ClockSignal("pll_por").eq(self.clk)
        locked = Signal()
        m.submodules.lock_sync = FFSynchronizer(self.locked, locked, o_domain="pll_por")
        delay = max(1, int(self.POR_SECONDS * self.frequency))
        count = Signal(range(delay + 1))
        with m.If(~locked):
            m.d.pll_por += count.eq(0)
        with m.Elif(count != delay):
            m.d.pll_por += count.eq(count + 1)
        # Through RESET_STAGES registers: the counter sits beside the PLL at the chip's edge,
        # and one hop from it to the domain's reset pins across the chip was the critical
        # path of an L = 512 Ising build (run 34: 10.6 ns of routing). The placer spreads the
        # stages along the way; a few clocks more of a 15 us reset change nothing.
        stages = [Signal(init=1, name=f"rst_stage{n}") for n in range(self.RESET_STAGES)]
        m.d.pll_por += [later.eq(earlier) for earlier, later in
                        zip([~locked | (count != delay)] + stages, stages + [self.rst])]
        if self.domain is not None:
            m.domains += (cd := ClockDomain(self.domain))
            m.d.comb += [cd.clk.eq(self.clk), cd.rst.eq(self.rst)]
            # Constrain the domain's clock net: after flattening, the PLL output net takes the
            # name of the outermost signal on it, and a constraint on an inner name is ignored.
            platform.add_clock_constraint(cd.clk, self.frequency)
        return m
