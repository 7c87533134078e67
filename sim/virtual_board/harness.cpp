// The virtual board: a Verilated device top behind a TCP socket, spoken to like a USB-UART.
//
// The top (class Vtop, from `--prefix Vtop`) has inputs clk, rst, rx and outputs tx, activity.
// Bytes from the connected client are shifted into `rx` as 8N1 frames, `divisor` cycles per bit,
// back to back; `tx` is decoded by a software UART receiver that samples mid-bit, and the bytes go
// to the client. One client at a time, as a serial port in use: a second one is sent
// --busy-message and closed at once. The device keeps its state across reconnections, like a
// board whose USB cable is replugged.
//
// Speed comes from touching the kernel rarely: while the device is busy the socket is polled
// without blocking only every --poll-cycles cycles. When the device is quiet (no rx frame to
// shift, no tx frame being decoded, `activity` low, and that for --grace-cycles cycles) the clock
// stops and the harness blocks in poll(), so an idle board costs no CPU. Simulated time therefore
// does not advance while the board is idle: a design must raise `activity` whenever it needs the
// clock without UART traffic.
//
// stdout carries exactly one line, "LISTENING <port>", once the socket listens; statistics go to
// stderr on exit as one "STATS key=value ..." line. SIGTERM and SIGINT end the process promptly.

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

#ifndef BITSPIN_DEFAULT_DIVISOR
#define BITSPIN_DEFAULT_DIVISOR 16
#endif

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    uint32_t divisor = BITSPIN_DEFAULT_DIVISOR;
    uint32_t poll_cycles = 1024;     // cycles between non-blocking socket polls while busy
    int idle_timeout_ms = 50;        // poll() timeout while idle (bounds the reaction to signals)
    uint32_t grace_cycles = 0;       // quiet cycles before the clock stops; 0 = automatic
    size_t rx_queue_limit = 64 * 1024;   // stop reading the socket beyond this (TCP backpressure)
    size_t tx_buffer_limit = 1 << 20;    // stop clocking while this much output is unsent
    uint32_t gap_cycles = 0;         // idle cycles on rx after each stop bit
    bool exit_on_stdin_eof = false;
    std::string busy_message;        // sent to a second client before it is closed
};

[[noreturn]] void usage(const char *argv0, const char *problem) {
    std::fprintf(stderr,
        "%s: %s\n"
        "usage: %s [--port P] [--host ADDR] [--divisor D] [--poll-cycles N]\n"
        "          [--idle-timeout-ms MS] [--grace-cycles N] [--gap-cycles N]\n"
        "          [--exit-on-stdin-eof] [--busy-message TEXT]\n",
        argv0, problem, argv0);
    std::exit(2);
}

unsigned long parse_number(const char *argv0, const char *flag, const char *text,
                           unsigned long low, unsigned long high) {
    char *end = nullptr;
    errno = 0;
    unsigned long value = std::strtoul(text, &end, 10);
    if (errno || end == text || *end || value < low || value > high) {
        std::string problem = std::string("bad value for ") + flag + ": " + text;
        usage(argv0, problem.c_str());
    }
    return value;
}

Options parse_options(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        auto value = [&]() -> const char * {
            if (i + 1 >= argc) usage(argv[0], (flag + " needs a value").c_str());
            return argv[++i];
        };
        if (flag == "--port") o.port = (int)parse_number(argv[0], "--port", value(), 0, 65535);
        else if (flag == "--host") o.host = value();
        else if (flag == "--divisor")
            o.divisor = (uint32_t)parse_number(argv[0], "--divisor", value(), 4, 1u << 30);
        else if (flag == "--poll-cycles")
            o.poll_cycles = (uint32_t)parse_number(argv[0], "--poll-cycles", value(), 1, 1u << 30);
        else if (flag == "--idle-timeout-ms")
            o.idle_timeout_ms = (int)parse_number(argv[0], "--idle-timeout-ms", value(), 1, 60000);
        else if (flag == "--grace-cycles")
            o.grace_cycles = (uint32_t)parse_number(argv[0], "--grace-cycles", value(), 1, 1u << 30);
        else if (flag == "--gap-cycles")
            o.gap_cycles = (uint32_t)parse_number(argv[0], "--gap-cycles", value(), 0, 1u << 30);
        else if (flag == "--exit-on-stdin-eof") o.exit_on_stdin_eof = true;
        else if (flag == "--busy-message") o.busy_message = value();
        else usage(argv[0], ("unknown option " + flag).c_str());
    }
    if (o.grace_cycles == 0) {
        // Long enough for a device to turn a received frame into a reply frame (synchronizers,
        // FIFOs, a few pipeline stages) without raising `activity`: four frame times.
        o.grace_cycles = std::max<uint32_t>(4096, 40 * o.divisor);
    }
    return o;
}

