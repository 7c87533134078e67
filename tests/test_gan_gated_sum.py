"""GatedSum (hw/gan/gated_sum.py): the plain logic against Python, and its hand-mapped ECP5
cells proved equal to the plain logic (``ecp5_proof``)."""

import pytest

from bitspin.hw.gan import ecp5_adders
from bitspin.hw.gan.gated_sum import GatedSum
from tests.ecp5_proof import prove_equal_on_ecp5
from tests.pysim import comb_outputs


@pytest.mark.parametrize("terms, weight_bits", [(2, 2), (8, 6), (16, 4)])
def test_the_plain_sum_matches_python(terms, weight_bits, rng):
    low, high = -(1 << (weight_bits - 1)), 1 << (weight_bits - 1)
    cases = []
    for _ in range(100):
        a = [int(v) for v in rng.integers(0, 2, terms)]
        w = [int(v) for v in rng.integers(low, high, terms)]
        cases.append((a, w))
    cases.append(([1] * terms, [low] * terms))              # the most negative sum
    dut = GatedSum(terms, weight_bits)
    packed = [(sum(b << i for i, b in enumerate(a)),
               sum((v & ((1 << weight_bits) - 1)) << (i * weight_bits) for i, v in enumerate(w)))
              for a, w in cases]
    seen = comb_outputs(dut, (dut.a, dut.w), packed, dut.total)
    assert seen == [sum(v for b, v in zip(a, w) if b) for a, w in cases]


@pytest.mark.parametrize("terms, weight_bits", [(2, 2), (2, 6), (8, 6), (8, 4)])
def test_the_ecp5_cells_are_the_plain_logic(terms, weight_bits, tmp_path):
    prove_equal_on_ecp5(lambda: GatedSum(terms, weight_bits), tmp_path)


@pytest.mark.parametrize("name, wrong", [("GATED_INIT", 0x7088), ("START_FROM_A_INIT", 0x0000)])
def test_a_broken_chain_is_caught(name, wrong, tmp_path, monkeypatch):
    """The proof is not vacuous: a wrong INIT in the gated adders fails it."""
    monkeypatch.setattr(ecp5_adders, name, wrong)
    with pytest.raises(AssertionError):
        prove_equal_on_ecp5(lambda: GatedSum(4, 6), tmp_path)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="terms"):
        GatedSum(6, 6)
    with pytest.raises(ValueError, match="weight_bits"):
        GatedSum(8, 1)
