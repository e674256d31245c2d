#include "rwe/cli/survival_input.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"

namespace rwe::cli {

std::vector<ColumnRequest> survival_requests(const SurvivalColumns& columns) {
    std::vector<ColumnRequest> requests{{columns.time}, {columns.event, ColumnRequest::Kind::categorical}};
    if (!columns.weight.empty()) requests.push_back({columns.weight});
    if (!columns.group.empty())
        requests.push_back({columns.group, ColumnRequest::Kind::categorical});
    if (!columns.stratum.empty()) {
        requests.push_back({columns.stratum, ColumnRequest::Kind::categorical});
    }
    if (!columns.cluster.empty()) requests.push_back({columns.cluster, ColumnRequest::Kind::categorical, 0});
    if (!columns.start.empty()) requests.push_back({columns.start});
    return requests;
}

namespace {

// Keeps the levels used by the kept rows, in their order, and recodes to 0..k-1.
void compact_levels(const CategoricalColumn& column, const std::vector<std::size_t>& kept,
                    std::vector<std::int32_t>& codes, std::vector<std::string>& names) {
    std::vector<std::int32_t> new_code(column.levels.size(), -1);
    for (std::size_t row : kept) new_code[static_cast<std::size_t>(column.codes[row])] = 0;
    std::int32_t next = 0;
    for (std::size_t level = 0; level < column.levels.size(); ++level) {
        if (new_code[level] == 0) {
            new_code[level] = next++;
            names.push_back(column.levels[level]);
        }
    }
    codes.resize(kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        codes[i] = new_code[static_cast<std::size_t>(column.codes[kept[i]])];
    }
}

}  // namespace

std::vector<double> event_indicator(const Table& table, const std::string& name) {
    const CategoricalColumn& column = table.category(name);
    constexpr double missing = std::numeric_limits<double>::quiet_NaN();
    // Value of each level: TRUE/FALSE spellings as R's read.csv reads a logical column.
    const std::size_t k = column.levels.size();
    std::vector<double> value(k, missing);
    bool logical = k > 0;
    for (std::size_t level = 0; level < k; ++level) {
        const std::string& text = column.levels[level];
        if (text == "TRUE" || text == "T" || text == "true" || text == "True") {
            value[level] = 1;
        } else if (text == "FALSE" || text == "F" || text == "false" || text == "False") {
            value[level] = 0;
        } else {
            logical = false;
        }
    }
    if (!logical) {
        double largest = -std::numeric_limits<double>::infinity();
        for (std::size_t level = 0; level < k; ++level) {
            if (!parse_double(column.levels[level], value[level]) || std::isnan(value[level])) {
                value[level] = missing;  // not a number: reported below with its line
            } else {
                largest = std::max(largest, value[level]);
            }
        }
        // Surv(): a status whose largest value is 2 is coded 1 = censored, 2 = event.
        if (largest == 2) {
            for (auto& v : value) v -= 1;
        }
    }
    std::vector<double> event(column.codes.size(), missing);
    for (std::size_t row = 0; row < column.codes.size(); ++row) {
        const std::int32_t code = column.codes[row];
        if (code < 0) continue;
        const double v = value[static_cast<std::size_t>(code)];
        if (v != 0 && v != 1) {
            throw InputError(table.path, table.line(row), name,
                             "event code must be 0/1 (censored/event), 1/2 or TRUE/FALSE",
                             column.levels[static_cast<std::size_t>(code)]);
        }
        event[row] = v;
    }
    return event;
}

stats::SurvivalData survival_data_from_table(const Table& table, const SurvivalColumns& columns,
                                             bool merge_times) {
    const auto& time = table.numbers(columns.time);
    const std::vector<double> event = event_indicator(table, columns.event);
    const std::vector<double>* weight =
        columns.weight.empty() ? nullptr : &table.numbers(columns.weight);
    const CategoricalColumn* group =
        columns.group.empty() ? nullptr : &table.category(columns.group);
    const CategoricalColumn* stratum =
        columns.stratum.empty() ? nullptr : &table.category(columns.stratum);
    const CategoricalColumn* cluster =
        columns.cluster.empty() ? nullptr : &table.category(columns.cluster);
    const std::vector<double>* start = columns.start.empty() ? nullptr : &table.numbers(columns.start);

    auto fail = [&](std::size_t row, const std::string& column, const std::string& problem,
                    double value) {
        throw InputError(table.path, table.line(row), column, problem,
                         fmt::format("{}", value));
    };

    std::vector<std::size_t> kept;
    kept.reserve(table.rows);
    for (std::size_t row = 0; row < table.rows; ++row) {
        bool missing = false;
        const double t = time[row];
        if (std::isnan(t)) {
            missing = true;
        } else if (!std::isfinite(t)) {
            fail(row, columns.time, "time must be a finite number", t);
        } else if (t < 0) {
            fail(row, columns.time, "negative time", t);
        }
        if (std::isnan(event[row])) missing = true;
        if (weight) {
            const double w = (*weight)[row];
            if (std::isnan(w)) {
                missing = true;
            } else if (!std::isfinite(w) || w < 0) {
                fail(row, columns.weight, "weight must be a finite number >= 0", w);
            }
        }
        if (group && group->codes[row] < 0) missing = true;
        if (stratum && stratum->codes[row] < 0) missing = true;
        if (cluster && cluster->codes[row] < 0) missing = true;
        if (start) {
            const double s = (*start)[row];
            if (std::isnan(s)) {
                missing = true;
            } else if (!std::isfinite(s) || s < 0) {
                fail(row, columns.start, "start time must be a finite number >= 0", s);
            } else if (!std::isnan(t) && !(s < t)) {
                throw InputError(table.path, table.line(row), columns.start, "start time must be < stop time",
                                 fmt::format("{} >= {}", s, t));
            }
        }
        if (!missing) kept.push_back(row);
    }

    stats::SurvivalData data;
    data.dropped = table.rows - kept.size();
    data.time.resize(kept.size());
    data.event.resize(kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        data.time[i] = time[kept[i]];
        data.event[i] = static_cast<std::uint8_t>(event[kept[i]] == 1);
    }
    if (weight) {
        data.weight.resize(kept.size());
        for (std::size_t i = 0; i < kept.size(); ++i) data.weight[i] = (*weight)[kept[i]];
    }
    if (group) compact_levels(*group, kept, data.group, data.group_names);
    if (stratum) compact_levels(*stratum, kept, data.stratum, data.stratum_names);
    if (start) {
        data.start.resize(kept.size());
        for (std::size_t i = 0; i < kept.size(); ++i) data.start[i] = (*start)[kept[i]];
    }
    if (cluster) {
        data.cluster.resize(kept.size());
        for (std::size_t i = 0; i < kept.size(); ++i) data.cluster[i] = cluster->codes[kept[i]];
    }
    if (merge_times) stats::merge_survival_times(data);
    return data;
}

stats::SurvivalData read_survival_data(const std::string& path, const SurvivalColumns& columns,
                                       bool merge_times) {
    return survival_data_from_table(read_table(path, survival_requests(columns)), columns, merge_times);
}

}  // namespace rwe::cli
