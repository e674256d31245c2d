#include "rwe/stats/survival_counts.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

#include "rwe/common/error.hpp"
#include "rwe/stats/time_fix.hpp"

namespace rwe::stats {

namespace {

// Adds each row to its (slot, cell) entry; slot_of(row) gives the time slot. Unweighted data
// count rows and events as integers without a branch on the event code (censorings are rows
// minus events), which is most of the speed of the counting pass.
template <class SlotOf>
void tabulate(const SurvivalData& data, std::span<const std::int32_t> cell_of_row,
              std::size_t cells, bool reverse, SlotOf slot_of, std::vector<double>& n_event,
              std::vector<double>& n_censor, std::vector<std::uint32_t>& n_rows) {
    const std::size_t n = data.size();
    const bool one_cell = cell_of_row.empty();
    const std::uint8_t flip = reverse ? 1 : 0;
    if (!data.weighted()) {
        std::vector<std::uint32_t> events(n_rows.size(), 0);
        for (std::size_t row = 0; row < n; ++row) {
            const std::size_t cell = one_cell ? 0 : static_cast<std::size_t>(cell_of_row[row]);
            const std::size_t entry = slot_of(row) * cells + cell;
            events[entry] += static_cast<std::uint32_t>(data.event[row] ^ flip);
            ++n_rows[entry];
        }
        for (std::size_t entry = 0; entry < n_rows.size(); ++entry) {
            n_event[entry] = events[entry];
            n_censor[entry] = n_rows[entry] - events[entry];
        }
        return;
    }
    for (std::size_t row = 0; row < n; ++row) {
        const std::size_t cell = one_cell ? 0 : static_cast<std::size_t>(cell_of_row[row]);
        const std::size_t entry = slot_of(row) * cells + cell;
        const double w = data.weight[row];
        const bool is_event = (data.event[row] ^ flip) != 0;
        n_event[entry] += is_event ? w : 0.0;
        n_censor[entry] += is_event ? 0.0 : w;
        ++n_rows[entry];
    }
}

// The index of each row's time among the distinct times (returned in `distinct`, ascending).
// Non-negative doubles order as their bit patterns, so an LSD radix sort of the bits (11-bit
// digits, passes skipped where every key has the same digit) orders the rows in O(n).
std::vector<std::uint32_t> slots_of_sorted_times(const std::vector<double>& time,
                                                 std::vector<double>& distinct) {
    const std::size_t n = time.size();
    std::vector<std::uint64_t> key(n), key_buffer(n);
    std::vector<std::uint32_t> row(n), row_buffer(n);
    for (std::size_t i = 0; i < n; ++i) {
        key[i] = std::bit_cast<std::uint64_t>(time[i] + 0.0);  // + 0.0 turns -0 into +0
        row[i] = static_cast<std::uint32_t>(i);
    }
    constexpr int digit_bits = 11;
    constexpr std::size_t buckets = std::size_t{1} << digit_bits;
    std::vector<std::size_t> count(buckets);
    for (int shift = 0; shift < 64; shift += digit_bits) {
        std::fill(count.begin(), count.end(), 0);
        for (std::size_t i = 0; i < n; ++i) ++count[(key[i] >> shift) & (buckets - 1)];
        if (count[(key[0] >> shift) & (buckets - 1)] == n) continue;  // one digit value: no-op
        std::size_t offset = 0;
        for (auto& c : count) offset += std::exchange(c, offset);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t to = count[(key[i] >> shift) & (buckets - 1)]++;
            key_buffer[to] = key[i];
            row_buffer[to] = row[i];
        }
        key.swap(key_buffer);
        row.swap(row_buffer);
    }
    std::vector<std::uint32_t> slot(n);
    distinct.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (i == 0 || key[i] != key[i - 1]) distinct.push_back(std::bit_cast<double>(key[i]));
        slot[row[i]] = static_cast<std::uint32_t>(distinct.size() - 1);
    }
    return slot;
}

}  // namespace

