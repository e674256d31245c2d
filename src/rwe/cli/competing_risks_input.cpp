#include "rwe/cli/competing_risks_input.hpp"

#include <fmt/format.h>

#include <cmath>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"
#include "rwe/stats/time_fix.hpp"

namespace rwe::cli {

namespace stats = rwe::stats;

stats::CompetingRisksData read_competing_risks(const CompetingRisksColumns& columns, const std::vector<std::string>& covariates,
                                               std::vector<double>* x) {
    std::vector<rwe::ColumnRequest> requests{{columns.time}, {columns.status, rwe::ColumnRequest::Kind::categorical}};
    for (const auto& name : covariates) requests.push_back({name});
    if (!columns.group.empty()) requests.push_back({columns.group, rwe::ColumnRequest::Kind::categorical});
    if (!columns.stratum.empty()) requests.push_back({columns.stratum, rwe::ColumnRequest::Kind::categorical});
    const rwe::Table table = rwe::read_table(columns.file, requests);
    const auto& time = table.numbers(columns.time);
    const auto& status = table.category(columns.status);
    const rwe::CategoricalColumn* group = columns.group.empty() ? nullptr : &table.category(columns.group);
    const rwe::CategoricalColumn* stratum = columns.stratum.empty() ? nullptr : &table.category(columns.stratum);

    // Status levels: the censoring code, then the causes.
    std::vector<std::int32_t> cause_of_level(status.levels.size(), -1);
    stats::CompetingRisksData data;
    for (std::size_t level = 0; level < status.levels.size(); ++level) {
        const std::string& text = status.levels[level];
        double a = 0, b = 0;
        const bool censoring = text == columns.censor ||
                               (status.numeric && rwe::parse_double(text, a) && rwe::parse_double(columns.censor, b) && a == b);
        if (censoring) {
            cause_of_level[level] = 0;
        } else {
            data.cause_names.push_back(text);
            cause_of_level[level] = static_cast<std::int32_t>(data.cause_names.size());
        }
    }
    // Levels present only in dropped rows are left out below (compact).
    std::vector<std::size_t> kept;
    for (std::size_t row = 0; row < table.rows; ++row) {
        const double t = time[row];
        bool missing = std::isnan(t) || status.codes[row] < 0 || (group && group->codes[row] < 0) ||
                       (stratum && stratum->codes[row] < 0);
        if (!std::isnan(t) && !std::isfinite(t)) {
            throw rwe::InputError(table.path, table.line(row), columns.time, "time must be a finite number", fmt::format("{}", t));
        }
        if (!std::isnan(t) && t < 0) {
            throw rwe::InputError(table.path, table.line(row), columns.time, "negative time", fmt::format("{}", t));
        }
        if (!missing) kept.push_back(row);
    }
    data.dropped = table.rows - kept.size();
    auto compact = [&](const rwe::CategoricalColumn& column, std::vector<std::int32_t>& codes, std::vector<std::string>& names) {
        std::vector<std::int32_t> code(column.levels.size(), -1);
        for (std::size_t row : kept) code[static_cast<std::size_t>(column.codes[row])] = 0;
        std::int32_t next = 0;
        for (std::size_t level = 0; level < column.levels.size(); ++level) {
            if (code[level] == 0) code[level] = next++, names.push_back(column.levels[level]);
        }
        for (std::size_t row : kept) codes.push_back(code[static_cast<std::size_t>(column.codes[row])]);
    };
    // Causes that occur in kept rows only, renumbered in order.
    std::vector<std::int32_t> cause_code(data.cause_names.size() + 1, -1);
    cause_code[0] = 0;
    for (std::size_t row : kept) {
        const auto cause = cause_of_level[static_cast<std::size_t>(status.codes[row])];
        if (cause > 0) cause_code[static_cast<std::size_t>(cause)] = 1;
    }
    std::vector<std::string> causes;
    for (std::size_t cause = 1; cause < cause_code.size(); ++cause) {
        if (cause_code[cause] == 1) {
            causes.push_back(data.cause_names[cause - 1]);
            cause_code[cause] = static_cast<std::int32_t>(causes.size());
        }
    }
    if (causes.empty()) {
        throw rwe::InputError(table.path + ": " + columns.status + ": no event of any cause: every status is the censoring code or missing (" + columns.censor + ")");
    }
    data.cause_names = causes;
    for (std::size_t row : kept) {
        data.time.push_back(time[row]);
        data.status.push_back(cause_code[static_cast<std::size_t>(cause_of_level[static_cast<std::size_t>(status.codes[row])])]);
    }
    if (group) compact(*group, data.group, data.group_names);
    if (stratum) compact(*stratum, data.stratum, data.stratum_names);
    if (x != nullptr) {  // row-major; NaN (missing) rows are dropped by the fit and counted there
        for (std::size_t row : kept) {
            for (const auto& name : covariates) {
                const double value = table.numbers(name)[row];
                if (!std::isnan(value) && !std::isfinite(value)) {
                    throw rwe::InputError(table.path, table.line(row), name, "covariate must be a finite number", fmt::format("{}", value));
                }
                x->push_back(value);
            }
        }
    }
    stats::merge_near_equal_times(data.time);
    return data;
}

}  // namespace rwe::cli
