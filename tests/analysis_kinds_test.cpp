// The analysis kinds: every option honoured or rejected when the protocol is read
// (analysis_options.cpp), the options that change the statistics checked against R on a
// small constructed study, run-time warnings, the report's wording, and `rwe report`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/report/study_report.hpp"
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

// The error message for a protocol with this [[analysis]] table ("" when it parses).
std::string error_of(const std::string& analysis) {
    try {
        parse_protocol_text(header + "[[analysis]]\n" + analysis, "k.toml");
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
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\nconf_type = \"log-log\"\nmedian_ci = \"spss\"\n"), "");
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
    EXPECT_EQ(error_of("id = \"lm\"\nkind = \"landmark\"\nendpoints = [\"OS\"]\nmin_cycles = 0\n"),
              "k.toml:10: analysis.lm.min_cycles: must be >= 1 (0)");
    EXPECT_EQ(error_of("id = \"lm\"\nkind = \"landmark\"\nendpoints = [\"OS\"]\nmin_cycles = 2.5\n"),
              "k.toml:10: analysis.lm.min_cycles: expected an integer");
    EXPECT_EQ(error_of("id = \"os\"\nkind = \"km\"\ntimes = [0, 6, 12.5]\nrmst_tau = 24\n"), "");
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
              "k.toml:9: analysis.os.strata: unknown key for kind km (allowed: id, kind, title, published, endpoint, by, "
              "times, conf_type, median_ci, rmst_tau)");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\n"),
              "k.toml:6: analysis.lr.by: required key missing for kind logrank");
    EXPECT_EQ(error_of("id = \"x\"\nkind = \"kaplan\"\n"),
              "k.toml:8: analysis.x.kind: unknown kind (known: attrition, table1, followup, km, logrank, response, "
              "long_term_response, adverse_events, association, second_line, cox, landmark) (kaplan)");
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
    EXPECT_EQ(error_of("id = \"l\"\nkind = \"long_term_response\"\npublished = { n = 32 }\n"),
              "k.toml:9: analysis.l.published.n: needs `of` as well");
    EXPECT_EQ(error_of("id = \"l\"\nkind = \"long_term_response\"\npublished = { cr_rate = [43.8] }\n"),
              "k.toml:9: analysis.l.published.cr_rate: expected two numbers [first group, second group]");
    EXPECT_EQ(error_of("id = \"r\"\nkind = \"response\"\npublished = { ORR = 191, CR = -1 }\n"),
              "k.toml:9: analysis.r.published.CR: a count must be >= 0 (-1)");
    // Terms are matched without case; p may be "<bound".
    EXPECT_EQ(error_of("id = \"ae\"\nkind = \"adverse_events\"\nterms = [\"Nausea\"]\npublished = { nausea = { \"1-2\" = 4, \">=3\" = 1 } }\n"), "");
    EXPECT_EQ(error_of("id = \"lr\"\nkind = \"logrank\"\nendpoints = [\"OS\"]\nby = [\"HR\"]\npublished = { HR = { p = \"<0.001\" } }\n"), "");
}

TEST(AnalysisOptions, TheReferenceProtocolsParse) {
    const auto protocol = parse_protocol(std::string(RWE_SOURCE_DIR) + "/studies/thp-first-line.toml");
    ASSERT_FALSE(protocol.analyses.empty());
    EXPECT_EQ(protocol.analyses.front().line, 37u);  // [[analysis]] of the attrition
    EXPECT_NO_THROW(parse_protocol(std::string(RWE_SOURCE_DIR) + "/studies/tdm1-second-line.toml"));
}

}  // namespace
