"""FrameDecoder and FrameEncoder in Amaranth's Python simulator, against the host reference.

The decoder must report exactly the events that ``FrameParser`` reports for the same bytes
(``FrameParser.expire`` standing in for the inter-byte timeout), and the encoder must send exactly
the bytes of ``encode_response``.
"""

import random

import pytest
from amaranth.sim import Simulator
from hypothesis import event, given, settings, strategies as st

from bitspin.hw.protocol import FrameDecoder, FrameEncoder, MAX_PAYLOAD, REQUEST_SYNC, Status
from bitspin.sw.device.frames import Frame, FrameError, FrameParser, encode_request, encode_response

MAX_P = 16       # small buffers keep the simulations short and make BAD_LENGTH easy to hit
TIMEOUT = 64     # cycles
SHORT_GAP = TIMEOUT // 2
GIVE_UP = 3_000  # cycles to wait for the decoder to catch up before calling it stuck


def flip_bit(frame: bytes, bit: int) -> bytes:
    out = bytearray(frame)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


async def idle(ctx, cycles):
    """``cycles`` clock edges, possibly none."""
    if cycles > 0:
        await ctx.tick().repeat(cycles)


async def put(ctx, stream, payload):
    """Transfer ``payload`` on ``stream``; return how many clocks ``ready`` held it back."""
    ctx.set(stream.payload, payload)
    ctx.set(stream.valid, 1)
    for stalls in range(GIVE_UP):
        _, _, ready = await ctx.tick().sample(stream.ready)  # ready as the edge saw it
        if ready:
            ctx.set(stream.valid, 0)
            return stalls
    raise AssertionError(f"the stream was not ready for {GIVE_UP} clocks")


def run_decoder(chunks, *, max_payload=MAX_P, timeout_cycles=TIMEOUT, seed=0, read_order=None,
                ack_delays=(0, 0, 1, 5, 40)):
    """Feed ``chunks`` of ``(bytes, gap)`` to a FrameDecoder; return (events, expected, stats).

    ``gap`` is "short" (fewer quiet cycles than the timeout), or "long": the line stays quiet
    until the decoder has reported what the reference expects (a TIMEOUT included, if the
    reference is inside a frame), then for another timeout. The consumer acknowledges events
    after a delay drawn from ``ack_delays``, so the decoder's buffer fills and ``i.ready`` falls
    at times.
    """
    dut = FrameDecoder(max_payload, timeout_cycles=timeout_cycles)
    reference = FrameParser(REQUEST_SYNC, max_payload)
    rand = random.Random(seed)
    events, expected = [], []
    stats = {"stalls": 0}
    finished = []

    async def producer(ctx):
        for data, gap in chunks:
            for byte in data:
                if rand.random() < 0.1:
                    await idle(ctx, rand.randrange(1, 4))
                stats["stalls"] += await put(ctx, dut.i, byte)
            expected.extend(reference.feed(data))
            if gap == "long":
                expected.extend(reference.expire())
                for _ in range(GIVE_UP):
                    if len(events) >= len(expected):
                        break
                    await ctx.tick()
                await idle(ctx, timeout_cycles + 2)
            elif data:
                # An empty chunk adds no quiet time: two short gaps in a row could otherwise add
                # up past the timeout, which the reference parser only applies on "long".
                await idle(ctx, rand.randrange(SHORT_GAP))
        # The line stays quiet at the end: the decoder finishes what it holds, and times out on
        # a partial frame.
        expected.extend(reference.expire())
        for _ in range(GIVE_UP):
            if len(events) >= len(expected):
                break
            await ctx.tick()
        await idle(ctx, timeout_cycles + 4 * dut.buffer_depth)
        finished.append(True)

    async def consumer(ctx):
        while not finished:
            await ctx.tick()
            if ctx.get(dut.frame.valid):
                header = ctx.get(dut.frame.payload)
                length = header.length
                order = list(range(length)) if read_order is None else read_order(length)
                payload = bytearray(length)
                for addr in order:
                    ctx.set(dut.payload_addr, addr)
                    await ctx.tick()
                    payload[addr] = ctx.get(dut.payload_data)
                await idle(ctx, rand.choice(ack_delays))
                ctx.set(dut.frame.ready, 1)
                await ctx.tick()
                ctx.set(dut.frame.ready, 0)
                events.append(Frame(REQUEST_SYNC, header.opcode, header.seq, bytes(payload)))
            elif ctx.get(dut.error.valid):
                error = ctx.get(dut.error.payload)
                await idle(ctx, rand.choice(ack_delays))
                ctx.set(dut.error.ready, 1)
                await ctx.tick()
                ctx.set(dut.error.ready, 0)
                events.append(FrameError(Status(error.status), error.seq))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    return events, expected, stats


