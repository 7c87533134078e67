"""The frame format constants, the CRC and the timeout conversion."""

import pytest
import numpy as np
from amaranth.lib.crc import catalog

from bitspin.hw.protocol import frame_format as ff


def test_constants():
    assert (ff.REQUEST_SYNC, ff.RESPONSE_SYNC) == (0x5A, 0xA5)
    assert (ff.HEADER_BYTES, ff.CRC_BYTES, ff.MAX_PAYLOAD) == (5, 2, 1024)
    assert ff.MAX_FRAME_BYTES == 1031
    assert ff.DEFAULT_TIMEOUT_US > 0


def test_status_codes():
    assert {s.name: s.value for s in ff.Status} == {
        "OK": 0, "BAD_CRC": 1, "BAD_LENGTH": 2, "TIMEOUT": 3, "UNKNOWN_OPCODE": 4,
        "BAD_ARGUMENT": 5, "BUSY": 6}


def test_crc_is_ccitt_false_from_the_amaranth_catalog():
    assert ff.FRAME_CRC is catalog.CRC16_CCITT_FALSE
    assert ff.frame_crc(b"123456789") == 0x29B1  # the catalogue check value of CRC-16/CCITT-FALSE
    assert ff.frame_crc(b"") == 0xFFFF           # the initial value, no final XOR
    assert ff.frame_crc(bytearray(b"123456789")) == 0x29B1


def test_the_host_crc_equals_the_catalogue_reference_that_the_gateware_builds(rng):
    reference = ff.FRAME_CRC(data_width=8)
    for length in [0, 1, 2, 5, 64, 1029, *rng.integers(0, 2000, 20)]:
        data = rng.integers(0, 256, int(length), dtype=np.uint8).tobytes()
        assert ff.frame_crc(data) == reference.compute(data), length
    assert ff.frame_crc(memoryview(b"123456789")) == 0x29B1


def test_crc_detects_every_single_bit_flip():
    data = bytes(range(64))
    good = ff.frame_crc(data)
    for bit in range(8 * len(data)):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        assert ff.frame_crc(flipped) != good


@pytest.mark.parametrize("clk_freq, timeout_us, cycles", [
    (48e6, 2000, 96_000), (12_000_000, 1, 12), (1e6, 0.5, 1), (10, 1, 1), (25e6, 2.02, 51)])
def test_timeout_cycles(clk_freq, timeout_us, cycles):
    assert ff.timeout_cycles(clk_freq, timeout_us) == cycles


def test_timeout_cycles_default_is_default_timeout():
    assert ff.timeout_cycles(1e6) == ff.DEFAULT_TIMEOUT_US


@pytest.mark.parametrize("args, message", [
    ((0,), "clock frequency"), ((-1e6,), "clock frequency"), (("48e6",), "clock frequency"),
    ((48e6, 0), "timeout"), ((48e6, -5), "timeout")])
def test_timeout_cycles_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        ff.timeout_cycles(*args)
