"""Host frames: encoding, and the incremental parser that is also the decoder's reference."""

import pytest
from hypothesis import assume, given, settings, strategies as st

from bitspin.hw.protocol.frame_format import (MAX_FRAME_BYTES, MAX_PAYLOAD, REQUEST_SYNC, RESPONSE_SYNC,
                                      Status, frame_crc)
from bitspin.sw.device.frames import (Frame, FrameError, FrameParser, encode_frame, encode_request,
                              encode_response)

PADDING = bytes(MAX_FRAME_BYTES)  # enough zeros to complete any candidate frame; no sync byte

payloads = st.lists(st.one_of(st.integers(0, 255), st.just(REQUEST_SYNC)), max_size=40).map(bytes)
requests = st.builds(Frame, st.just(REQUEST_SYNC), st.integers(0, 255), st.integers(0, 255),
                     payloads)


def frames_of(events):
    return [e for e in events if isinstance(e, Frame)]


def test_encode_layout():
    frame = encode_request(0x10, 0x20, b"\x01\x02\x03")
    assert frame[:5] == bytes([0x5A, 0x10, 0x20, 3, 0])
    assert frame[5:8] == b"\x01\x02\x03"
    assert frame[8:] == frame_crc(frame[1:8]).to_bytes(2, "little")
    assert encode_response(Status.BUSY, 7)[:5] == bytes([0xA5, 6, 7, 0, 0])
    assert len(encode_request(0, 0, bytes(MAX_PAYLOAD))) == MAX_FRAME_BYTES
    assert encode_request(1, 2, b"ab") == encode_frame(REQUEST_SYNC, 1, 2, b"ab")


@pytest.mark.parametrize("args, message", [
    ((0x00, 1, 2), "sync"), ((True, 1, 2), "sync"), ((REQUEST_SYNC, 256, 0), "code"),
    ((REQUEST_SYNC, -1, 0), "code"), ((REQUEST_SYNC, 0, 300), "seq"),
    ((REQUEST_SYNC, 0, 1.0), "seq"), ((REQUEST_SYNC, 0, 0, "text"), "payload must be bytes"),
    ((REQUEST_SYNC, 0, 0, bytes(MAX_PAYLOAD + 1)), "at most 1024")])
def test_encode_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        encode_frame(*args)


@pytest.mark.parametrize("kwargs", [{"sync": 0x12}, {"max_payload": 0},
                                    {"max_payload": MAX_PAYLOAD + 1}])
def test_parser_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        FrameParser(**kwargs)


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(requests, max_size=6), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_round_trip_in_any_split(frames, cuts):
    data = b"".join(f.encode() for f in frames)
    parser = FrameParser()
    events = []
    start = 0
    for cut in sorted(cuts) + [len(data)]:
        events += parser.feed(data[start:cut])
        start = max(start, cut)
    assert events == frames
    assert not parser.in_frame


def test_responses_parse_with_the_response_sync_only():
    data = encode_response(Status.OK, 1, b"x") + encode_request(0, 2, b"y")
    assert FrameParser(RESPONSE_SYNC).feed(data) == [Frame(RESPONSE_SYNC, 0, 1, b"x")]
    assert FrameParser(REQUEST_SYNC).feed(data) == [Frame(REQUEST_SYNC, 0, 2, b"y")]
    assert Frame(RESPONSE_SYNC, 3, 0).status is Status.TIMEOUT
    assert Frame(RESPONSE_SYNC, 0x77, 0).status == 0x77


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.one_of(requests, st.binary(max_size=12),
                                st.lists(st.sampled_from([REQUEST_SYNC, 0, 1, 0xFF]),
                                         max_size=8).map(bytes)), max_size=10))
def test_every_intact_frame_is_recovered_from_garbage(items):
    intact = [item for item in items if isinstance(item, Frame)]
    data = b"".join(item.encode() if isinstance(item, Frame) else item for item in items)
    found = frames_of(FrameParser().feed(data + PADDING))
    # Garbage that happens to form a frame with a matching CRC (odds about 2**-16 per stray
    # sync byte) may swallow a real frame; hypothesis would report such an example as rare luck.
    spurious = [f for f in found if f not in intact]
    assume(not spurious)
    assert found == intact


