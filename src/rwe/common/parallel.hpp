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

// The weight of an item of for_each_index_on_two_threads_heavy_first.
enum class ItemWeight : unsigned char {
    light,
    heavy,  // one heavy item at a time; light items beside it
    alone,  // a heavy item with nothing beside it (its memory alone is near what the machine has)
};
inline ItemWeight item_weight(bool heavy) { return heavy ? ItemWeight::heavy : ItemWeight::light; }
inline ItemWeight item_weight(ItemWeight weight) { return weight; }

// for_each_index_on_two_threads for work of several sizes: the items whose weight(i) is
// heavy or alone (each may use both threads itself, and needs memory in proportion to the
// data) run one at a time and first, in index order; the light ones, in index order, run
// beside a heavy one, and nothing runs beside an alone one (it starts when the other thread
// is idle). A long item started first is not left to the end, and two large ones never
// hold their memory at once. `weight` returns an ItemWeight or a bool (true: heavy).
// Exceptions as there.
template <class Weight, class Body>
void for_each_index_on_two_threads_heavy_first(std::size_t n, Weight&& weight, Body&& body) {
    std::vector<std::exception_ptr> failures(n);
    std::vector<bool> started(n, false);
    bool heavy_running = false, alone_running = false;
    std::size_t running = 0;
    std::mutex mutex;
    std::condition_variable finished;
    auto work = [&] {
        for (;;) {
            std::size_t next = n;
            ItemWeight next_weight = ItemWeight::light;
            {
                std::unique_lock<std::mutex> lock(mutex);
                for (;;) {
                    std::size_t first_heavy = n, first_light = n;
                    for (std::size_t k = 0; k < n; ++k) {
                        if (started[k]) continue;
                        if (item_weight(weight(k)) != ItemWeight::light) first_heavy = std::min(first_heavy, k);
                        else first_light = std::min(first_light, k);
                    }
                    if (first_heavy == n && first_light == n) return;
                    next = n;
                    if (!alone_running) {
                        if (first_heavy < n && item_weight(weight(first_heavy)) == ItemWeight::alone) {
                            // Nothing else starts until it has run: it waits for the other thread.
                            if (running == 0) next = first_heavy;
                        } else if (first_heavy < n && !heavy_running) {
                            next = first_heavy;
                        } else {
                            next = first_light;
                        }
                    }
                    if (next < n) break;
                    finished.wait(lock);
                }
                started[next] = true;
                next_weight = item_weight(weight(next));
                ++running;
                if (next_weight != ItemWeight::light) heavy_running = true;
                if (next_weight == ItemWeight::alone) alone_running = true;
            }
            try {
                body(next);
            } catch (...) {
                failures[next] = std::current_exception();
            }
            {
                std::lock_guard<std::mutex> lock(mutex);
                --running;
                if (next_weight != ItemWeight::light) heavy_running = false;
                if (next_weight == ItemWeight::alone) alone_running = false;
            }
            finished.notify_all();
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
