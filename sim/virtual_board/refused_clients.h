// Clients turned away while another is connected (see harness.cpp).
//
// A refused client is sent the busy message and kept, its input discarded, until it hangs up
// or kHoldMs pass: closing at once with its request unread would reset the connection, and a
// reset can lose the message before the client reads it.
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

    void add(int fd, const std::string &message) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (!message.empty()) (void)::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
        held_.push_back({fd, std::chrono::steady_clock::now() + std::chrono::milliseconds(kHoldMs)});
    }

    // Discard what the held clients sent; close those that left, timed out, or (all) every one.
    void service(bool all) {
        auto now = std::chrono::steady_clock::now();
        for (size_t i = 0; i < held_.size();) {
            char scratch[4096];
            ssize_t n;
            while ((n = ::recv(held_[i].first, scratch, sizeof scratch, MSG_DONTWAIT)) > 0) {}
            bool gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
                                   && errno != EINTR);
            if (all || gone || now >= held_[i].second) {
                ::close(held_[i].first);
                held_[i] = held_.back();
                held_.pop_back();
            } else {
                ++i;
            }
        }
    }

private:
    std::vector<std::pair<int, std::chrono::steady_clock::time_point>> held_;
};