SurvivalCounts count_survival(const SurvivalData& data, std::span<const std::int32_t> cell_of_row,
                              std::size_t cells, bool reverse) {
    SurvivalCounts counts;
    counts.cells = std::max<std::size_t>(cells, 1);
    const std::size_t n = data.size();
    counts.cell_rows.assign(counts.cells, 0);
    counts.cell_events.assign(counts.cells, 0.0);
    if (n == 0) return counts;

    // Dense grid when times are integers spanning a range not much larger than the data.
    // One pass: range, and whether every time is an integer in [0, 2^31).
    double min_time = data.time[0];
    double max_time = data.time[0];
    bool integral = true;
    for (double t : data.time) {
        min_time = std::min(min_time, t);
        max_time = std::max(max_time, t);
        integral &= (t >= 0 && t < 2147483648.0 && t == std::trunc(t));
    }
    const double span = max_time - min_time + 1;
    const bool dense = integral && span <= 4.0 * static_cast<double>(n) + 4096.0 &&
                       span * static_cast<double>(counts.cells) <= 1.0e8;

    std::vector<double> grid_event, grid_censor;
    std::vector<std::uint32_t> grid_rows;
    std::vector<double> grid_time;
    if (dense) {
        const auto slots = static_cast<std::size_t>(span);
        const auto origin = static_cast<std::int64_t>(min_time);
        grid_event.assign(slots * counts.cells, 0.0);
        grid_censor.assign(slots * counts.cells, 0.0);
        grid_rows.assign(slots * counts.cells, 0);
        tabulate(
            data, cell_of_row, counts.cells, reverse,
            [&](std::size_t row) {
                return static_cast<std::size_t>(static_cast<std::int64_t>(data.time[row]) - origin);
            },
            grid_event, grid_censor, grid_rows);
        grid_time.resize(slots);
        for (std::size_t s = 0; s < slots; ++s)
            grid_time[s] = static_cast<double>(origin) + static_cast<double>(s);
    } else {
        const std::vector<std::uint32_t> slot = slots_of_sorted_times(data.time, grid_time);
        const std::size_t slots = grid_time.size();
        grid_event.assign(slots * counts.cells, 0.0);
        grid_censor.assign(slots * counts.cells, 0.0);
        grid_rows.assign(slots * counts.cells, 0);
        tabulate(
            data, cell_of_row, counts.cells, reverse, [&](std::size_t row) { return slot[row]; },
            grid_event, grid_censor, grid_rows);
    }

    // Keep the slots that hold at least one row.
    const std::size_t slots = grid_time.size();
    const std::size_t k = counts.cells;
    std::size_t kept = 0;
    for (std::size_t s = 0; s < slots; ++s) {
        std::uint32_t occupied = 0;
        for (std::size_t c = 0; c < k; ++c) occupied |= grid_rows[s * k + c];
        if (occupied == 0) continue;
        if (kept != s) {
            grid_time[kept] = grid_time[s];
            for (std::size_t c = 0; c < k; ++c) {
                grid_event[kept * k + c] = grid_event[s * k + c];
                grid_censor[kept * k + c] = grid_censor[s * k + c];
                grid_rows[kept * k + c] = grid_rows[s * k + c];
            }
        }
        ++kept;
    }
    grid_time.resize(kept);
    grid_event.resize(kept * k);
    grid_censor.resize(kept * k);
    grid_rows.resize(kept * k);
    for (std::size_t i = 0; i < kept; ++i) {
        for (std::size_t c = 0; c < k; ++c) {
            counts.cell_rows[c] += grid_rows[i * k + c];
            counts.cell_events[c] += grid_event[i * k + c];
        }
    }
    counts.time = std::move(grid_time);
    counts.n_event = std::move(grid_event);
    counts.n_censor = std::move(grid_censor);
    counts.n_rows = std::move(grid_rows);
    return counts;
}

SurvivalCounts survival_counts_from_tallies(std::vector<SurvivalTally> tallies, std::size_t cells, bool reverse) {
    SurvivalCounts counts;
    counts.cells = std::max<std::size_t>(cells, 1);
    counts.cell_rows.assign(counts.cells, 0);
    counts.cell_events.assign(counts.cells, 0.0);
    std::vector<double> times;
    times.reserve(tallies.size());
    bool integral = true;
    for (const auto& tally : tallies) {
        if (tally.cell >= counts.cells || tally.events > tally.rows || !std::isfinite(tally.time)) {
            throw Error(ErrorKind::usage, "survival tallies: a cell out of range, more events than rows or a time that is not finite");
        }
        times.push_back(tally.time);
        integral &= tally.time >= 0 && tally.time < 67108864.0 && tally.time == std::trunc(tally.time);
    }
    // R's timefix on the distinct times, as merge_survival_times does on the rows (integer
    // times below 2^26 cannot merge).
    if (!integral) {
        std::vector<double> merged = times;
        if (merge_near_equal_times(merged) > 0) {
            for (std::size_t k = 0; k < tallies.size(); ++k) tallies[k].time = merged[k];
        }
    }
    std::sort(tallies.begin(), tallies.end(), [](const SurvivalTally& a, const SurvivalTally& b) {
        return a.time != b.time ? a.time < b.time : a.cell < b.cell;
    });
    const std::size_t k = counts.cells;
    for (const auto& tally : tallies) {
        if (tally.rows == 0) continue;
        if (counts.time.empty() || counts.time.back() != tally.time) {
            counts.time.push_back(tally.time);
            counts.n_event.resize(counts.n_event.size() + k, 0.0);
            counts.n_censor.resize(counts.n_censor.size() + k, 0.0);
            counts.n_rows.resize(counts.n_rows.size() + k, 0);
        }
        const std::size_t entry = (counts.time.size() - 1) * k + tally.cell;
        const auto events = static_cast<double>(reverse ? tally.rows - tally.events : tally.events);
        const auto censored = static_cast<double>(tally.rows) - events;
        counts.n_event[entry] += events;
        counts.n_censor[entry] += censored;
        counts.n_rows[entry] += static_cast<std::uint32_t>(tally.rows);
        counts.cell_rows[tally.cell] += tally.rows;
        counts.cell_events[tally.cell] += events;
    }
    return counts;
}

}  // namespace rwe::stats
