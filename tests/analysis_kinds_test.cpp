// The analysis kinds: every option honoured or rejected when the protocol is read
// (analysis_options.cpp), the options that change the statistics checked against R on a
// small constructed study, run-time warnings, the report's wording, and `rwe report`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/study_report.hpp"
#include "rwe/results/analysis.hpp"
#include "rwe/results/results_file.hpp"
#include "rwe/study/analyses.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/published_comparison.hpp"

namespace fs = std::filesystem;
using namespace rwe::study;
using nlohmann::json;

namespace {

// ---- checks when the protocol is read ----

// Lines 1-5; the [[analysis]] table starts on line 6.
const std::string header =
    "[study]\nid = \"k\"\n[index]\nregimen = \"THP\"\naccrual = [\"2008-01-01\", \"2009-01-01\"]\n";

// The variables and endpoints the analyses name, written after the [[analysis]] table so
// that its line numbers stay as above.
const std::string trailer =
    "\n[variables]\nAGE = { derive = \"age\" }\nHR = { derive = \"biomarker\", marker = \"er\" }\n"
    "DOCECYC = { derive = \"administrations\", drugs = [\"docetaxel\"] }\n"
    "DOCE9 = { derive = \"band\", from = \"DOCECYC\", upper = [9], labels = [\"<=9\", \">9\"] }\n"
    "BRAIN = { derive = \"metastasis\", sites = [\"brain\"] }\n"
    "[endpoints]\nOS = { events = [\"death\"] }\nPFS = { events = [\"progression\", \"death\"] }\n";

// The error message for a protocol with this [[analysis]] table ("" when it parses).
std::string error_of(const std::string& analysis) {
    try {
        parse_protocol_text(header + "[[analysis]]\n" + analysis + trailer, "k.toml");
    } catch (const rwe::InputError& error) {
        return error.what();
    }
    return "";
}

TEST(AnalysisOptions, AllowedValuesAreChecked) {
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nconf_type = \"loglog\"\n"),
              "k.toml:9: analysis.os.conf_type: not an allowed value (allowed: log, log-log, plain, logit, arcsin) (loglog)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nmedian_ci = \"sas\"\n"),
              "k.toml:9: analysis.os.median_ci: not an allowed value (allowed: r, spss) (sas)");
    EXPECT_EQ(error_of("id = \"c\"\nkind = \"cox\"\ncovariates = [\"AGE\"]\nties = \"exact\"\n"),
              "k.toml:10: analysis.c.ties: not an allowed value (allowed: efron, breslow) (exact)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nendpoint = \"OS\"\nconf_type = \"log-log\"\nmedian_ci = \"spss\"\n"), "");
}

TEST(AnalysisOptions, NumbersAreChecked) {
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\ntimes = [12, -1]\n"), "k.toml:9: analysis.os.times: must be >= 0 (-1)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\ntimes = [24, 12]\n"), "k.toml:9: analysis.os.times: must ascend strictly (12)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\ntimes = [12, 12]\n"), "k.toml:9: analysis.os.times: must ascend strictly (12)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nrmst_tau = 0\n"), "k.toml:9: analysis.os.rmst_tau: must be > 0 (0)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nrmst_tau = -2.5\n"), "k.toml:9: analysis.os.rmst_tau: must be > 0 (-2.5)");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\nby = [\"HR\"]\nrho = -1\n"),
              "k.toml:11: analysis.lr.rho: must be >= 0 (-1)");
    EXPECT_EQ(error_of("id = \"lm\"\nkind = \"landmark\"\nendpoints = [\"OS\"]\nlandmark_days = -5\n"),
              "k.toml:10: analysis.lm.landmark_days: must be >= 0 (-5)");
    EXPECT_EQ(error_of("id = \"lm\"\nkind = \"landmark\"\nendpoints = [\"OS\"]\nmin_count = 0\n"),
              "k.toml:10: analysis.lm.min_count: must be >= 1 (0)");
    EXPECT_EQ(error_of("id = \"lm\"\nkind = \"landmark\"\nendpoints = [\"OS\"]\nmin_count = 2.5\n"),
              "k.toml:10: analysis.lm.min_count: expected an integer");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nendpoint = \"OS\"\ntimes = [0, 6, 12.5]\nrmst_tau = 24\n"), "");
}

TEST(AnalysisOptions, AssociationOutcomesAreVariablesOrTermAndGrade) {
    // Before: "nausea:x" passed the parser and the run ended in "internal error: stoi".
    const std::string start = "id = \"a\"\nkind = \"association\"\nby = \"DOCE9\"\n";
    const std::string problem = "expected a variable name or \"term:k\" with k an integer from 1 to 5";
    EXPECT_EQ(error_of(start + "outcomes = [\"nausea:x\"]\n"), "k.toml:10: analysis.a.outcomes: " + problem + " (nausea:x)");
    EXPECT_EQ(error_of(start + "outcomes = [\"nausea:6\"]\n"), "k.toml:10: analysis.a.outcomes: " + problem + " (nausea:6)");
    EXPECT_EQ(error_of(start + "outcomes = [\":3\"]\n"), "k.toml:10: analysis.a.outcomes: " + problem + " (:3)");
    EXPECT_EQ(error_of(start + "outcomes = [\"nausea:3\", \"BRAIN\", \"peripheral sensory neuropathy:1\"]\n"), "");
}

