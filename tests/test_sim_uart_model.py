"""The NumPy UART line model: round trips and framing errors."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from bitspin.sim import uart_model


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=40), divisor=st.integers(4, 40), gap=st.integers(0, 30))
def test_encode_decode_round_trip(data, divisor, gap):
    line = uart_model.encode(data, divisor, [gap] * len(data), lead_in=gap)
    assert len(line) == gap + len(data) * (10 * divisor + gap)
    assert uart_model.decode(line, divisor) == data


def test_low_stop_bit_is_a_framing_error():
    line = uart_model.encode(b"\x00", 8)
    line[-8:] = 0
    with pytest.raises(uart_model.FramingError, match="stop bit"):
        uart_model.decode(np.concatenate([line, np.ones(100, np.uint8)]), 8)


def test_truncated_frame_is_a_framing_error():
    with pytest.raises(uart_model.FramingError, match="cut off"):
        uart_model.decode(uart_model.encode(b"\x42", 8)[:-20], 8)