#include "refused_clients.h"
#include "uart_line.h"

// User plus system time of this process: the cost of the simulation on a shared machine.
double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
        + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

int listen_on(const Options &o) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { std::perror("socket"); std::exit(1); }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)o.port);
    if (::inet_pton(AF_INET, o.host.c_str(), &address.sin_addr) != 1) {
        std::fprintf(stderr, "error: --host %s is not an IPv4 address\n", o.host.c_str());
        std::exit(1);
    }
    if (::bind(fd, (sockaddr *)&address, sizeof address) < 0) {
        std::fprintf(stderr, "error: cannot listen on %s:%d: %s\n", o.host.c_str(), o.port,
                     std::strerror(errno));
        std::exit(1);
    }
    if (::listen(fd, 4) < 0) { std::perror("listen"); std::exit(1); }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int bound_port(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(fd, (sockaddr *)&address, &length);
    return ntohs(address.sin_port);
}

class Board {
public:
    Board(const Options &o, VerilatedContext *context)
        : options_(o), top_(new Vtop{context}), driver_(o.divisor, o.gap_cycles), decoder_(o.divisor) {}

    ~Board() { top_->final(); }

    void reset() {
        top_->rx = 1;
        top_->rst = 1;
        for (int i = 0; i < 8; ++i) tick();
        top_->rst = 0;
        tick();
    }

    // Serve until a signal (or stdin EOF) asks to stop.
    void serve(int listener) {
        listener_ = listener;
        while (!g_stop) {
            bool quiet = idle();
            bool backlogged = client_ >= 0 && out_.size() - out_sent_ >= options_.tx_buffer_limit;
            // Block only when the clock may stop; a backlog of unsent output also pauses it
            // (simulated time is free to wait for a slow reader).
            service_io(quiet || backlogged ? options_.idle_timeout_ms : 0);
            if (g_stop) break;
            backlogged = client_ >= 0 && out_.size() - out_sent_ >= options_.tx_buffer_limit;
            if (!idle() && !backlogged) run(options_.poll_cycles);
        }
        flush_blocking();
    }

    const Stats &stats() const { return stats_; }

private:
    // The clock may stop: nothing to shift in, nothing coming out, and the device is quiet.
    bool idle() const {
        return driver_.queue.empty() && !driver_.active && !decoder_.busy()
            && quiet_cycles_ >= options_.grace_cycles;
    }

    inline void tick() {
        top_->clk = 1;
        top_->eval();
        top_->clk = 0;
        top_->eval();
        ++stats_.cycles;
    }

    void run(uint32_t cycles) {
        const uint32_t grace = options_.grace_cycles;
        for (uint32_t i = 0; i < cycles; ++i) {
            top_->rx = driver_.level();
            tick();
            driver_.advance();
            uint8_t tx = top_->tx;
            int byte = decoder_.sample(tx, stats_);
            if (byte >= 0) emit((uint8_t)byte);
            if (top_->activity || driver_.active || decoder_.busy() || !tx) quiet_cycles_ = 0;
            else if (quiet_cycles_ < grace) ++quiet_cycles_;
        }
    }

    void emit(uint8_t byte) {
        if (client_ < 0) { ++stats_.dropped_out; return; }
        out_.push_back(byte);
        ++stats_.bytes_out;
    }