TEST(AnalysisOptions, ListsAreNotEmptyAndHoldNoValueTwice) {
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\nby = []\n"),
              "k.toml:10: analysis.lr.by: must not be empty");
    EXPECT_EQ(error_of("id = \"ae\"\nkind = \"adverse_events\"\nterms = [\"nausea\", \"nausea\"]\n"),
              "k.toml:9: analysis.ae.terms: listed twice (nausea)");
    EXPECT_EQ(error_of("id = \"t\"\nkind = \"table1\"\nvariables = [\"AGE\", 3]\n"),
              "k.toml:9: analysis.t.variables: expected an array of variable names");
}

TEST(AnalysisOptions, KeysAreCheckedPerKind) {
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nstrata = \"HR\"\n"),
              "k.toml:9: analysis.os.strata: unknown key for kind km (allowed: id, kind, title, where, published, endpoint, by, "
              "times, conf_type, median_ci, rmst_tau, figure)");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\n"),
              "k.toml:6: analysis.lr.by: required key missing for kind logrank");
    EXPECT_EQ(error_of("id = \"x\"\nkind = \"kaplan\"\n"),
              "k.toml:8: analysis.x.kind: unknown kind (known: attrition, table1, followup, km, logrank, response, "
              "adverse_events, association, cox, landmark, cuminc, iptw, ps_match, target_trial) (kaplan)");
    EXPECT_EQ(error_of("id = \"../os\"\nkind = \"km\"\n"),
              "k.toml:7: analysis.../os.id: expected letters, digits, _ and - only (it names the figure and table files) (../os)");
    EXPECT_EQ(error_of("id = \"c\"\nkind = \"cox\"\ncovariates = [\"AGE\"]\npublished = { n = 3 }\n"),
              "k.toml:10: analysis.c.published: the kind cox takes no published values");
}

TEST(AnalysisOptions, PublishedKeysAreCheckedPerKind) {
    // Before: a misspelled key inside `published` passed and was never compared.
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\npublished = { meadian = 58.3 }\n"),
              "k.toml:9: analysis.os.published.meadian: unknown key (allowed: median, lower, upper)");
    // With `by`, group names are the data's; their inner keys are checked.
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nby = \"GROUP3\"\npublished = { \"de novo\" = { medain = 80.5 } }\n"),
              "k.toml:10: analysis.os.published.de novo.medain: unknown key (allowed: median, lower, upper)");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nby = \"GROUP3\"\npublished = { \"de novo\" = 80.5 }\n"),
              "k.toml:10: analysis.os.published.de novo: expected a table of median, lower, upper (one per group of `by`)");
    EXPECT_EQ(error_of("id = \"t\"\nkind = \"table1\"\nvariables = [\"HR\"]\npublished = { AGE = { median = 60 } }\n"),
              "k.toml:10: analysis.t.published.AGE: not one of `variables` (HR)");
    EXPECT_EQ(error_of("id = \"t\"\nkind = \"table1\"\nvariables = [\"AGE\"]\npublished = { AGE = { median = 60, Y = 3 } }\n"),
              "k.toml:10: analysis.t.published.AGE.Y: unknown key among summary statistics (allowed: n, median, min, max, "
              "mean, sd, q1, q3; a categorical variable takes counts per level only)");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\nby = [\"HR\"]\npublished = { DOCE6 = { p = 0.01 } }\n"),
              "k.toml:11: analysis.lr.published.DOCE6: not one of `by` (HR)");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\nby = [\"HR\"]\npublished = { HR = { p = 1.5 } }\n"),
              "k.toml:11: analysis.lr.published.HR.p: a p-value must lie in [0, 1] (1.5)");
    EXPECT_EQ(error_of("id = \"a\"\nkind = \"association\"\nby = \"DOCE9\"\noutcomes = [\"nausea:3\"]\n"
                       "published = { \"nausea:3\" = { p = \"small\" } }\n"),
              "k.toml:11: analysis.a.published.nausea:3.p: expected a p-value: a number, or \"<0.001\" (small)");
    EXPECT_EQ(error_of("id = \"ae\"\nkind = \"adverse_events\"\nterms = [\"Nausea\"]\npublished = { nausea = { \"3-5\" = 4 } }\n"),
              "k.toml:10: analysis.ae.published.nausea.3-5: unknown key (allowed: any, 1-2, 3, 4, 3-4, 5, >=3)");
    EXPECT_EQ(error_of("id = \"ae\"\nkind = \"adverse_events\"\nterms = [\"nausea\"]\npublished = { sepsis = { any = 4 } }\n"),
              "k.toml:10: analysis.ae.published.sepsis: not one of `terms` (nausea)");
    EXPECT_EQ(error_of("id = \"r\"\nkind = \"response\"\npublished = { ORR = 191, CR = -1 }\n"),
              "k.toml:9: analysis.r.published.CR: a count must be >= 0 (-1)");
    // Terms are matched without case; p may be "<bound".
    EXPECT_EQ(error_of("id = \"ae\"\nkind = \"adverse_events\"\nterms = [\"Nausea\"]\npublished = { nausea = { \"1-2\" = 4, \">=3\" = 1 } }\n"), "");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\nby = [\"HR\"]\npublished = { HR = { p = \"<0.001\" } }\n"), "");
}

