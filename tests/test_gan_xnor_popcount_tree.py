"""XnorPopcount (hw/gan/xnor_popcount_tree.py): the plain logic against Python, and its
hand-mapped ECP5 cells proved equal to the plain logic (``ecp5_proof``)."""

import pytest

from bitspin.hw.gan import ecp5_adders
from bitspin.hw.gan.xnor_popcount_tree import XnorPopcount
from tests.ecp5_proof import prove_equal_on_ecp5
from tests.pysim import comb_outputs


@pytest.mark.parametrize("bits", [4, 16, 64])
def test_the_plain_count_matches_python(bits, rng):
    def word():
        return sum(int(b) << i for i, b in enumerate(rng.integers(0, 2, bits)))

    cases = [(word(), word()) for _ in range(100)]
    cases += [(0, 0), (0, (1 << bits) - 1)]
    dut = XnorPopcount(bits)
    seen = comb_outputs(dut, (dut.a, dut.w), cases, dut.count)
    assert seen == [bits - bin(a ^ w).count("1") for a, w in cases]


@pytest.mark.parametrize("bits", [8, 16, 32, 64, 128])
def test_the_ecp5_cells_are_the_plain_logic(bits, tmp_path):
    prove_equal_on_ecp5(lambda: XnorPopcount(bits), tmp_path)


@pytest.mark.parametrize("name, wrong", [("BIT_INIT", 0x0606), ("START_INIT", 0x0002)])
def test_a_broken_adder_is_caught(name, wrong, tmp_path, monkeypatch):
    """The proof is not vacuous: a wrong INIT in the adders' chains fails it."""
    monkeypatch.setattr(ecp5_adders, name, wrong)
    with pytest.raises(AssertionError):
        prove_equal_on_ecp5(lambda: XnorPopcount(16), tmp_path)


def test_bad_widths_are_refused():
    for bits in (2, 12, 0):
        with pytest.raises(ValueError, match="power of two"):
            XnorPopcount(bits)
