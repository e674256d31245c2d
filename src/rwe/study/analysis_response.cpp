// Best overall response (RECIST categories), response rates and their tests.
#include "rwe/study/analysis_kit.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include "rwe/common/error.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/published_comparison.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/descriptive.hpp"
#include "rwe/stats/fisher_exact_test.hpp"
#include "rwe/stats/frequency_table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"
#include "rwe/stats/test_choice.hpp"

namespace rwe::study::kit {

namespace {

// Best overall response counts of the subjects selected by `mask` (measurable disease only).
results::ResponseCounts response_counts(const Variable& bor, const Mask& mask) {
    std::map<std::string, double> counts;
    double measurable = 0;
    for (std::size_t i = 0; i < bor.values.size(); ++i) {
        if (bor.values[i].empty() || (!mask.empty() && !mask[i])) continue;
        ++measurable;
        ++counts[bor.values[i]];
    }
    results::ResponseCounts out;
    out.measurable = measurable;
    for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) out.best_response[level] = proportion(counts[level], measurable);
    out.orr = proportion(counts["CR"] + counts["PR"], measurable);
    out.cr_rate = proportion(counts["CR"], measurable);
    out.dcr = proportion(counts["CR"] + counts["PR"] + counts["SD"], measurable);
    return out;
}

struct ResponseOptions {
    std::vector<std::string> by;
    std::string variable = "BOR";  // the best-response variable
    template <class V> void fields(V& v) {
        v("by", by);
        v("variable", variable);
    }
};

}  // namespace

results::ResponseResult run_response(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const auto options = read_options<ResponseOptions>(analysis);
    const Variable& bor = adsl.at(options.variable);
    results::ResponseResult out;
    out.counts = response_counts(bor, {});
    out.not_measurable = static_cast<double>(adsl.size()) - out.counts.measurable.value();
    out.ci_method = "Clopper-Pearson exact 95% CI, percent";
    for (const auto& name : options.by) {
        const Variable& group = categorical(c, analysis, "by", name);
        results::ResponseBy by;
        by.by = name;
        by.label = group.label;
        TextColumn responders;
        for (std::size_t i = 0; i < adsl.size(); ++i) {
            responders.push_back(bor.values[i].empty() ? "" : (bor.values[i] == "CR" || bor.values[i] == "PR" ? "Y" : "N"));
        }
        for (const auto& level : group.levels) {
            results::ResponseLevel entry{response_counts(bor, rows_at_level(group, level)), level, std::nullopt};
            if (const auto label = group.value_labels.find(level); label != group.value_labels.end()) entry.label = label->second;
            by.levels.push_back(std::move(entry));
        }
        by.orr_test = association_test(group.values, group.levels, responders, {"Y", "N"});
        if (!out.by) out.by.emplace();
        out.by->push_back(std::move(by));
    }
    return out;
}

}  // namespace rwe::study::kit