TEST(AnalysisOptions, TheReferenceProtocolsParse) {
    const auto protocol = parse_protocol(std::string(RWE_SOURCE_DIR) + "/studies/thp-first-line.toml");
    ASSERT_FALSE(protocol.analyses.empty());
    EXPECT_EQ(protocol.analyses.front().line, 90u);  // [[analysis]] of the attrition
    EXPECT_NO_THROW(parse_protocol(std::string(RWE_SOURCE_DIR) + "/studies/tdm1-second-line.toml"));
}

TEST(AnalysisOptions, EveryKindHasARunnerAndEveryPublishedAComparison) {
    for (const auto& kind : analysis_kinds()) {
        EXPECT_TRUE(has_analysis_runner(kind)) << kind;
        // small-cell suppression knows the kind's counts (docs/report.md), so that no protocol
        // with small_cell is refused for a kind rwe has
        EXPECT_TRUE(rwe::report::suppression_covers(kind)) << kind;
        EXPECT_EQ(analysis_accepts_published(kind), has_published_comparison(kind)) << kind;
        EXPECT_NO_THROW(analysis_options(kind));
    }
    // Every kind has a typed result (src/rwe/results/analysis.hpp), and no result type is
    // without its kind.
    auto typed = rwe::results::result_kinds();
    auto kinds = analysis_kinds();
    std::sort(typed.begin(), typed.end());
    std::sort(kinds.begin(), kinds.end());
    EXPECT_EQ(typed, kinds);
    EXPECT_THROW(analysis_options("kaplan"), rwe::UsageError);
    ASSERT_NE(find_analysis_option("cox", "strata"), nullptr);
    EXPECT_EQ(find_analysis_option("cox", "strata")->type, OptionType::categorical_variable);
}

// ---- the analyses on a constructed study ----
//
// 17 patients; times in months. SITE is missing for the last one, who drops out of the
// stratified analyses (as R's na.action drops the row). In R (survival 3.5-3):
//   d <- data.frame(
//     time   = c(2, 3, 3, 5, 6.5, 8, 9, 12, 1.5, 4, 4, 7, 10, 11, 13, 15, 6),
//     status = c(1, 1, 0, 1, 1,   0, 1, 0,  1,   1, 1, 0, 1,  0,  1,  0,  1),
//     x      = factor(c("A","B","A","A","B","B","A","B","B","A","B","A","B","A","A","B","A"), levels = c("A","B")),
//     s      = factor(c(rep("S1", 8), rep("S2", 8), NA), levels = c("S1","S2")),
//     age    = c(61, 55, 70, 48, 66, 59, 52, 73, 68, 45, 62, 57, 71, 50, 64, 60, 58))
const std::vector<double> times{2, 3, 3, 5, 6.5, 8, 9, 12, 1.5, 4, 4, 7, 10, 11, 13, 15, 6};
const std::vector<int> status{1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1};
const std::vector<std::string> arm{"A", "B", "A", "A", "B", "B", "A", "B", "B", "A", "B", "A", "B", "A", "A", "B", "A"};
const std::vector<std::string> site{"S1", "S1", "S1", "S1", "S1", "S1", "S1", "S1",
                                    "S2", "S2", "S2", "S2", "S2", "S2", "S2", "S2", ""};
const std::vector<double> age{61, 55, 70, 48, 66, 59, 52, 73, 68, 45, 62, 57, 71, 50, 64, 60, 58};

Variable categorical(const std::string& name, const std::string& label, std::vector<std::string> values,
                     std::vector<std::string> levels) {
    Variable variable;
    variable.name = name;
    variable.label = label;
    variable.values = TextColumn(values);
    variable.levels = std::move(levels);
    return variable;
}

