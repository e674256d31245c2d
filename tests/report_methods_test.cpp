// The generated "Statistical analysis" text (report/methods_text.hpp): it states what the
// analyses used, and only that, and numbers its references in order of citation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include "rwe/report/methods_text.hpp"
#include "rwe/results/results_file.hpp"

using nlohmann::json;
using rwe::report::MethodsText;
using namespace rwe::results;
using Analyses = std::vector<AnalysisResult>;

namespace {

// results.json with `analyses` (their kinds from their types).
MethodsText statistical_analysis(ResultsFile results, const Analyses& analyses = {}) {
    for (const auto& result : analyses) results.analyses.push_back({kind_of(result), kind_of(result), {}, {}, {}, {}, result});
    return rwe::report::statistical_analysis(results);
}

// A Kaplan–Meier result of one curve whose median CI is by `method`.
KmResult km_of(const std::string& endpoint, const std::string& conf_type, const std::string& method) {
    KmResult km;
    km.endpoint = endpoint;
    km.conf_type = conf_type;
    km.strata.emplace_back();
    km.strata.back().median_primary = MedianEstimate{method, {}, {}, {}};
    return km;
}

PsMatchResult matching_of(std::size_t ratio, Number caliper, bool replace, const std::string& distance) {
    PsMatchResult r;
    r.comparison.endpoint = "OS";
    r.comparison.estimable = true;
    r.matching = Matching{ratio, caliper, {}, replace, "largest", distance, {}, {}, {}};
    return r;
}

}  // namespace

namespace {

std::string all_text(const MethodsText& text) {
    std::string out;
    for (const auto& p : text.paragraphs) out += p + "\n";
    return out;
}

ResultsFile base_results() {
    ResultsFile r;
    r.rwe_version = "9.9.9";
    r.registry.patients = 300;
    r.registry.checksum = "0123456789abcdef";
    r.registry.imported_at = "2026-01-02T03:04:05Z";
    r.cohort.n = 120;
    r.protocol.file = "p.toml";
    r.protocol.index_label = "osimertinib";
    r.protocol.accrual = {"2018-01-01", "2021-12-31"};
    r.protocol.data_cutoff = std::string("2023-06-30");
    r.protocol.small_cell = 0;
    r.protocol.endpoints["OS"] = {"Overall survival", "index", {"death"}, {"last_contact"}};
    r.protocol.endpoints["TTD"] = {"Time to treatment discontinuation", "index", {"index_line_end", "death"}, {"last_contact"}};
    return r;
}

}  // namespace

TEST(StatisticalAnalysisText, CohortDatesAndEndpointsComeFromTheResults) {
    const ResultsFile r = base_results();
    const auto text = statistical_analysis(r, {km_of("TTD", "log-log", "r")});
    const std::string t = all_text(text);
    EXPECT_NE(t.find("120 of the registry's 300 patients who started osimertinib between 2018-01-01 and 2021-12-31"), std::string::npos) << t;
    EXPECT_NE(t.find("data cut-off on 2023-06-30"), std::string::npos) << t;
    // Only the endpoints the analyses use, each with its origin, events and censoring.
    EXPECT_NE(t.find("Time to treatment discontinuation (TTD) was measured from the index date (start of the index treatment) to the end "
                     "of the index treatment or death from any cause, whichever came first; patients without such an event were censored "
                     "at the last contact."),
              std::string::npos) << t;
    EXPECT_EQ(t.find("Overall survival (OS)"), std::string::npos) << t;
    // R's median interval on the log-log scale, not SPSS's; no test was run, none is named.
    EXPECT_NE(t.find("Brookmeyer and Crowley"), std::string::npos);
    EXPECT_NE(t.find("log–log scale"), std::string::npos);
    EXPECT_EQ(t.find("SPSS"), std::string::npos);
    EXPECT_EQ(t.find("log-rank"), std::string::npos);
    EXPECT_EQ(t.find("Cox"), std::string::npos);
    EXPECT_NE(t.find("rwe 9.9.9 from the protocol p.toml on the registry with checksum 0123456789ab"), std::string::npos) << t;
}

TEST(StatisticalAnalysisText, ReferencesAreNumberedInOrderOfCitation) {
    ResultsFile r = base_results();
    r.protocol.data_cutoff = {};
    Table1Result table1;
    table1.rows.emplace_back();
    table1.rows.back().by_group.emplace();
    table1.rows.back().smd = 0.1;
    RankComparison rank;
    rank.test = std::string("wilcoxon");
    table1.rows.back().comparison = rank;
    KmResult km = km_of("OS", "plain", "spss");
    km.log_rank = ChiSquareTest{};
    CoxResult cox;
    cox.endpoint = "OS";
    cox.fit.ties = "efron";
    cox.univariable.emplace();
    const auto text = statistical_analysis(r, {table1, km, cox});
    const std::string t = all_text(text);
    EXPECT_NE(t.find("No data cut-off date was set"), std::string::npos) << t;
    EXPECT_NE(t.find("imported on 2026-01-02"), std::string::npos) << t;
    // Each citation's number is one more than the largest cited before it.
    std::regex number(R"(\[(\d+)(?:, (\d+))*\])");
    int highest = 0;
    for (auto it = std::sregex_iterator(t.begin(), t.end(), number); it != std::sregex_iterator(); ++it) {
        const int n = std::stoi((*it)[1]);
        EXPECT_LE(n, highest + 1) << t;
        highest = std::max(highest, n);
    }
    ASSERT_EQ(static_cast<int>(text.references.size()), highest);
    // Wilcoxon (Mann–Whitney) first, then Yang & Dalton, Kaplan–Meier, Greenwood, Collett
    // (SPSS's median interval), Mantel (log-rank), Cox, Efron.
    const char* expected[] = {"Mann HB", "Yang D", "Kaplan EL", "Greenwood M", "Collett D", "Mantel N", "Cox DR", "Efron B"};
    ASSERT_EQ(text.references.size(), std::size(expected));
    for (std::size_t k = 0; k < text.references.size(); ++k) {
        EXPECT_EQ(text.references[k].rfind(std::to_string(k + 1) + ". " + expected[k], 0), 0u) << text.references[k];
    }
    EXPECT_NE(t.find("Efron's [8] method"), std::string::npos) << t;
    EXPECT_NE(t.find("univariable, on the patients with that covariate recorded"), std::string::npos) << t;
}

