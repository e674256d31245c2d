#include "rwe/stats/log_rank_table.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

// Slot counts of one stratum: for each slot (a distinct time), per group, the (weighted)
// number of rows with that time and the (weighted) number of events among them.
// Walking the slots from the last time backwards gives the risk sets; event slots are kept.
void finish_stratum(std::size_t groups, std::size_t slots, const double* slot_time,
                    const double* cells, GroupRiskStratum& out) {
    // cells[(slot * groups + g) * 2 + 0] = rows with time = slot time, [.. + 1] = events.
    std::vector<double> risk(groups, 0.0);
    std::size_t event_slots = 0;
    for (std::size_t slot = 0; slot < slots; ++slot) {
        const double* row = cells + slot * groups * 2;
        bool any_event = false;
        for (std::size_t g = 0; g < groups; ++g) any_event |= row[2 * g + 1] > 0;
        event_slots += any_event;
    }
    out.time.resize(event_slots);
    out.n_risk.resize(event_slots * groups);
    out.n_event.resize(event_slots * groups);
    std::size_t next = event_slots;
    for (std::size_t slot = slots; slot-- > 0;) {
        const double* row = cells + slot * groups * 2;
        bool any_event = false;
        for (std::size_t g = 0; g < groups; ++g) {
            risk[g] += row[2 * g];
            any_event |= row[2 * g + 1] > 0;
        }
        if (!any_event) continue;
        --next;
        out.time[next] = slot_time[slot];
        for (std::size_t g = 0; g < groups; ++g) {
            out.n_risk[next * groups + g] = risk[g];
            out.n_event[next * groups + g] = row[2 * g + 1];
        }
    }
}

// One pass over the times: are they all integers in [0, 2^31), and the largest. (A cast
// round trip instead of floor(): floor is a library call on baseline x86-64.)
bool scan_integer_times(const std::vector<double>& time, double& max_time) {
    double top = 0;
    bool ok = true;
    for (double t : time) {
        const bool in_range = t >= 0 && t < 2147483648.0;  // false for NaN
        const double safe = in_range ? t : 0.0;
        ok &= in_range & (static_cast<double>(static_cast<std::int64_t>(safe)) == safe);
        top = safe > top ? safe : top;
    }
    max_time = top;
    return ok;
}

// Dense counting over integer times 0..max_time: cells indexed by (stratum, time, group).
// Codes and events are checked before each write (a branch never taken on valid data);
// false on the first bad row, and the caller reports it.
template <bool Weighted, bool Grouped, bool Stratified>
bool count_rows(const SurvivalData& data, std::size_t groups, std::size_t strata,
                std::size_t slots, std::vector<double>& cells, std::vector<std::size_t>& n_by_cell) {
    const std::size_t n = data.size();
    const double* time = data.time.data();
    const std::uint8_t* event = data.event.data();
    for (std::size_t row = 0; row < n; ++row) {
        const std::size_t g = Grouped ? static_cast<std::size_t>(data.group[row]) : 0;
        const std::size_t s = Stratified ? static_cast<std::size_t>(data.stratum[row]) : 0;
        const std::uint8_t e = event[row];
        const double w = Weighted ? data.weight[row] : 1.0;
        // Negative codes wrap to huge unsigned values; !(w >= 0) also catches NaN.
        if (g >= groups || s >= strata || e > 1 ||
            (Weighted && !(w >= 0 && w <= 1.7976931348623157e308))) {
            return false;
        }
        const auto t = static_cast<std::size_t>(time[row]);
        double* cell = cells.data() + ((s * slots + t) * groups + g) * 2;
        cell[0] += w;
        cell[1] += e ? w : 0.0;
        ++n_by_cell[s * groups + g];
    }
    return true;
}

template <bool Weighted>
bool count_rows_dispatch(const SurvivalData& data, std::size_t groups, std::size_t strata,
                         std::size_t slots, std::vector<double>& cells,
                         std::vector<std::size_t>& n_by_cell) {
    const bool grouped = !data.group.empty();
    const bool stratified = !data.stratum.empty();
    if (grouped && stratified) {
        return count_rows<Weighted, true, true>(data, groups, strata, slots, cells, n_by_cell);
    } else if (grouped) {
        return count_rows<Weighted, true, false>(data, groups, strata, slots, cells, n_by_cell);
    } else if (stratified) {
        return count_rows<Weighted, false, true>(data, groups, strata, slots, cells, n_by_cell);
    }
    return count_rows<Weighted, false, false>(data, groups, strata, slots, cells, n_by_cell);
}

}  // namespace