# Pieces of a byte stream: good frames, frames with a bit flipped, cut-off frames, frames whose
# length is too long, and garbage rich in sync bytes.
payloads = st.lists(st.one_of(st.integers(0, 255), st.just(REQUEST_SYNC)),
                    max_size=MAX_P).map(bytes)
good_frames = st.builds(encode_request, st.integers(0, 255), st.integers(0, 255), payloads)
pieces = st.one_of(
    good_frames,
    st.builds(flip_bit, good_frames, st.integers(0, 8 * (MAX_P + 7) - 1)),
    st.builds(lambda frame, cut: frame[:cut % len(frame)], good_frames, st.integers(0, 1000)),
    st.builds(lambda seq, length, rest: bytes([REQUEST_SYNC, 1, seq]) +
              length.to_bytes(2, "little") + rest,
              st.integers(0, 255), st.integers(MAX_P + 1, 0xFFFF), st.binary(max_size=4)),
    st.lists(st.sampled_from([REQUEST_SYNC, 0x00, 0x01, 0xFF]), max_size=8).map(bytes),
    st.binary(max_size=8),
)


@settings(max_examples=60, deadline=None)
@given(chunks=st.lists(st.tuples(pieces, st.sampled_from(["short", "short", "short", "long"])),
                       min_size=1, max_size=8),
       seed=st.integers(0, 2**32 - 1))
def test_decoder_matches_reference_parser(chunks, seed):
    events, expected, stats = run_decoder(chunks, seed=seed)
    assert events == expected
    for kind in {e.status.name if isinstance(e, FrameError) else "good frame" for e in events}:
        event(f"reported {kind}")
    if stats["stalls"]:
        event("back-pressure")


def test_decoder_timeout_drops_partial_frame_and_recovers():
    before = encode_request(0x01, 0x99, b"")  # leaves its seq behind in the decoder
    good = encode_request(0x12, 0x34, b"hello")
    for cut in (1, 2, 3, 7, len(good) - 1):
        chunks = [(before, "short"), (good[:cut], "long"), (good, "short")]
        events, expected, _ = run_decoder(chunks)
        seq = good[2] if cut > 2 else 0
        assert events == [Frame(REQUEST_SYNC, 0x01, 0x99, b""), FrameError(Status.TIMEOUT, seq),
                          Frame(REQUEST_SYNC, 0x12, 0x34, b"hello")]
        assert events == expected


def test_decoder_short_gaps_do_not_time_out():
    good = encode_request(7, 8, bytes(range(12)))
    # Every byte on its own, each after up to SHORT_GAP + 4 quiet clocks: just under the timeout.
    dut_chunks = [(bytes([b]), "short") for b in good]
    events, _, _ = run_decoder(dut_chunks, timeout_cycles=SHORT_GAP + 8)
    assert events == [Frame(REQUEST_SYNC, 7, 8, bytes(range(12)))]


def test_decoder_back_to_back_frames_wrap_the_buffer():
    # Far more bytes than the 32-byte buffer holds: the pointers wrap many times.
    frames = [encode_request(i, (i * 37) & 0xFF,
                             bytes((i + j) & 0xFF for j in range(i % (MAX_P + 1))))
              for i in range(60)]
    events, expected, stats = run_decoder([(b"".join(frames), "short")])
    assert events == expected
    assert [event.code for event in events] == list(range(60))
    assert stats["stalls"] > 0  # the buffer filled and pushed back, and nothing was lost


def test_decoder_rescans_a_rejected_frame_while_its_buffer_is_full():
    hidden = encode_request(0x33, 3, b"")
    # The stray sync reads the hidden frame as a header of length 3, swallows it, fails its CRC,
    # and must then find it by rescanning, after the buffer has filled during the slow
    # acknowledgement of the BAD_CRC: the bytes after the rejected sync must have survived.
    data = bytes([REQUEST_SYNC]) + hidden + bytes(60) + encode_request(1, 2, b"end")
    events, expected, stats = run_decoder([(data, "short")], ack_delays=(100,))
    assert events == expected == [FrameError(Status.BAD_CRC, 0x33),
                                  Frame(REQUEST_SYNC, 0x33, 3, b""),
                                  Frame(REQUEST_SYNC, 1, 2, b"end")]
    assert stats["stalls"] > 0


