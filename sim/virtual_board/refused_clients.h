// Clients turned away while another is connected (see harness.cpp).
//
// A refused client is kept, its input discarded, until it hangs up or kHoldMs pass; the busy
// message answers its first bytes. Sent at once, the message could be discarded by a client
// that empties its input right after connecting (pyserial does); and closing at once with a
// request unread would reset the connection, which can lose the message too.
#pragma once

#include <cerrno>
#include <chrono>
#include <string>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>
#include <utility>
#include <vector>

class RefusedClients {
public:
    static constexpr int kHoldMs = 5000;

    explicit RefusedClients(std::string message) : message_(std::move(message)) {}

    void add(int fd) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        held_.push_back({fd, std::chrono::steady_clock::now() + std::chrono::milliseconds(kHoldMs),
                         false});
    }

    // Discard what the held clients sent; close those that left, timed out, or (all) every one.
    void service(bool all) {
        auto now = std::chrono::steady_clock::now();
        for (size_t i = 0; i < held_.size();) {
            Held &client = held_[i];
            char scratch[4096];
            ssize_t n;
            bool spoke = false;
            while ((n = ::recv(client.fd, scratch, sizeof scratch, MSG_DONTWAIT)) > 0) spoke = true;
            if (spoke && !client.told && !message_.empty()) {
                (void)::send(client.fd, message_.data(), message_.size(), MSG_NOSIGNAL);
                client.told = true;
            }
            bool gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
                                   && errno != EINTR);
            if (all || gone || now >= client.until) {
                ::close(client.fd);
                held_[i] = held_.back();
                held_.pop_back();
            } else {
                ++i;
            }
        }
    }

private:
    struct Held {
        int fd;
        std::chrono::steady_clock::time_point until;
        bool told;
    };
    std::string message_;
    std::vector<Held> held_;
};