GroupRiskTable group_risk_table(const SurvivalData& data) {
    // Lengths first: the passes below index every column by row.
    const std::size_t n = data.size();
    if (data.event.size() != n || (!data.weight.empty() && data.weight.size() != n) ||
        (!data.group.empty() && data.group.size() != n) ||
        (!data.stratum.empty() && data.stratum.size() != n)) {
        validate_survival_data(data);  // throws, naming the column
    }
    GroupRiskTable table;
    // No group column: one group. (With zero rows the group vector is empty too, but its
    // names, when given, still say which groups there are.)
    const bool one_group = data.group.empty() && (n > 0 || data.group_names.empty());
    const std::size_t groups = one_group ? 1 : data.group_names.size();
    const std::size_t strata = data.stratum.empty() ? 1 : data.stratum_names.size();
    table.groups = groups;
    table.group_names = one_group ? std::vector<std::string>{"all"} : data.group_names;
    table.stratum_names =
        data.stratum.empty() ? std::vector<std::string>{""} : data.stratum_names;
    table.strata.resize(strata);
    table.rows = n;
    table.dropped = data.dropped;
    table.weighted = data.weighted();
    std::vector<std::size_t> n_by_cell(strata * groups, 0);  // rows per (stratum, group)

    double max_time = 0;
    const bool integer = scan_integer_times(data.time, max_time);
    const auto slots = static_cast<std::size_t>(max_time) + 1;
    // The dense array must stay small next to the data: at most ~2 cells per row (plus a
    // floor for small data), else sorting is cheaper.
    const bool dense = integer && static_cast<double>(strata) * static_cast<double>(slots) *
                                          static_cast<double>(groups) <=
                                      2.0 * static_cast<double>(n) + 65536.0;
    table.counting_pass = dense;
    if (!dense) validate_survival_data(data);
    if (dense) {
        std::vector<double> cells(strata * slots * groups * 2, 0.0);
        const bool valid = data.weighted()
                               ? count_rows_dispatch<true>(data, groups, strata, slots, cells, n_by_cell)
                               : count_rows_dispatch<false>(data, groups, strata, slots, cells, n_by_cell);
        if (!valid) {
            validate_survival_data(data);  // throws, naming the first bad row
            throw Error(ErrorKind::internal, "group_risk_table: a row failed the counting checks");
        }
        std::vector<double> slot_time(slots);
        std::iota(slot_time.begin(), slot_time.end(), 0.0);
        for (std::size_t s = 0; s < strata; ++s) {
            finish_stratum(groups, slots, slot_time.data(), cells.data() + s * slots * groups * 2,
                           table.strata[s]);
        }
    } else {
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), std::size_t{0});
        auto stratum_of = [&](std::size_t row) {
            return data.stratum.empty() ? 0 : data.stratum[row];
        };
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const auto sa = stratum_of(a), sb = stratum_of(b);
            return sa != sb ? sa < sb : data.time[a] < data.time[b];
        });
        std::vector<double> slot_time;
        std::vector<double> cells;
        std::size_t begin = 0;
        while (begin < n) {
            const auto s = static_cast<std::size_t>(stratum_of(order[begin]));
            slot_time.clear();
            cells.clear();
            std::size_t end = begin;
            for (; end < n && static_cast<std::size_t>(stratum_of(order[end])) == s; ++end) {
                const std::size_t row = order[end];
                if (slot_time.empty() || data.time[row] != slot_time.back()) {
                    slot_time.push_back(data.time[row]);
                    cells.resize(cells.size() + groups * 2, 0.0);
                }
                const std::size_t g = data.group.empty() ? 0 : static_cast<std::size_t>(data.group[row]);
                const double w = data.weighted() ? data.weight[row] : 1.0;
                double* cell = cells.data() + ((slot_time.size() - 1) * groups + g) * 2;
                cell[0] += w;
                if (data.event[row]) cell[1] += w;
                ++n_by_cell[s * groups + g];
            }
            finish_stratum(groups, slot_time.size(), slot_time.data(), cells.data(), table.strata[s]);
            begin = end;
        }
    }

    table.group_n.assign(groups, 0);
    table.group_events.assign(groups, 0.0);
    for (std::size_t s = 0; s < strata; ++s) {
        auto& stratum = table.strata[s];
        stratum.group_n.assign(n_by_cell.begin() + static_cast<std::ptrdiff_t>(s * groups),
                               n_by_cell.begin() + static_cast<std::ptrdiff_t>((s + 1) * groups));
        for (std::size_t g = 0; g < groups; ++g) {
            table.group_n[g] += stratum.group_n[g];
            for (std::size_t i = 0; i < stratum.time.size(); ++i) {
                table.group_events[g] += stratum.n_event[i * groups + g];
            }
        }
    }
    return table;
}

GroupRiskTable group_risk_table(const SurvivalCounts& counts, const std::vector<std::string>& group_names,
                                const std::vector<std::string>& stratum_names, std::size_t dropped) {
    GroupRiskTable table;
    const std::size_t groups = std::max<std::size_t>(group_names.size(), 1);
    const std::size_t strata = std::max<std::size_t>(stratum_names.size(), 1);
    if (counts.cells != groups * strata) throw Error(ErrorKind::usage, "log-rank: the counts' cells are not groups x strata");
    table.groups = groups;
    table.group_names = group_names.empty() ? std::vector<std::string>{"all"} : group_names;
    table.stratum_names = stratum_names.empty() ? std::vector<std::string>{""} : stratum_names;
    table.strata.resize(strata);
    table.dropped = dropped;
    const std::size_t slots = counts.times();
    std::vector<double> cells(slots * groups * 2);
    for (std::size_t s = 0; s < strata; ++s) {
        // finish_stratum's layout: per slot and group, rows and events.
        for (std::size_t i = 0; i < slots; ++i) {
            for (std::size_t g = 0; g < groups; ++g) {
                const std::size_t entry = counts.at(i, s * groups + g);
                cells[(i * groups + g) * 2] = counts.n_event[entry] + counts.n_censor[entry];
                cells[(i * groups + g) * 2 + 1] = counts.n_event[entry];
            }
        }
        finish_stratum(groups, slots, counts.time.data(), cells.data(), table.strata[s]);
        table.strata[s].group_n.resize(groups);
        for (std::size_t g = 0; g < groups; ++g) table.strata[s].group_n[g] = counts.cell_rows[s * groups + g];
    }
    table.group_n.assign(groups, 0);
    table.group_events.assign(groups, 0.0);
    for (std::size_t s = 0; s < strata; ++s) {
        const auto& stratum = table.strata[s];
        for (std::size_t g = 0; g < groups; ++g) {
            table.group_n[g] += stratum.group_n[g];
            table.rows += stratum.group_n[g];
            for (std::size_t i = 0; i < stratum.time.size(); ++i) table.group_events[g] += stratum.n_event[i * groups + g];
        }
    }
    return table;
}

}  // namespace rwe::stats