def test_decoder_payload_read_port_is_random_access():
    payload = bytes(range(100, 100 + MAX_P))
    frame = encode_request(1, 2, payload)
    events, _, _ = run_decoder([(frame, "short")], read_order=lambda n: list(reversed(range(n))))
    assert events == [Frame(REQUEST_SYNC, 1, 2, payload)]


def test_decoder_length_limit_is_inclusive():
    at_limit = encode_request(1, 1, bytes(MAX_P))
    over = encode_request(2, 2, bytes(MAX_P + 1))
    events, expected, _ = run_decoder([(over + at_limit, "short")])
    assert events == expected
    assert events[0] == FrameError(Status.BAD_LENGTH, 2)
    assert events[-1] == Frame(REQUEST_SYNC, 1, 1, bytes(MAX_P))


@pytest.mark.parametrize("kwargs, message", [
    ({"max_payload": 0, "timeout_cycles": 10}, "max_payload"),
    ({"max_payload": MAX_PAYLOAD + 1, "timeout_cycles": 10}, "max_payload"),
    ({"max_payload": 16, "timeout_cycles": 0}, "timeout_cycles"),
    ({"max_payload": 16, "timeout_cycles": 2.5}, "timeout_cycles"),
])
def test_decoder_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FrameDecoder(**kwargs)


def test_decoder_buffer_holds_a_whole_frame():
    assert FrameDecoder(timeout_cycles=1).buffer_depth == 2048
    assert FrameDecoder(16, timeout_cycles=1).buffer_depth == 32
    assert FrameDecoder(25, timeout_cycles=1).buffer_depth == 32


def run_encoder(responses, *, max_payload=MAX_P, seed=0):
    """Send ``(status, seq, payload)`` responses through a FrameEncoder with random stalls on
    both sides; return the bytes that came out."""
    dut = FrameEncoder(max_payload)
    rand = random.Random(seed)
    expected_bytes = sum(len(encode_response(*r)) for r in responses)
    out = bytearray()

    async def source(ctx):
        for status, seq, payload in responses:
            await put(ctx, dut.header, {"status": status, "seq": seq, "length": len(payload)})
            for byte in payload:
                if rand.random() < 0.2:
                    await idle(ctx, rand.randrange(1, 3))
                await put(ctx, dut.i, byte)

    async def sink(ctx):
        for _ in range(GIVE_UP):
            if len(out) >= expected_bytes:
                break
            ready = rand.random() < 0.7
            ctx.set(dut.o.ready, ready)
            _, _, valid, byte = await ctx.tick().sample(dut.o.valid, dut.o.payload)
            if valid and ready:
                out.append(byte)
        ctx.set(dut.o.ready, 1)
        for _ in range(20):  # and not a byte more
            _, _, valid = await ctx.tick().sample(dut.o.valid)
            assert not valid

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(source)
    sim.add_testbench(sink)
    sim.run()
    return bytes(out)


@settings(max_examples=30, deadline=None)
@given(responses=st.lists(st.tuples(st.sampled_from(list(Status)), st.integers(0, 255),
                                    st.binary(max_size=MAX_P)), min_size=1, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_encoder_matches_encode_response(responses, seed):
    out = run_encoder(responses, seed=seed)
    assert out == b"".join(encode_response(*r) for r in responses)


def test_encoder_empty_payload_and_full_payload():
    responses = [(Status.OK, 0, b""), (Status.BUSY, 255, bytes(range(MAX_P))),
                 (Status.BAD_CRC, 9, b"")]
    assert run_encoder(responses) == b"".join(encode_response(*r) for r in responses)


def test_encoder_output_decodes_on_the_host():
    responses = [(Status.OK, n, bytes([n] * (n % 5))) for n in range(6)]
    parser = FrameParser(sync=0xA5, max_payload=MAX_P)
    frames = parser.feed(run_encoder(responses, seed=3))
    assert [(f.code, f.seq, f.payload) for f in frames] == responses


def test_encoder_rejects_bad_max_payload():
    with pytest.raises(ValueError, match="max_payload"):
        FrameEncoder(0)
