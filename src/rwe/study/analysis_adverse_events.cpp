// Adverse events by worst grade per patient and term.
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

struct AdverseEventOptions {
    std::vector<std::string> terms;  // every term in the cohort when empty
    std::string grading = "CTCAE";
    template <class V> void fields(V& v) {
        v("terms", terms);
        v("grading", grading);
    }
};

}  // namespace

results::AdverseEventsResult run_adverse_events(const Context& c, const Analysis& analysis) {
    const double n = static_cast<double>(c.data.adsl.size());
    const auto options = read_options<AdverseEventOptions>(analysis);
    std::vector<std::string> terms = options.terms;
    for (auto& term : terms) term = lower(term);
    if (terms.empty()) {
        std::set<std::string> seen;
        for (const auto& record : c.data.adae) seen.insert(c.data.ae_term(record));
        terms.assign(seen.begin(), seen.end());
    }
    results::AdverseEventsResult out;
    for (const auto& term : terms) {
        std::map<int, double> by_grade;
        std::map<std::string, double> actions;
        const auto code = c.data.ae_term_code(term);
        for (const auto& record : c.data.adae) {
            if (!code || record.term != *code) continue;
            ++by_grade[record.worst_grade];
            const std::string& action = c.data.ae_action(record);
            if (action != "none" && !action.empty()) ++actions[action];
        }
        if (by_grade.empty()) c.warn(analysis, "terms", "no adverse event with this term in the cohort", term);
        const double g12 = by_grade[1] + by_grade[2], g3 = by_grade[3], g4 = by_grade[4], g5 = by_grade[5];
        auto cell = [&](double count) { return results::GradeCount{count, n > 0 ? results::Number(100.0 * count / n) : results::Number()}; };
        out.terms.push_back({term, cell(g12 + g3 + g4 + g5), cell(g12), cell(g3), cell(g4), cell(g3 + g4), cell(g5), cell(g3 + g4 + g5),
                             std::map<std::string, results::Number>(actions.begin(), actions.end())});
    }
    const std::string& scale = options.grading;
    out.n = n;
    out.grading_scale = scale;
    out.grading = fmt::format("worst {} grade per patient and term, events of the index line", scale);
    return out;
}

}  // namespace rwe::study::kit
