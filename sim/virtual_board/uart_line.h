// The UART line of the virtual board, both ways: the driver that shifts the client's bytes into
// the device as 8N1 frames, and the decoder of the device's tx line. Included once, by
// harness.cpp, inside its anonymous namespace.
#pragma once

struct Stats {
    uint64_t cycles = 0;
    uint64_t bytes_in = 0;        // read from clients and shifted into rx
    uint64_t bytes_out = 0;       // decoded from tx and queued for a client
    uint64_t dropped_in = 0;      // received but still queued when their client left
    uint64_t dropped_out = 0;     // decoded from tx while no client was connected
    uint64_t framing_errors = 0;  // tx frames whose stop bit was low
    uint64_t connections = 0;
    uint64_t refused = 0;         // clients turned away because another was connected
};

// The UART line into the device: 8N1 frames of queued bytes, LSB first, each followed by
// `gap` idle cycles (none by default: back to back, as a USB-UART bridge sends a burst).
struct LineDriver {
    LineDriver(uint32_t divisor, uint32_t gap) : divisor(divisor), gap(gap) {}
    uint32_t divisor;
    uint32_t gap;
    std::deque<uint8_t> queue;
    bool active = false;
    uint32_t frame = 0;      // shifted out LSB first: start bit, 8 data bits, then ones
    uint32_t bits_left = 0;  // 0 while in the gap after the stop bit
    uint32_t timer = 0;

    // The level of rx during the coming cycle.
    uint8_t level() {
        if (!active) {
            if (queue.empty()) return 1;
            frame = (~0u << 9) | (uint32_t(queue.front()) << 1);
            queue.pop_front();
            active = true;
            bits_left = 10;
            timer = divisor;
        }
        return frame & 1;
    }

    // One cycle has passed.
    void advance() {
        if (!active || --timer != 0) return;
        if (bits_left == 0) { active = false; return; }  // the gap is over
        frame >>= 1;
        timer = divisor;
        if (--bits_left == 0) {
            if (gap == 0) active = false;
            else timer = gap;
        }
    }
};

// The UART line out of the device, decoded like a USB-UART bridge does: a falling edge starts a
// frame, each bit is sampled in its middle, and a low stop bit is a framing error.
struct LineDecoder {
    enum State : uint8_t { IDLE, START, DATA, STOP, BREAK };
    explicit LineDecoder(uint32_t divisor) : divisor(divisor) {}
    uint32_t divisor;
    State state = IDLE;
    uint32_t timer = 0;
    uint32_t bit = 0;
    uint32_t shreg = 0;

    bool busy() const { return state != IDLE; }

    // Feed the line level after one clock edge; returns a decoded byte, or -1.
    int sample(uint8_t tx, Stats &stats) {
        switch (state) {
        case IDLE:
            if (!tx) { state = START; timer = divisor / 2; }
            return -1;
        case START:
            if (--timer == 0) {
                if (tx) state = IDLE;  // a glitch, not a start bit
                else { state = DATA; timer = divisor; bit = 0; shreg = 0; }
            }
            return -1;
        case DATA:
            if (--timer == 0) {
                shreg |= uint32_t(tx) << bit;
                timer = divisor;
                if (++bit == 8) state = STOP;
            }
            return -1;
        case STOP:
            if (--timer == 0) {
                if (tx) { state = IDLE; return int(shreg); }
                ++stats.framing_errors;
                state = BREAK;
            }
            return -1;
        case BREAK:
            if (tx) state = IDLE;  // wait for the line to return high before hunting again
            return -1;
        }
        return -1;
    }
};