    void accept_client() {
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) return;  // EAGAIN, or the peer gave up already
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        // Request/response protocols send short frames: do not let Nagle hold them back.
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        client_ = fd;
        ++stats_.connections;
    }

    void refuse_client() {
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        refused_.add(fd);
        ++stats_.refused;
    }

    void disconnect() {
        ::close(client_);
        client_ = -1;
        // What the departed client sent but the device has not begun to receive goes with it;
        // the frame on the line finishes. The next client starts on a quiet line.
        stats_.dropped_in += driver_.queue.size();
        driver_.queue.clear();
        out_.clear();
        out_sent_ = 0;
    }

    bool try_send() {
        while (out_sent_ < out_.size()) {
            ssize_t n = ::send(client_, out_.data() + out_sent_, out_.size() - out_sent_,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) { out_sent_ += (size_t)n; continue; }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            disconnect();
            return false;
        }
        if (out_sent_ == out_.size()) { out_.clear(); out_sent_ = 0; }
        return true;
    }

    bool try_receive() {
        uint8_t buffer[16384];
        while (driver_.queue.size() < options_.rx_queue_limit) {
            size_t room = std::min(sizeof buffer, options_.rx_queue_limit - driver_.queue.size());
            ssize_t n = ::recv(client_, buffer, room, MSG_DONTWAIT);
            if (n > 0) {
                driver_.queue.insert(driver_.queue.end(), buffer, buffer + n);
                stats_.bytes_in += (uint64_t)n;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            disconnect();  // 0: the client closed; anything else: it is gone
            return false;
        }
        return true;
    }

    void service_io(int timeout_ms) {
        refused_.service(false);
        if (client_ >= 0 && !try_send()) return;
        pollfd fds[3];
        int count = 0, stdin_index = -1;
        if (client_ >= 0) {
            short events = 0;
            if (driver_.queue.size() < options_.rx_queue_limit) events |= POLLIN;
            if (out_sent_ < out_.size()) events |= POLLOUT;
            fds[count++] = {client_, events, 0};
        }
        // The listener is polled with a client connected too: like a serial port in use, the
        // board refuses a second client at once, with a message, instead of leaving it waiting.
        int listener_index = count;
        fds[count++] = {listener_, POLLIN, 0};
        if (options_.exit_on_stdin_eof) { stdin_index = count; fds[count++] = {0, POLLIN, 0}; }
        int ready = ::poll(fds, (nfds_t)count, timeout_ms);
        if (ready <= 0) return;  // timeout, or EINTR from a signal (the caller checks g_stop)
        if (stdin_index >= 0 && fds[stdin_index].revents) {
            char scratch[256];
            ssize_t n = ::read(0, scratch, sizeof scratch);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) g_stop = 1;
        }
        // The client's events first: one that has just hung up frees the board for the next.
        if (client_ >= 0) {
            short revents = fds[0].revents;
            if (revents & (POLLIN | POLLHUP | POLLERR)) try_receive();
            if (client_ >= 0 && (revents & POLLOUT)) try_send();
        }
        if (fds[listener_index].revents & POLLIN) {
            if (client_ < 0) accept_client();
            else refuse_client();
        }
    }

    // On shutdown, hand the client what the device already sent (briefly, never forever).
    void flush_blocking() {
        refused_.service(true);
        if (client_ < 0) return;
        ::fcntl(client_, F_SETFL, ::fcntl(client_, F_GETFL) & ~O_NONBLOCK);
        timeval limit{0, 200000};
        ::setsockopt(client_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        while (out_sent_ < out_.size()) {
            ssize_t n = ::send(client_, out_.data() + out_sent_, out_.size() - out_sent_,
                               MSG_NOSIGNAL);
            if (n <= 0) break;
            out_sent_ += (size_t)n;
        }
        ::close(client_);
        client_ = -1;
    }

    const Options options_;
    std::unique_ptr<Vtop> top_;
    LineDriver driver_;
    LineDecoder decoder_;
    Stats stats_;
    uint32_t quiet_cycles_ = 0;
    int listener_ = -1;
    RefusedClients refused_{options_.busy_message};
    int client_ = -1;
    std::vector<uint8_t> out_;
    size_t out_sent_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
    Options options = parse_options(argc, argv);

    struct sigaction action{};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: poll() must return on a signal
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    auto context = std::make_unique<VerilatedContext>();
    auto board = std::make_unique<Board>(options, context.get());
    board->reset();

    int listener = listen_on(options);
    std::printf("LISTENING %d\n", bound_port(listener));
    std::fflush(stdout);

    auto started = std::chrono::steady_clock::now();
    board->serve(listener);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ::close(listener);

    const Stats &s = board->stats();
    std::fprintf(stderr,
        "STATS cycles=%llu bytes_in=%llu bytes_out=%llu dropped_in=%llu dropped_out=%llu "
        "framing_errors=%llu connections=%llu refused=%llu elapsed_s=%.3f cpu_s=%.3f "
        "divisor=%u\n",
        (unsigned long long)s.cycles, (unsigned long long)s.bytes_in,
        (unsigned long long)s.bytes_out, (unsigned long long)s.dropped_in,
        (unsigned long long)s.dropped_out, (unsigned long long)s.framing_errors,
        (unsigned long long)s.connections, (unsigned long long)s.refused, elapsed,
        cpu_seconds(), options.divisor);
    std::fflush(stderr);
    board.reset();
    return 0;
}
