#pragma once
// Work split between this thread and one more: the heavy passes over millions of rows split
// in two. When no thread can be started, the parts run one after the other on this one.

#include <cstddef>
#include <functional>
#include <optional>
#include <system_error>
#include <thread>

namespace rwe {

// Runs `other` on a second thread while `here` runs on this one; returns when both are done.
template <class Other, class Here>
void run_beside(Other&& other, Here&& here) {
    std::optional<std::thread> worker;
    try {
        worker.emplace(std::ref(other));
    } catch (const std::system_error&) {
        other();
    }
    struct Join {
        std::optional<std::thread>& thread;
        ~Join() {
            if (thread && thread->joinable()) thread->join();
        }
    } join{worker};
    here();
}

// body(from, to) over [0, n): the two halves on two threads when n >= threshold, else one
// call on this thread.
template <class Body>
void for_halves(std::size_t n, std::size_t threshold, Body&& body) {
    if (n < threshold) {
        body(std::size_t{0}, n);
        return;
    }
    run_beside([&] { body(n / 2, n); }, [&] { body(std::size_t{0}, n / 2); });
}

}  // namespace rwe
