// The two-thread work splitters of rwe/common/parallel.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rwe/common/parallel.hpp"

namespace {

// Heavy items run one at a time and before the light ones (in index order each), every item
// once; the light ones run beside a heavy one.
TEST(Parallel, HeavyItemsRunFirstAndOneAtATime) {
    const std::vector<bool> heavy{false, false, true, false, true, false, false, true, false, false};
    std::atomic<int> heavy_now{0}, most_heavy_at_once{0}, light_beside_heavy{0};
    std::vector<int> runs(heavy.size(), 0);
    std::vector<std::size_t> heavy_order;
    std::mutex mutex;
    rwe::for_each_index_on_two_threads_heavy_first(
        heavy.size(), [&](std::size_t k) { return static_cast<bool>(heavy[k]); },
        [&](std::size_t k) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                ++runs[k];
                if (heavy[k]) heavy_order.push_back(k);
            }
            if (heavy[k]) {
                const int now = ++heavy_now;
                int most = most_heavy_at_once.load();
                while (now > most && !most_heavy_at_once.compare_exchange_weak(most, now)) {
                }
                if (k == 2) {
                    // The first heavy item waits (up to 10 s) for a light item to run beside it.
                    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                    while (light_beside_heavy.load() == 0 && std::chrono::steady_clock::now() < deadline) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    }
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                --heavy_now;
            } else {
                if (heavy_now.load() > 0) ++light_beside_heavy;
            }
        });
    EXPECT_EQ(runs, std::vector<int>(heavy.size(), 1));
    EXPECT_EQ(most_heavy_at_once.load(), 1);
    EXPECT_EQ(heavy_order, (std::vector<std::size_t>{2, 4, 7}));
    EXPECT_GT(light_beside_heavy.load(), 0);  // the light items ran on the other thread meanwhile
}

// An item of weight `alone` runs with nothing beside it: it waits for the running item to
// end, and nothing starts until it has ended; the others run as before.
TEST(Parallel, AnAloneItemRunsWithNothingBesideIt) {
    using rwe::ItemWeight;
    const std::vector<ItemWeight> weight{ItemWeight::light, ItemWeight::heavy, ItemWeight::light, ItemWeight::alone,
                                         ItemWeight::light, ItemWeight::light, ItemWeight::heavy, ItemWeight::light};
    std::atomic<int> now{0}, beside_alone{0};
    std::atomic<bool> alone_running{false};
    std::vector<int> runs(weight.size(), 0);
    std::vector<std::size_t> heavy_order;
    std::mutex mutex;
    rwe::for_each_index_on_two_threads_heavy_first(
        weight.size(), [&](std::size_t k) { return weight[k]; },
        [&](std::size_t k) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                ++runs[k];
                if (weight[k] != ItemWeight::light) heavy_order.push_back(k);
            }
            const int running = ++now;
            if (weight[k] == ItemWeight::alone) {
                alone_running = true;
                if (running != 1) ++beside_alone;
                // Long enough for the other thread to start something if it could.
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                if (now.load() != 1) ++beside_alone;
                alone_running = false;
            } else {
                if (alone_running.load()) ++beside_alone;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            --now;
        });
    EXPECT_EQ(runs, std::vector<int>(weight.size(), 1));
    EXPECT_EQ(beside_alone.load(), 0);
    EXPECT_EQ(heavy_order, (std::vector<std::size_t>{1, 3, 6}));
}

// As for_each_index_on_two_threads: an exception does not stop the other items, and the one
// of the smallest index is rethrown when all are done.
TEST(Parallel, HeavyFirstRethrowsTheFirstFailureAfterAllItems) {
    std::atomic<int> ran{0};
    try {
        rwe::for_each_index_on_two_threads_heavy_first(
            6, [](std::size_t k) { return k == 5; },
            [&](std::size_t k) {
                ++ran;
                if (k == 1 || k == 5) throw std::runtime_error("item " + std::to_string(k));
            });
        FAIL() << "no exception";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "item 1");
    }
    EXPECT_EQ(ran.load(), 6);
}

}  // namespace