@settings(max_examples=300, deadline=None)
@given(frame=requests, bit=st.integers(0, 10**6))
def test_a_flipped_bit_outside_the_length_is_always_a_crc_error(frame, bit):
    data = bytearray(frame.encode())
    positions = [i for i in range(1, len(data)) if i not in (3, 4)]  # not sync, not length
    position = positions[bit % len(positions)]
    data[position] ^= 1 << (bit // len(positions) % 8)
    events = FrameParser().feed(bytes(data) + PADDING)
    assert events[0] == FrameError(Status.BAD_CRC, data[2])
    assert not frames_of(events)  # the rescan finds no frame inside a real one's bytes


def test_a_flipped_length_bit_never_gives_a_good_frame():
    for payload in (b"", b"abc", bytes(range(40)), bytes([REQUEST_SYNC] * 30), bytes(200)):
        data = encode_request(0x42, 0x17, payload)
        for bit in range(16):
            flipped = bytearray(data)
            flipped[3 + bit // 8] ^= 1 << (bit % 8)
            events = FrameParser().feed(bytes(flipped) + PADDING)
            assert events and events[0] in (FrameError(Status.BAD_CRC, 0x17),
                                             FrameError(Status.BAD_LENGTH, 0x17))
            assert not frames_of(events)


def test_a_flipped_sync_bit_loses_only_that_frame():
    first, second = encode_request(1, 1, b"one"), encode_request(2, 2, b"two")
    assert FrameParser().feed(bytes([first[0] ^ 0x08]) + first[1:] + second) == \
        [Frame(REQUEST_SYNC, 2, 2, b"two")]


def test_length_over_the_maximum_is_rejected_from_the_header_alone():
    parser = FrameParser()
    header = bytes([REQUEST_SYNC, 0, 9]) + (MAX_PAYLOAD + 1).to_bytes(2, "little")
    assert parser.feed(header) == [FrameError(Status.BAD_LENGTH, 9)]
    assert not parser.in_frame
    small = FrameParser(max_payload=8)
    assert small.feed(encode_request(0, 3, bytes(9)) + encode_request(0, 4, bytes(8))) == \
        [FrameError(Status.BAD_LENGTH, 3), Frame(REQUEST_SYNC, 0, 4, bytes(8))]


def test_a_frame_behind_a_stray_sync_is_found_after_the_rejection():
    good = encode_request(5, 6, b"payload")
    # The stray sync makes a candidate of length 0xFFFF: rejected at once, then resync.
    assert FrameParser().feed(b"\x5a\x00\x01\xff\xff" + good) == \
        [FrameError(Status.BAD_LENGTH, 1), Frame(REQUEST_SYNC, 5, 6, b"payload")]
    # A plausible length: the candidate swallows the real frame, fails its CRC, and the rescan
    # from the byte after the stray sync finds the real frame inside it.
    stray = b"\x5a\x00\x02\x20\x00"  # length 32
    events = FrameParser().feed(stray + good + PADDING[:32])
    assert events == [FrameError(Status.BAD_CRC, 2), Frame(REQUEST_SYNC, 5, 6, b"payload")]


@settings(max_examples=200, deadline=None)
@given(frame=requests, cut=st.integers(0, 10**6), follower=requests)
def test_truncated_frame_then_a_good_one(frame, cut, follower):
    data = frame.encode()
    cut = cut % len(data)
    truncated = data[:cut]
    # Fed on, the truncated frame swallows bytes of the next one until its CRC fails; the rescan
    # then finds the next frame.
    events = FrameParser().feed(truncated + follower.encode() + PADDING)
    # The swallowed bytes can complete a valid CRC by chance: 1 in 256 when only the last CRC
    # byte was cut (the frame is then exactly ``frame``, so nothing is corrupted; the device's
    # inter-byte timeout normally drops such a partial frame first, see below), 1 in 65 536
    # otherwise. Hypothesis finds such collisions; they are outside this property.
    assume(not (cut > 0 and events and isinstance(events[0], Frame)))
    assert frames_of(events) == [follower]
    assert all(isinstance(e, FrameError) for e in events[:-1])
    assert (len(events) > 1) == (cut > 0)  # a cut frame starts with its sync byte
    # With the timeout in between, the partial frame is dropped and reported instead.
    parser = FrameParser()
    assert parser.feed(truncated) == []
    assert parser.in_frame == (cut > 0)
    assert parser.expire() == ([FrameError(Status.TIMEOUT, data[2] if cut > 2 else 0)]
                               if cut > 0 else [])
    assert parser.expire() == []
    assert parser.feed(follower.encode()) == [follower]


def test_reset_drops_a_partial_frame_silently():
    parser = FrameParser()
    good = encode_request(1, 2, b"abc")
    assert parser.feed(good[:6]) == [] and parser.in_frame
    parser.reset()
    assert not parser.in_frame
    assert parser.feed(good) == [Frame(REQUEST_SYNC, 1, 2, b"abc")]


@settings(max_examples=300, deadline=None)
@given(soup=st.binary(max_size=300) | st.lists(st.sampled_from([0x5A, 0x00, 0x01, 0xFF, 0x04]),
                                                max_size=300).map(bytes),
       cuts=st.lists(st.integers(0, 300), max_size=8), max_payload=st.sampled_from([1, 16, 1024]))
def test_byte_soup_never_raises_and_does_not_depend_on_the_split(soup, cuts, max_payload):
    whole = FrameParser(max_payload=max_payload)
    expected = whole.feed(soup) + whole.expire()
    parser = FrameParser(max_payload=max_payload)
    events = []
    start = 0
    for cut in sorted(cuts) + [len(soup)]:
        events += parser.feed(soup[start:cut])
        start = max(start, cut)
    events += parser.expire()
    assert events == expected
    for event in events:
        assert isinstance(event, (Frame, FrameError))
        if isinstance(event, FrameError):
            assert event.status in (Status.BAD_CRC, Status.BAD_LENGTH, Status.TIMEOUT)
        else:
            assert len(event.payload) <= max_payload
