// Survival counts from tallies (rows counted elsewhere, e.g. by a database's GROUP BY) are
// the counts of the rows they count: Kaplan–Meier curves and log-rank tests computed from
// them equal those computed from the rows, to the last bit, for grouped and stratified data,
// integer and fractional times (with near-equal times that R's timefix merges), the reverse
// curve of follow-up and tallies that split one (cell, time) into several.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <random>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/log_rank_table.hpp"
#include "rwe/stats/survival_counts.hpp"
#include "rwe/stats/survival_data.hpp"

using namespace rwe::stats;

namespace {

// Rows with `groups` groups and `strata` strata; fractional times (days / 30.4375, and a
// pair 1e-12 apart that timefix merges) unless `integer`.
SurvivalData rows(std::size_t n, std::size_t groups, std::size_t strata, bool integer, unsigned seed) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> day(0, 400), coin(0, 2);
    SurvivalData data;
    for (std::size_t g = 0; g < groups; ++g) data.group_names.push_back("g" + std::to_string(g));
    for (std::size_t s = 0; s < strata; ++s) data.stratum_names.push_back("s" + std::to_string(s));
    for (std::size_t r = 0; r < n; ++r) {
        const int d = day(random);
        data.time.push_back(integer ? d : d / 30.4375);
        data.event.push_back(coin(random) != 0 ? 1 : 0);
        if (groups > 1) data.group.push_back(static_cast<std::int32_t>(random() % groups));
        if (strata > 1) data.stratum.push_back(static_cast<std::int32_t>(random() % strata));
    }
    if (!integer) {
        data.time[0] = 100 / 30.4375;
        data.time[1] = 100 / 30.4375 + 1e-12;
    }
    if (groups <= 1) data.group_names.clear();
    if (strata <= 1) data.stratum_names.clear();
    return data;
}

// The tallies of the rows: per (cell, time, event), split in two where there are several.
std::vector<SurvivalTally> tallies_of(const SurvivalData& data, std::size_t groups) {
    std::vector<SurvivalTally> out;
    for (std::size_t r = 0; r < data.size(); ++r) {
        const std::size_t g = data.group.empty() ? 0 : static_cast<std::size_t>(data.group[r]);
        const std::size_t s = data.stratum.empty() ? 0 : static_cast<std::size_t>(data.stratum[r]);
        out.push_back({s * groups + g, data.time[r], 1, data.event[r]});
    }
    // Merge rows of equal (cell, time, event) in pairs: tallies of one and of two rows.
    std::sort(out.begin(), out.end(), [](const SurvivalTally& a, const SurvivalTally& b) {
        return std::tie(a.cell, a.time, a.events) < std::tie(b.cell, b.time, b.events);
    });
    std::vector<SurvivalTally> merged;
    for (const auto& tally : out) {
        if (!merged.empty() && merged.back().cell == tally.cell && merged.back().time == tally.time && merged.back().rows < 2 &&
            (merged.back().events == 0) == (tally.events == 0)) {
            merged.back().rows += tally.rows;
            merged.back().events += tally.events;
        } else {
            merged.push_back(tally);
        }
    }
    return merged;
}

void expect_same_curves(const KaplanMeier& a, const KaplanMeier& b) {
    ASSERT_EQ(a.curves.size(), b.curves.size());
    for (std::size_t k = 0; k < a.curves.size(); ++k) {
        const auto& x = a.curves[k];
        const auto& y = b.curves[k];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.n, y.n);
        EXPECT_EQ(x.events, y.events);
        EXPECT_EQ(x.time, y.time);
        EXPECT_EQ(x.n_risk, y.n_risk);
        EXPECT_EQ(x.n_event, y.n_event);
        EXPECT_EQ(x.surv, y.surv);
        EXPECT_EQ(x.cumhaz, y.cumhaz);
        for (std::size_t i = 0; i < x.rows(); ++i) {
            EXPECT_TRUE(x.std_err[i] == y.std_err[i] || (std::isnan(x.std_err[i]) && std::isnan(y.std_err[i])));
            EXPECT_TRUE(x.lower[i] == y.lower[i] || (std::isnan(x.lower[i]) && std::isnan(y.lower[i])));
            EXPECT_TRUE(x.upper[i] == y.upper[i] || (std::isnan(x.upper[i]) && std::isnan(y.upper[i])));
        }
    }
}

}  // namespace

TEST(SurvivalTallies, KaplanMeierAndLogRankAsFromTheRows) {
    for (bool integer : {true, false}) {
        for (const auto& [groups, strata] : {std::pair<std::size_t, std::size_t>{1, 1}, {3, 1}, {2, 3}}) {
            SurvivalData data = rows(2000, groups, strata, integer, static_cast<unsigned>(groups * 10 + strata));
            const std::size_t g = std::max<std::size_t>(groups, 1);
            const auto tallies = tallies_of(data, g);  // before timefix, as a store counts them
            merge_survival_times(data);
            for (bool reverse : {false, true}) {
                KaplanMeierOptions options;
                options.reverse = reverse;
                options.conf_type = ConfType::log_log;
                const auto counts = survival_counts_from_tallies(tallies, g * std::max<std::size_t>(strata, 1), reverse);
                expect_same_curves(kaplan_meier(data, options), kaplan_meier(counts, data.group_names, data.stratum_names, options));
            }
            if (groups > 1) {
                const auto counts = survival_counts_from_tallies(tallies, g * std::max<std::size_t>(strata, 1));
                for (const auto weight : {LogRankWeight::log_rank, LogRankWeight::peto_peto, LogRankWeight::tarone_ware}) {
                    const LogRank x = log_rank_test(data, {.weight = weight});
                    const LogRank y = log_rank_test(group_risk_table(counts, data.group_names, data.stratum_names), {.weight = weight});
                    EXPECT_EQ(x.chisq, y.chisq);
                    EXPECT_EQ(x.df, y.df);
                    EXPECT_EQ(x.variance, y.variance);
                    EXPECT_EQ(x.observed_by_stratum, y.observed_by_stratum);
                    EXPECT_EQ(x.stratum_n, y.stratum_n);
                    ASSERT_EQ(x.groups.size(), y.groups.size());
                    for (std::size_t k = 0; k < x.groups.size(); ++k) {
                        EXPECT_EQ(x.groups[k].n, y.groups[k].n);
                        EXPECT_EQ(x.groups[k].expected, y.groups[k].expected);
                    }
                }
            }
        }
    }
}

// Timefix merged the pair of fractional times 1e-12 apart in both.
TEST(SurvivalTallies, NearEqualTimesAreMerged) {
    const auto counts = survival_counts_from_tallies({{0, 1.0, 1, 1}, {0, 1.0 + 1e-12, 2, 0}, {0, 2.5, 1, 1}}, 1);
    ASSERT_EQ(counts.times(), 2u);
    EXPECT_EQ(counts.time[0], 1.0);
    EXPECT_EQ(counts.n_rows[0], 3u);
    EXPECT_EQ(counts.n_event[0], 1.0);
    EXPECT_EQ(counts.n_censor[0], 2.0);
}

TEST(SurvivalTallies, BadTalliesAreRefused) {
    EXPECT_THROW(survival_counts_from_tallies({{2, 1.0, 1, 0}}, 2), rwe::Error);               // cell out of range
    EXPECT_THROW(survival_counts_from_tallies({{0, 1.0, 1, 2}}, 1), rwe::Error);               // more events than rows
    EXPECT_THROW(survival_counts_from_tallies({{0, std::nan(""), 1, 0}}, 1), rwe::Error);      // no time
}