StudyData small_study() {
    StudyData data;
    const std::size_t n = times.size();
    for (std::size_t i = 0; i < n; ++i) data.adsl.usubjid.push_back("S" + std::to_string(i + 1));
    data.adsl.index_date.assign(n, 0);
    Variable age_variable;
    age_variable.name = "AGE";
    age_variable.label = "Age (years)";
    age_variable.numeric = true;
    age_variable.type = ValueType::number;
    age_variable.numbers = age;
    data.adsl.variables.push_back(age_variable);
    data.adsl.variables.push_back(categorical("ARM", "Arm", arm, {"A", "B"}));
    data.adsl.variables.push_back(categorical("SITE", "Site", site, {"S1", "S2"}));
    // Response: the first 12 patients have measurable disease.
    std::vector<std::string> bor{"CR", "PR", "PR", "SD", "PD", "PR", "CR", "NE", "PR", "SD", "PR", "CR", "", "", "", "", ""};
    std::vector<std::string> resp, ltr;
    for (std::size_t i = 0; i < n; ++i) {
        resp.push_back(bor[i] == "CR" || bor[i] == "PR" ? "Y" : "N");
        ltr.push_back(resp[i] == "Y" && times[i] > 8 ? "Y" : "N");
    }
    data.adsl.variables.push_back(categorical("BOR", "Best overall response", bor, {"CR", "PR", "SD", "PD", "NE"}));
    data.adsl.variables.push_back(categorical("RESP", "Responder", resp, {"N", "Y"}));
    data.adsl.variables.push_back(categorical("LTR", "Long-term responder", ltr, {"N", "Y"}));
    std::vector<std::string> prior;
    for (std::size_t i = 0; i < n; ++i) prior.push_back(i % 3 == 0 ? "Y" : "N");
    data.adsl.variables.push_back(categorical("PRIORHER2", "Prior exposure to the index drugs", prior, {"N", "Y"}));
    TimeToEvent os{"OS", "Overall survival", {}};
    for (std::size_t i = 0; i < n; ++i) {
        TimeToEventRecord record;
        record.subject = i;
        record.aval = times[i];
        record.cnsr = status[i] == 1 ? 0 : 1;
        os.records.push_back(record);
    }
    data.adtte.push_back(os);
    // Adverse events (registry terms are lower case): nausea in patients 1 (grade 3) and 2 (grade 1).
    data.add_adverse_event(0, "nausea", 3, "none");
    data.add_adverse_event(1, "nausea", 1, "dose_reduced");
    data.add_adverse_event(2, "diarrhea", 2, "none");
    for (std::size_t i = 0; i < n; ++i) data.administration_days["lm"].push_back({});
    return data;
}

Protocol protocol_with(std::vector<Analysis> analyses) {
    Protocol protocol;
    protocol.path = "k.toml";
    protocol.id = "k";
    protocol.title = "Constructed study";
    protocol.stats = defaults_for(Convention::r);
    protocol.analyses = std::move(analyses);
    return protocol;
}

Analysis analysis(const std::string& id, const std::string& kind, json options, json published = json::object(),
                  std::size_t line = 12) {
    Analysis out;
    out.id = id;
    out.kind = kind;
    out.options = std::move(options);
    out.options["id"] = id;
    out.options["kind"] = kind;
    out.published = std::move(published);
    out.line = line;
    return out;
}

json run_one(const Analysis& one, std::vector<std::string>& warnings) {
    const auto results = run_analyses(small_study(), protocol_with({one}), warnings);
    return results[0];
}

double at(const json& value) { return value.get<double>(); }

TEST(AnalysisKinds, StratifiedCoxMatchesR) {
    // f <- coxph(Surv(time, status) ~ x + age + strata(s), data = d, ties = "efron")
    //   coef(f)  xB 0.166453229619073662   age -0.027923078877086935
    //   sqrt(diag(vcov(f)))  0.819927002817634420  0.050445227619312243
    //   f$loglik  -15.610783846492126 -15.437950329049071;  f$n 16, f$nevent 10
    // (unstratified, coxph(... ~ x + age): xB 0.12054758017716585, age -0.03012594386542080)
    std::vector<std::string> warnings;
    const json entry = run_one(analysis("cox", "cox", {{"endpoint", "OS"}, {"covariates", {"ARM", "AGE"}}, {"strata", "SITE"}}),
                               warnings);
    const json& r = entry["result"];
    EXPECT_EQ(r["strata"], "SITE");
    EXPECT_EQ(r["n"], 16);
    EXPECT_EQ(r["events"], 10);
    EXPECT_EQ(r["dropped"], 1);
    const auto& arm_b = r["coefficients"][0];
    const auto& age_coefficient = r["coefficients"][1];
    EXPECT_NEAR(at(arm_b["coef"]), 0.166453229619073662, 1e-6);
    EXPECT_NEAR(at(age_coefficient["coef"]), -0.027923078877086935, 1e-6);
    EXPECT_NEAR(at(arm_b["se"]), 0.819927002817634420, 1e-6);
    EXPECT_NEAR(at(age_coefficient["se"]), 0.050445227619312243, 1e-6);
    EXPECT_NEAR(at(r["loglik"][0]), -15.610783846492126, 1e-9);
    EXPECT_NEAR(at(r["loglik"][1]), -15.437950329049071, 1e-6);
    EXPECT_TRUE(warnings.empty());
}

