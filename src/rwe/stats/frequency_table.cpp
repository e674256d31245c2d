#include "rwe/stats/frequency_table.hpp"

#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

FrequencyTable frequency_table(std::span<const std::int32_t> codes,
                               const std::vector<std::string>& levels,
                               const FrequencyTableOptions& options) {
    constexpr double not_available = std::numeric_limits<double>::quiet_NaN();
    FrequencyTable table;
    table.levels.resize(levels.size());
    for (std::size_t level = 0; level < levels.size(); ++level)
        table.levels[level].level = levels[level];
    table.missing.level = "missing";
    for (auto code : codes) {
        if (code < 0) {
            ++table.missing.n;
        } else if (static_cast<std::size_t>(code) < levels.size()) {
            ++table.levels[static_cast<std::size_t>(code)].n;
        } else {
            throw Error(ErrorKind::internal, "frequency table: code outside its levels");
        }
    }
    table.total = codes.size();
    table.denominator = options.percent_of_all ? table.total : table.total - table.missing.n;
    const auto percent = [&](std::size_t n) {
        return table.denominator == 0
                   ? not_available
                   : 100.0 * static_cast<double>(n) / static_cast<double>(table.denominator);
    };
    for (auto& row : table.levels) row.percent = percent(row.n);
    table.missing.percent = options.percent_of_all ? percent(table.missing.n) : not_available;
    if (table.denominator == 0)
        table.messages.push_back("no non-missing values: percentages are undefined");
    return table;
}

}  // namespace rwe::stats
