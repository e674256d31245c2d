// Two-way tables of a grouping variable against outcomes, with the chosen test.
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

struct AssociationOptions {
    std::string by;
    std::vector<std::string> outcomes;  // variables, or "term:k" (worst grade k or more)
    template <class V> void fields(V& v) {
        v("by", by);
        v("outcomes", outcomes);
    }
};

}  // namespace

results::AssociationResult run_association(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const auto options = read_options<AssociationOptions>(analysis);
    const Variable& by = categorical(c, analysis, "by", options.by);
    results::AssociationResult out;
    for (const auto& outcome : options.outcomes) {
        // "term:k" = worst grade >= k of that term (k checked when the protocol is read); a
        // plain ADSL name is used as it is.
        const auto colon = outcome.rfind(':');
        if (c.counted != nullptr) {
            // The store's counts per (group, outcome) value.
            std::vector<std::string> levels{"Y", "N"};
            std::string label = outcome;
            const Variable* variable = nullptr;
            if (colon != std::string::npos) {
                const std::string term = lower(outcome.substr(0, colon));
                label = term + ", grade \u2265 " + outcome.substr(colon + 1);
                const auto having = c.counted->term_patients.find(term);
                if (having == c.counted->term_patients.end() || having->second == 0) {
                    c.warn(analysis, "outcomes", "no adverse event with this term in the cohort", term);
                }
            } else {
                variable = &categorical(c, analysis, "outcomes", outcome);
                levels = variable->levels;
                label = variable->label;
            }
            const auto found = c.counted->crosstabs.find(StoreCounts::crosstab_key(by.name, outcome));
            if (found == c.counted->crosstabs.end()) throw Error(ErrorKind::internal, "the store did not count " + outcome + " by " + by.name);
            std::vector<double> counts(by.levels.size() * levels.size(), 0.0);
            std::size_t dropped = 0;
            for (const auto& tally : found->second) {
                const std::int32_t r = store_level(c, by, tally.group);
                std::int32_t k = -1;
                if (variable != nullptr) k = store_level(c, *variable, tally.stratum);
                else if (tally.stratum) k = *tally.stratum == "Y" ? 0 : 1;
                if (r < 0 || k < 0) {
                    dropped += tally.records;
                    continue;
                }
                counts[static_cast<std::size_t>(r) * levels.size() + static_cast<std::size_t>(k)] += static_cast<double>(tally.records);
            }
            out.tests.push_back({association_test(by.levels, levels, counts, dropped), outcome, label, by.name, by.label});
            continue;
        }
        TextColumn values(adsl.size(), "N");
        std::vector<std::string> levels{"Y", "N"};
        std::string label = outcome;
        if (colon != std::string::npos) {
            label = lower(outcome.substr(0, colon)) + ", grade \u2265 " + outcome.substr(colon + 1);
            const std::string term = lower(outcome.substr(0, colon));
            const int grade = std::stoi(outcome.substr(colon + 1));
            if (!term_in_cohort(c.data, term)) c.warn(analysis, "outcomes", "no adverse event with this term in the cohort", term);
            const auto code = c.data.ae_term_code(term);
            for (const auto& record : c.data.adae) {
                if (code && record.term == *code && record.worst_grade >= grade) values.set(record.subject, "Y");
            }
        } else {
            const Variable& variable = categorical(c, analysis, "outcomes", outcome);
            values = variable.values;
            levels = variable.levels;
            label = variable.label;
        }
        out.tests.push_back({association_test(by.values, by.levels, values, levels), outcome, label, by.name, by.label});
    }
    return out;
}

}  // namespace rwe::study::kit