TEST(AnalysisKinds, StratifiedLogRankMatchesR) {
    // sd <- survdiff(Surv(time, status) ~ x + strata(s), data = d)
    //   sd$chisq 0.033297576566912561; pchisq(sd$chisq, 1, lower.tail = FALSE) 0.85520900247942488
    //   sd$obs (group x stratum): A 3 2, B 2 3
    //   sd$exp (group x stratum): A 2.0785714285714283 2.6428571428571428, B 2.9214285714285717 2.3571428571428572
    // (unstratified survdiff(Surv(time, status) ~ x): chisq 0.06198690452978857)
    std::vector<std::string> warnings;
    const json entry = run_one(analysis("lr", "logrank", {{"endpoints", {"OS"}}, {"by", {"ARM"}}, {"strata", "SITE"}}), warnings);
    const json& test = entry["result"]["tests"][0];
    EXPECT_EQ(test["strata"], "SITE");
    EXPECT_EQ(test["dropped"], 1);
    EXPECT_NEAR(at(test["chisq"]), 0.033297576566912561, 1e-9);
    EXPECT_NEAR(at(test["p"]), 0.85520900247942488, 1e-9);
    EXPECT_NEAR(at(test["groups"][0]["observed"]), 5.0, 1e-12);
    EXPECT_NEAR(at(test["groups"][1]["observed"]), 5.0, 1e-12);
    EXPECT_NEAR(at(test["groups"][0]["expected"]), 2.0785714285714283 + 2.6428571428571428, 1e-9);
    EXPECT_NEAR(at(test["groups"][1]["expected"]), 2.9214285714285717 + 2.3571428571428572, 1e-9);
    // Without strata the same call gives the unstratified test.
    const json plain = run_one(analysis("lr", "logrank", {{"endpoints", {"OS"}}, {"by", {"ARM"}}}), warnings);
    EXPECT_FALSE(plain["result"]["tests"][0].contains("strata"));
    EXPECT_NEAR(at(plain["result"]["tests"][0]["chisq"]), 0.06198690452978857, 1e-9);
}

// R's time fix (methods §1.1) merges near-equal times, and the iptw bootstrap's resamples
// keep it whenever the data have near-equal times: a censoring 1e-10 before an event of the
// same arm then ties with it (the event counted with the censored patient at risk), so the
// resamples' survival, and the percentile limits, are those of the data with the two times
// equal. Without the time fix the censoring would come first and the limits would differ.
TEST(AnalysisKinds, IptwBootstrapKeepsTheTimeFixWhenTimesAreNearEqual) {
    auto limits = [](double censored_time) {
        StudyData data = small_study();
        auto& os = data.adtte[0].records;
        os[0].aval = 3;              // arm A, an event
        os[2].aval = censored_time;  // arm A, censored
        const Analysis iptw = analysis("w", "iptw", {{"endpoint", "OS"}, {"treatment", "ARM"}, {"covariates", {"AGE"}},
                                                     {"times", {4, 8}}, {"bootstrap", 40}, {"seed", 3}});
        std::vector<std::string> warnings;
        const json results = run_analyses(data, protocol_with({iptw}), warnings);
        return results[0]["result"]["differences"];
    };
    const json tied = limits(3), near = limits(3 - 1e-10);
    ASSERT_EQ(tied["survival"].size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
        for (const char* key : {"difference", "lower", "upper"}) {
            EXPECT_EQ(near["survival"][k][key], tied["survival"][k][key]) << k << key;
        }
    }
    // and the near-equal times do matter when they are not merged: a censoring well before
    // the event (2.5) moves the limits
    const json before = limits(2.5);
    bool moved = false;
    for (std::size_t k = 0; k < 2; ++k) {
        for (const char* key : {"lower", "upper"}) moved = moved || before["survival"][k][key] != tied["survival"][k][key];
    }
    EXPECT_TRUE(moved) << before.dump() << tied.dump();
}

TEST(AnalysisKinds, RestrictedMeanMatchesR) {
    // km <- survfit(Surv(time, status) ~ x, data = d); survival:::survmean(km, rmean = 10)$matrix
    //   x=A rmean 7.0370370370370363 se(rmean) 1.0028684570448412
    //   x=B rmean 6.8750000000000000 se(rmean) 1.1948783933940725
    // survival:::survmean(survfit(Surv(time, status) ~ 1, data = d), rmean = 20)$matrix
    //   rmean 9.1772247360482648 se(rmean) 1.6817510985861694  (tau beyond the last time, 15)
    std::vector<std::string> warnings;
    const json by_arm = run_one(analysis("os", "km", {{"endpoint", "OS"}, {"by", "ARM"}, {"rmst_tau", 10}}), warnings)["result"];
    const double z = 1.959963984540054;
    const auto& a = by_arm["strata"][0]["rmst"];
    const auto& b = by_arm["strata"][1]["rmst"];
    EXPECT_EQ(at(a["tau"]), 10.0);
    EXPECT_NEAR(at(a["rmean"]), 7.0370370370370363, 1e-12);
    EXPECT_NEAR(at(a["se"]), 1.0028684570448412, 1e-12);
    EXPECT_NEAR(at(a["lower"]), 7.0370370370370363 - z * 1.0028684570448412, 1e-9);
    EXPECT_NEAR(at(a["upper"]), 7.0370370370370363 + z * 1.0028684570448412, 1e-9);
    EXPECT_NEAR(at(b["rmean"]), 6.875, 1e-12);
    EXPECT_NEAR(at(b["se"]), 1.1948783933940725, 1e-12);
    EXPECT_FALSE(a["beyond_follow_up"].get<bool>());
    const json all = run_one(analysis("os", "km", {{"endpoint", "OS"}, {"rmst_tau", 20}}), warnings)["result"];
    EXPECT_NEAR(at(all["strata"][0]["rmst"]["rmean"]), 9.1772247360482648, 1e-12);
    EXPECT_NEAR(at(all["strata"][0]["rmst"]["se"]), 1.6817510985861694, 1e-12);
    EXPECT_TRUE(all["strata"][0]["rmst"]["beyond_follow_up"].get<bool>());
    // Without rmst_tau, no RMST.
    EXPECT_FALSE(run_one(analysis("os", "km", {{"endpoint", "OS"}}), warnings)["result"]["strata"][0].contains("rmst"));
}

