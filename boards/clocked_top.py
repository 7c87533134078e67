"""Run any board top at a PLL-made clock instead of the board's oscillator.

:class:`ClockedTop` elaborates a :class:`boards.pll.BoardPLL` and defines ``sync`` at the PLL
output, held in reset until the PLL locks (so the platform no longer derives ``sync`` from the oscillator), and elaborates the inner
top with a *platform proxy*: the real platform in every respect except that
``default_clk_frequency`` answers the PLL's achieved frequency. The inner tops
(:class:`boards.uart_top.UARTPinsTop`, :class:`boards.core_harness.CoreHarness`) read that
attribute to size their UART divisors, so they need no change and no new parameter; the proxy
reaches every submodule because Amaranth hands the platform it was given down the hierarchy.
"""

from __future__ import annotations

from amaranth import ClockDomain, Elaboratable, Fragment, Module, Signal

from .catalog import board_by_name
from .pll import BoardPLL

__all__ = ["ClockedTop", "clocked_for_board"]


class _PLLClockedPlatform:
    """The platform, except that ``default_clk_frequency`` is the PLL output's."""

    def __init__(self, platform, frequency: float):
        object.__setattr__(self, "_platform", platform)
        object.__setattr__(self, "default_clk_frequency", float(frequency))

    def __getattr__(self, name):
        return getattr(self._platform, name)

    def __setattr__(self, name, value):
        setattr(self._platform, name, value)


class _OnPlatform(Elaboratable):
    """Elaborates ``inner`` with ``platform`` instead of the one the build passes down."""

    def __init__(self, inner, platform):
        self.inner = inner
        self.platform = platform

    def elaborate(self, platform):
        return Fragment.get(self.inner, self.platform)


class ClockedTop(Elaboratable):
    """``inner_top`` clocked by the board PLL at (the closest achievable to) ``f_out_hz``.

    ``f_in_hz`` is the board oscillator; when ``None`` it is read from the platform at
    elaboration, and ``frequency``/``pll_params`` are known only after that. Pass it (as
    :func:`clocked_for_board` does) to know the achieved frequency before building.
    """

    CLOCK_NET = "CLK_PLL"  # the clock's name in nextpnr's report

    def __init__(self, inner_top, family: str, f_out_hz: float, *, f_in_hz: float | None = None,
                 ice40_primitive: str = "SB_PLL40_PAD"):
        self.inner_top = inner_top
        self.family = family
        self.f_out_hz = float(f_out_hz)
        self.ice40_primitive = ice40_primitive
        self.pll = None
        if f_in_hz is not None:
            self.pll = BoardPLL(family, f_in_hz, f_out_hz, domain=None,
                                ice40_primitive=ice40_primitive)

    @property
    def frequency(self) -> float | None:
        """The achieved core clock in Hz (``None`` until the input frequency is known)."""
        return self.pll.frequency if self.pll is not None else None

    @property
    def pll_params(self) -> dict | None:
        return self.pll.params if self.pll is not None else None

    def elaborate(self, platform):
        m = Module()
        if self.pll is None:
            self.pll = BoardPLL(self.family, platform.default_clk_frequency, self.f_out_hz,
                                domain=None, ice40_primitive=self.ice40_primitive)
        m.submodules.pll = self.pll
        m.domains.sync = sync = ClockDomain("sync")
        # The clock constraint needs a name that nextpnr knows. Amaranth writes the constraint
        # with the name a signal has in the *last* module that uses it (for ``sync.clk``, some
        # deep submodule), while Yosys names the flattened net after the lexicographically
        # smallest public wire on it. A signal used only in this module, with a name that sorts
        # first, gets the same name from both.
        net = Signal(name=self.CLOCK_NET)
        m.d.comb += [net.eq(self.pll.clk), sync.clk.eq(net), sync.rst.eq(self.pll.rst)]
        platform.add_clock_constraint(net, self.pll.frequency)
        m.submodules.inner = _OnPlatform(self.inner_top,
                                         _PLLClockedPlatform(platform, self.pll.frequency))
        return m


def clocked_for_board(inner_top, board: str, f_out_hz: float) -> ClockedTop:
    """:class:`ClockedTop` for a board of :mod:`boards.catalog` by name (raises ``ValueError``
    at once if the PLL cannot reach ``f_out_hz`` from the board's oscillator)."""
    spec = board_by_name(board)
    return ClockedTop(inner_top, spec.family, f_out_hz, f_in_hz=spec.clock_hz)