TEST(StatisticalAnalysisText, SuppressionIsStatedWithItsThreshold) {
    ResultsFile r = base_results();
    r.protocol.small_cell = 10;
    const std::string t = all_text(statistical_analysis(r));
    EXPECT_NE(t.find("counts from 1 to 9 are suppressed"), std::string::npos) << t;
}

// The confounding-adjusted and emulated-trial paragraphs: only for estimable analyses, with
// the bootstrap named when one was run, and the references in the order the text cites them
// (Robins before Austin, Hernán before Maringe; the bootstrap once).
TEST(StatisticalAnalysisText, WeightingAndTargetTrialCiteInTextOrder) {
    const ResultsFile r = base_results();
    IptwResult iptw;
    iptw.comparison.endpoint = "OS";
    iptw.comparison.estimand = "ate";
    iptw.comparison.estimable = true;
    iptw.differences.emplace();
    iptw.differences->bootstrap.replicates = 200;
    TargetTrialResult trial;
    trial.endpoint = "OS";
    trial.estimable = true;
    trial.bootstrap.emplace();
    const auto text = statistical_analysis(r, {iptw, trial});
    const std::string t = all_text(text);
    EXPECT_NE(t.find("inverse probability of treatment weighting [1]"), std::string::npos) << t;
    EXPECT_NE(t.find("before and after weighting [2]"), std::string::npos) << t;
    EXPECT_NE(t.find("percentile bootstrap 95% CIs [3]"), std::string::npos) << t;
    EXPECT_NE(t.find("emulating a target trial [4]"), std::string::npos) << t;
    EXPECT_NE(t.find("intervals of the grace period [5]"), std::string::npos) << t;
    EXPECT_NE(t.find("Percentile bootstrap 95% CIs [3] resampled patients with both their clones"), std::string::npos) << t;
    const char* expected[] = {"Robins JM", "Austin PC", "Efron B, Tibshirani RJ", "Hern\u00e1n MA", "Maringe C"};
    ASSERT_EQ(text.references.size(), std::size(expected)) << t;
    for (std::size_t k = 0; k < text.references.size(); ++k) {
        EXPECT_EQ(text.references[k].rfind(std::to_string(k + 1) + ". " + expected[k], 0), 0u) << text.references[k];
    }

    // Matching: Rosenbaum & Rubin for the score, Austin 2011 for the caliper, Austin 2009 (cited
    // already above, so [2]) for the balance; the settings of the one matching in words.
    const auto with_matching = statistical_analysis(base_results(), {matching_of(2, 0.2, false, "logit")});
    const std::string m = all_text(with_matching);
    EXPECT_NE(m.find("Patients were matched on the propensity score [1] from a logistic regression of the treatment on the baseline "
                     "covariates, by greedy 1:2 nearest-neighbour matching on the logit of the propensity score within a caliper of 0.2 "
                     "standard deviations, without replacement [2]; the effect estimated is that in the matched treated patients (ATT). "
                     "Balance was described by standardized mean differences before and after matching [3]."), std::string::npos) << m;
    EXPECT_NE(m.find("with a robust variance clustered by matched set, were compared"), std::string::npos) << m;
    ASSERT_EQ(with_matching.references.size(), 3u);
    EXPECT_EQ(with_matching.references[0].rfind("1. Rosenbaum PR", 0), 0u);
    EXPECT_EQ(with_matching.references[1].rfind("2. Austin PC. Optimal caliper", 0), 0u);
    EXPECT_EQ(with_matching.references[2].rfind("3. Austin PC. Balance", 0), 0u);

    // With replacement only: the variance by patient.
    const std::string r1 = all_text(statistical_analysis(base_results(), {matching_of(1, Number(), true, "score")}));
    EXPECT_NE(r1.find("1:1 nearest-neighbour matching on the propensity score, with replacement; the effect"), std::string::npos) << r1;
    EXPECT_NE(r1.find("with a robust variance by patient (controls could serve several treated patients)"), std::string::npos) << r1;

    // A target trial that was not estimable is not described.
    TargetTrialResult not_estimable;
    not_estimable.endpoint = "OS";
    EXPECT_EQ(all_text(statistical_analysis(base_results(), {not_estimable})).find("target trial"), std::string::npos);
}