std::string usage_error_of(const Analysis& one) {
    std::vector<std::string> warnings;
    try {
        run_one(one, warnings);
    } catch (const rwe::UsageError& error) {
        return error.what();
    }
    return "";
}

TEST(AnalysisKinds, NumericGroupingVariableIsAnError) {
    // Before: every patient dropped out without a word (a number has no levels).
    const std::string problem = "numeric variable used as a group; define a band (AGE)";
    EXPECT_EQ(usage_error_of(analysis("os", "km", {{"endpoint", "OS"}, {"by", "AGE"}})), "k.toml:12: analysis.os.by: " + problem);
    EXPECT_EQ(usage_error_of(analysis("lr", "logrank", {{"endpoints", {"OS"}}, {"by", {"ARM", "AGE"}}})),
              "k.toml:12: analysis.lr.by: " + problem);
    EXPECT_EQ(usage_error_of(analysis("lr", "logrank", {{"endpoints", {"OS"}}, {"by", {"ARM"}}, {"strata", "AGE"}})),
              "k.toml:12: analysis.lr.strata: " + problem);
    EXPECT_EQ(usage_error_of(analysis("c", "cox", {{"covariates", {"ARM"}}, {"strata", "AGE"}})), "k.toml:12: analysis.c.strata: " + problem);
    EXPECT_EQ(usage_error_of(analysis("t", "table1", {{"variables", {"ARM"}}, {"by", "AGE"}})), "k.toml:12: analysis.t.by: " + problem);
    EXPECT_EQ(usage_error_of(analysis("r", "response", {{"by", {"AGE"}}})), "k.toml:12: analysis.r.by: " + problem);
    EXPECT_EQ(usage_error_of(analysis("a", "association", {{"by", "AGE"}, {"outcomes", {"RESP"}}})), "k.toml:12: analysis.a.by: " + problem);
    EXPECT_EQ(usage_error_of(analysis("a", "association", {{"by", "ARM"}, {"outcomes", {"AGE"}}})),
              "k.toml:12: analysis.a.outcomes: numeric variable used as an outcome; define a band (AGE)");
}

TEST(AnalysisKinds, AdverseEventTermsIgnoreCaseAndAnAbsentTermIsAWarning) {
    std::vector<std::string> warnings;
    const json entry = run_one(analysis("ae", "adverse_events", {{"terms", {"Nausea", "sepsis"}}}, json::object(), 40), warnings);
    const json& r = entry["result"];
    EXPECT_EQ(r["grading_scale"], "CTCAE");
    EXPECT_EQ(r["grading"], "worst CTCAE grade per patient and term, events of the index line");
    ASSERT_EQ(r["terms"].size(), 2u);
    EXPECT_EQ(r["terms"][0]["term"], "nausea");
    EXPECT_EQ(r["terms"][0]["any"]["n"], 2);
    EXPECT_EQ(r["terms"][0]["grade_3"]["n"], 1);
    EXPECT_EQ(r["terms"][1]["any"]["n"], 0);  // the row stays, with a warning
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "k.toml:40: analysis.ae.terms: warning: no adverse event with this term in the cohort (sepsis)");
    // The same for a term of an association outcome.
    warnings.clear();
    const json association = run_one(analysis("a", "association", {{"by", "ARM"}, {"outcomes", {"NAUSEA:3", "sepsis:3"}}}), warnings);
    EXPECT_EQ(association["result"]["tests"][0]["counts"][0][0], 1);  // arm A, nausea grade >= 3
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "k.toml:12: analysis.a.outcomes: warning: no adverse event with this term in the cohort (sepsis)");
}

