#include "rwe/cli/survival_input.hpp"

#include <fmt/format.h>

#include <cmath>

#include "rwe/common/error.hpp"

namespace rwe::cli {

std::vector<ColumnRequest> survival_requests(const SurvivalColumns& columns) {
    std::vector<ColumnRequest> requests{{columns.time}, {columns.event}};
    if (!columns.weight.empty()) requests.push_back({columns.weight});
    if (!columns.group.empty())
        requests.push_back({columns.group, ColumnRequest::Kind::categorical});
    if (!columns.stratum.empty()) {
        requests.push_back({columns.stratum, ColumnRequest::Kind::categorical});
    }
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

stats::SurvivalData survival_data_from_table(const Table& table, const SurvivalColumns& columns) {
    const auto& time = table.numbers(columns.time);
    const auto& event = table.numbers(columns.event);
    const std::vector<double>* weight =
        columns.weight.empty() ? nullptr : &table.numbers(columns.weight);
    const CategoricalColumn* group =
        columns.group.empty() ? nullptr : &table.category(columns.group);
    const CategoricalColumn* stratum =
        columns.stratum.empty() ? nullptr : &table.category(columns.stratum);

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
        const double e = event[row];
        if (std::isnan(e)) {
            missing = true;
        } else if (e != 0 && e != 1) {
            fail(row, columns.event, "event code must be 0 (censored) or 1 (event)", e);
        }
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
    stats::merge_survival_times(data);
    return data;
}

stats::SurvivalData read_survival_data(const std::string& path, const SurvivalColumns& columns) {
    return survival_data_from_table(read_table(path, survival_requests(columns)), columns);
}

}  // namespace rwe::cli
