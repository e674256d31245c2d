#pragma once
// Work split between this thread and one more: the heavy passes over millions of rows split
// in two. When no thread can be started, the parts run one after the other on this one.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <vector>
#include <functional>
#include <mutex>
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

// body(i) for every i in [0, n), each once, on this thread and one more (a shared counter
// hands out the next i, so long and short items balance). An exception from body(i) does
// not stop the others; when all are done, the one of the smallest i is rethrown, as a
// loop in order would have thrown it.
template <class Body>
void for_each_index_on_two_threads(std::size_t n, Body&& body) {
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> failures(n);
    auto work = [&] {
        for (std::size_t i = next++; i < n; i = next++) {
            try {
                body(i);
            } catch (...) {
                failures[i] = std::current_exception();
            }
        }
    };
    if (n > 1) run_beside(work, work);
    else work();
    for (const auto& failure : failures) {
        if (failure) std::rethrow_exception(failure);
    }
}

// for_each_index_on_two_threads for work of two sizes: the items with heavy(i) (each may use
// both threads itself, and needs memory in proportion to the data) run one at a time and
// first, in index order; the others, in index order, run beside them. A long item started
// first is not left to the end, and two large ones never hold their memory at once.
// Exceptions as there.
template <class Heavy, class Body>
void for_each_index_on_two_threads_heavy_first(std::size_t n, Heavy&& heavy, Body&& body) {
    std::vector<std::exception_ptr> failures(n);
    std::vector<bool> started(n, false);
    bool heavy_running = false;
    std::mutex mutex;
    std::condition_variable finished;
    auto work = [&] {
        for (;;) {
            std::size_t next = n;
            bool next_heavy = false;
            {
                std::unique_lock<std::mutex> lock(mutex);
                for (;;) {
                    std::size_t first_heavy = n, first_light = n;
                    for (std::size_t k = 0; k < n; ++k) {
                        if (started[k]) continue;
                        if (heavy(k)) first_heavy = std::min(first_heavy, k);
                        else first_light = std::min(first_light, k);
                    }
                    if (first_heavy == n && first_light == n) return;
                    if (first_heavy < n && !heavy_running) {
                        next = first_heavy;
                        next_heavy = true;
                    } else {
                        next = first_light;
                    }
                    if (next < n) break;
                    finished.wait(lock);  // only heavy items are left, and one is running
                }
                started[next] = true;
                if (next_heavy) heavy_running = true;
            }
            try {
                body(next);
            } catch (...) {
                failures[next] = std::current_exception();
            }
            if (next_heavy) {
                std::lock_guard<std::mutex> lock(mutex);
                heavy_running = false;
                finished.notify_all();
            }
        }
    };
    if (n > 1) run_beside(work, work);
    else work();
    for (const auto& failure : failures) {
        if (failure) std::rethrow_exception(failure);
    }
}

// Runs `other` on a second thread while `here` runs on this one, like run_beside, and
// rethrows an exception of either when both are done (`here`'s first).
template <class Other, class Here>
void run_beside_rethrowing(Other&& other, Here&& here) {
    std::exception_ptr other_failure, here_failure;
    run_beside(
        [&] {
            try {
                other();
            } catch (...) {
                other_failure = std::current_exception();
            }
        },
        [&] {
            try {
                here();
            } catch (...) {
                here_failure = std::current_exception();
            }
        });
    if (here_failure) std::rethrow_exception(here_failure);
    if (other_failure) std::rethrow_exception(other_failure);
}

}  // namespace rwe