// A population (`where`) keeps the adverse events of its patients for the kinds that read
// them. AGE >= 50 leaves out patients 4 and 10 (ages 48 and 45); the events are those of
// patients 1-3 (nausea grade 3 in arm A, nausea grade 1, diarrhoea), all kept.
TEST(AnalysisKinds, PopulationsKeepTheAdverseEventsOfTheKindsThatReadThem) {
    const NameScope scope{[](const std::string& name) -> std::optional<NameInfo> {
                              if (name == "AGE") return NameInfo{0, ValueType::number, {}};  // small_study's column 0
                              return std::nullopt;
                          },
                          {"AGE"}};
    const auto aged_50 = Expression::parse("AGE >= 50", {"k.toml", 12, "analysis.x.where"}, scope, ValueType::boolean);
    std::vector<std::string> warnings;
    Analysis events = analysis("ae", "adverse_events", {{"terms", {"nausea", "diarrhea"}}});
    events.where = aged_50;
    const json entry = run_one(events, warnings);
    const json& r = entry["result"];
    EXPECT_EQ(r["population"]["n"], 15);
    EXPECT_EQ(r["terms"][0]["any"]["n"], 2);  // nausea: patients 1 and 2
    EXPECT_EQ(r["terms"][0]["grade_3"]["n"], 1);
    EXPECT_EQ(r["terms"][1]["any"]["n"], 1);  // diarrhoea: patient 3
    Analysis association = analysis("a", "association", {{"by", "ARM"}, {"outcomes", {"nausea:3"}}});
    association.where = aged_50;
    EXPECT_EQ(run_one(association, warnings)["result"]["tests"][0]["counts"][0][0], 1);  // arm A, nausea grade >= 3
    EXPECT_TRUE(warnings.empty()) << warnings.front();
}

TEST(AnalysisKinds, GradingNamesTheScale) {
    std::vector<std::string> warnings;
    const json entry = run_one(analysis("ae", "adverse_events", {{"grading", "CTCAE v4.03"}}), warnings);
    EXPECT_EQ(entry["result"]["grading_scale"], "CTCAE v4.03");
    EXPECT_EQ(entry["result"]["terms"].size(), 2u);  // every term in the cohort: diarrhea, nausea
}

TEST(AnalysisKinds, PublishedNamesTheResultsLackAreWarnings) {
    std::vector<std::string> warnings;
    const json km = run_one(analysis("os", "km", {{"endpoint", "OS"}, {"by", "ARM"}},
                                     {{"A", {{"median", 9.0}, {"lower", 5.0}}}, {"C", {{"median", 5.0}}}}),
                            warnings);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "k.toml:12: analysis.os.published.C: warning: no group of this name in the results (groups: A, B)");
    // Group A's median and its lower limit are both compared (the limit was ignored before).
    ASSERT_EQ(km["comparison"].size(), 2u);
    EXPECT_EQ(km["comparison"][0]["quantity"], "A: median (r CI)");
    EXPECT_EQ(km["comparison"][1]["quantity"], "A: median CI lower");
    warnings.clear();
    const json t1 = run_one(analysis("t1", "table1", {{"variables", {"ARM", "AGE"}}},
                                     {{"ARM", {{"A", 9}, {"b", 8}}}, {"AGE", {{"median", 60}, {"Y", 3}}}}),
                            warnings);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_EQ(warnings[0], "k.toml:12: analysis.t1.published.ARM.b: warning: no level of this name in the results (counted as 0)");
    EXPECT_EQ(warnings[1], "k.toml:12: analysis.t1.published.AGE.Y: warning: the variable is numeric: give summary statistics "
                           "(n, median, min, max, mean, sd, q1, q3), not level counts");
    // Rows in the order of the results; AGE's median is compared, Y is not.
    ASSERT_EQ(t1["comparison"].size(), 3u);
    EXPECT_EQ(t1["comparison"][2]["quantity"], "AGE median");
    warnings.clear();
    run_one(analysis("ae", "adverse_events", {}, {{"Vomiting", {{"any", 3}}}}), warnings);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "k.toml:12: analysis.ae.published.Vomiting: warning: no adverse event with this term in the cohort");
}

// ---- the report ----

