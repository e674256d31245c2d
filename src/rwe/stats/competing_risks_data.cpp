#include "rwe/stats/competing_risks_data.hpp"

#include <cmath>
#include <string>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

[[noreturn]] void broken(std::size_t row, const std::string& what) {
    throw Error(ErrorKind::input, "competing-risks data, row " + std::to_string(row + 1) + ": " + what);
}

}  // namespace

void validate_competing_risks_data(const CompetingRisksData& data) {
    const std::size_t n = data.time.size();
    if (data.status.size() != n) throw Error(ErrorKind::input, "competing-risks data: time and status lengths differ");
    if (!data.group.empty() && data.group.size() != n) {
        throw Error(ErrorKind::input, "competing-risks data: time and group lengths differ");
    }
    if (!data.stratum.empty() && data.stratum.size() != n) {
        throw Error(ErrorKind::input, "competing-risks data: time and stratum lengths differ");
    }
    if (data.cause_names.empty()) throw Error(ErrorKind::input, "competing-risks data: no cause of event named");
    const auto causes = static_cast<std::int32_t>(data.cause_names.size());
    const auto groups = static_cast<std::int32_t>(data.group_names.size());
    const auto strata = static_cast<std::int32_t>(data.stratum_names.size());
    for (std::size_t row = 0; row < n; ++row) {
        const double t = data.time[row];
        if (!std::isfinite(t) || t < 0) broken(row, "time must be finite and >= 0");
        if (data.status[row] < 0 || data.status[row] > causes) {
            broken(row, "status must be 0 (censored) or a cause code 1.." + std::to_string(causes));
        }
        if (!data.group.empty() && (data.group[row] < 0 || data.group[row] >= groups)) {
            broken(row, "group code out of range");
        }
        if (!data.stratum.empty() && (data.stratum[row] < 0 || data.stratum[row] >= strata)) {
            broken(row, "stratum code out of range");
        }
    }
}

void validate_fine_gray_input(const CompetingRisksData& data, const std::vector<double>& x, std::size_t p,
                              std::size_t cause) {
    validate_competing_risks_data(data);
    if (p == 0) throw UsageError("Fine–Gray regression needs at least one covariate");
    if (x.size() != data.size() * p) throw UsageError("Fine–Gray regression: covariates do not match the rows");
    if (cause < 1 || cause > data.cause_count()) throw UsageError("Fine–Gray regression: no cause " + std::to_string(cause));
}

}  // namespace rwe::stats