fs::path temp_dir(const std::string& name) {
    auto dir = fs::temp_directory_path() / ("rwe_kinds_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

json results_of(const std::vector<Analysis>& analyses, std::vector<std::string>& warnings) {
    const Protocol protocol = protocol_with(analyses);
    rwe::results::ProtocolRecord record;
    record.id = protocol.id;
    record.title = protocol.title;
    record.file = "k.toml";
    record.convention = "r";
    record.conf_type = "log";
    record.median_ci = "r";
    record.ties = "efron";
    record.time_unit = "months";
    rwe::results::RegistryRecord registry;
    registry.checksum = "0";
    json results;
    results["protocol"] = rwe::results::encode(record);
    results["registry"] = rwe::results::encode(registry);
    results["cohort"] = rwe::results::encode(rwe::results::CohortRecord{});
    results["rwe_version"] = "test";
    results["schema_version"] = rwe::results::results_schema_version;
    results["analyses"] = run_analyses(small_study(), protocol, warnings);
    results["warnings"] = warnings;
    return results;
}

TEST(StudyReport, WordsComeFromTheResults) {
    std::vector<std::string> warnings;
    const json results = results_of({analysis("resp", "response", {}),
                                     analysis("ae", "adverse_events", {{"terms", {"nausea", "sepsis"}}, {"grading", "CTCAE v4.03"}})},
                                    warnings);
    const auto dir = temp_dir("words");
    rwe::report::write_study_report(results, dir);
    const std::string html = slurp(dir / "report.html");
    EXPECT_NE(html.find("Worst grade per patient and term; CTCAE v4.03."), std::string::npos);
    EXPECT_NE(html.find("by worst CTCAE v4.03 grade"), std::string::npos);
    EXPECT_EQ(html.find("CTCAE v5.0"), std::string::npos);
    EXPECT_EQ(html.find("anti-HER2"), std::string::npos);
    // The warning is on the page too.
    EXPECT_NE(html.find("no adverse event with this term in the cohort (sepsis)"), std::string::npos);
    fs::remove_all(dir);
}

TEST(StudyReport, ResponseFigureWithoutALongTermAnalysis) {
    // Before: the response bar chart was drawn only by the long_term_response analysis.
    std::vector<std::string> warnings;
    const json results = results_of({analysis("resp", "response", {{"by", {"ARM"}}})}, warnings);
    const auto dir = temp_dir("response");
    rwe::report::write_study_report(results, dir);
    EXPECT_TRUE(fs::exists(dir / "figures" / "fig-resp.svg"));
    fs::remove_all(dir);
}

TEST(StudyReport, StrataAndRestrictedMeanAreShown) {
    std::vector<std::string> warnings;
    const json results = results_of({analysis("os", "km", {{"endpoint", "OS"}, {"by", "ARM"}, {"rmst_tau", 10}}),
                                     analysis("lr", "logrank", {{"endpoints", {"OS"}}, {"by", {"ARM"}}, {"strata", "SITE"}}),
                                     analysis("cox", "cox", {{"covariates", {"ARM"}}, {"strata", "SITE"}})},
                                    warnings);
    const auto dir = temp_dir("strata");
    rwe::report::write_study_report(results, dir);
    const std::string km = slurp(dir / "tables" / "tab-os.csv");
    EXPECT_NE(km.find("RMST to 10 (95% CI)"), std::string::npos);
    EXPECT_NE(km.find("7.0 (5.1–9.0)"), std::string::npos);  // 7.037 ± 1.96 × 1.003
    const std::string html = slurp(dir / "report.html");
    EXPECT_NE(html.find("Log-rank test, stratified by SITE; medians over all strata of each group."), std::string::npos);
    EXPECT_NE(html.find("stratified by Site)"), std::string::npos);
    fs::remove_all(dir);
}

// ---- rwe report ----

int run(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()); }

TEST(ReportCommand, RendersTheSameReportFromResultsAlone) {
    const auto dir = temp_dir("command");
    const std::string rwe = RWE_BINARY;
    ASSERT_EQ(run(rwe + " import " + RWE_TEST_DATA_DIR + "/study/registry --db " + (dir / "registry.sqlite").string()), 0);
    ASSERT_EQ(run(rwe + " run " + RWE_SOURCE_DIR + "/studies/thp-first-line.toml --db " + (dir / "registry.sqlite").string() +
                  " --out " + (dir / "run").string()),
              0);
    ASSERT_EQ(run(rwe + " report " + (dir / "run" / "results.json").string() + " --out " + (dir / "again").string()), 0);
    std::size_t tables = 0;
    for (const auto& entry : fs::directory_iterator(dir / "run" / "tables")) {
        EXPECT_EQ(slurp(entry.path()), slurp(dir / "again" / "tables" / entry.path().filename())) << entry.path().filename();
        ++tables;
    }
    EXPECT_GT(tables, 10u);
    EXPECT_EQ(slurp(dir / "run" / "report.html"), slurp(dir / "again" / "report.html"));
    for (const char* file : {"results.json", "adsl.csv", "tables.xlsx", "figures/fig-os.svg"}) {
        EXPECT_TRUE(fs::exists(dir / "again" / file)) << file;
    }
    // All or nothing: a file that is not a results.json leaves no folder behind.
    std::ofstream(dir / "other.json") << "{\"analyses\": []}";
    EXPECT_EQ(run(rwe + " report " + (dir / "other.json").string() + " --out " + (dir / "none").string()) >> 8, 1);
    std::ofstream(dir / "broken.json") << "{\"protocol\": {}, \"registry\": {}, \"analyses\": [{\"kind\": \"km\", \"id\": \"os\"}]}";
    EXPECT_EQ(run(rwe + " report " + (dir / "broken.json").string() + " --out " + (dir / "none").string()) >> 8, 1);
    EXPECT_FALSE(fs::exists(dir / "none"));
    fs::remove_all(dir);
}

}  // namespace
