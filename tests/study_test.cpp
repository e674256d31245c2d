// The study pipeline end to end on a registry of constructed patients
// (tests/data/study/registry), each built to exercise one rule of cohort selection or
// endpoint derivation; expected values are worked out by hand from the dates in the
// fixture (days between dates / 30.4375 for months).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/study/analyses.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"

namespace fs = std::filesystem;
using namespace rwe::study;

namespace {

const std::string registry_dir = std::string(RWE_TEST_DATA_DIR) + "/study/registry";
const std::string protocol_path = std::string(RWE_SOURCE_DIR) + "/studies/thp-first-line.toml";

fs::path temp_dir(const std::string& name) {
    auto dir = fs::temp_directory_path() / ("rwe_study_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

int run(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()); }

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

class StudyPipeline : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = temp_dir("db");
        db_ = (dir_ / "registry.sqlite").string();
        ASSERT_EQ(run(std::string(RWE_BINARY) + " import " + registry_dir + " --db " + db_), 0);
        protocol_ = parse_protocol(protocol_path);
        data_ = derive_study_data(load_registry(db_), protocol_);
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }

    static std::size_t row_of(const std::string& id) {
        for (std::size_t row = 0; row < data_.adsl.size(); ++row) {
            if (data_.adsl.usubjid[row] == id) return row;
        }
        ADD_FAILURE() << id << " not in the cohort";
        return 0;
    }
    static std::string value(const std::string& id, const std::string& variable) {
        return data_.adsl.at(variable).values[row_of(id)];
    }
    static double number(const std::string& id, const std::string& variable) {
        return data_.adsl.at(variable).numbers[row_of(id)];
    }
    static const TimeToEventRecord& tte(const std::string& paramcd, const std::string& id) {
        const auto& endpoint = data_.endpoint(paramcd);
        const auto row = row_of(id);
        for (const auto& record : endpoint.records) {
            if (record.subject == row) return record;
        }
        throw std::runtime_error(paramcd + " has no record for " + id);
    }

    static inline fs::path dir_;
    static inline std::string db_;
    static inline Protocol protocol_;
    static inline StudyData data_;
};

constexpr double month = 30.4375;

TEST_F(StudyPipeline, AttritionCountsEveryExcludedPatient) {
    // P09 never had THP; P08 had it as line 2; P05 is IHC 2+ with ratio exactly 2.0 (not
    // > 2.0); P10 started on 2008-07-31, the day before the window. P06 (2008-08-01) and
    // P07 (2020-10-31) start on the window's boundaries and stay.
    const auto& a = data_.attrition;
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(a[0].remaining, 10u);
    EXPECT_EQ(a[1].excluded, 1u);
    EXPECT_EQ(a[2].excluded, 1u);
    EXPECT_EQ(a[3].excluded, 1u);
    EXPECT_EQ(a[4].excluded, 1u);
    EXPECT_EQ(a[4].remaining, 6u);
    EXPECT_EQ(data_.adsl.usubjid, (std::vector<std::string>{"P01", "P02", "P03", "P04", "P06", "P07"}));
}

TEST_F(StudyPipeline, ProgressionOnTheDayOfDeathIsOneEvent) {
    // P01: THP 2015-01-15; PD assessment and death both on 2016-01-01: 351 days.
    EXPECT_EQ(tte("PFS", "P01").cnsr, 0);
    EXPECT_EQ(data_.endpoint("PFS").description(tte("PFS", "P01")), "progression");
    EXPECT_DOUBLE_EQ(tte("PFS", "P01").aval, 351 / month);
    EXPECT_EQ(tte("OS", "P01").cnsr, 0);
    EXPECT_DOUBLE_EQ(tte("OS", "P01").aval, 351 / month);
}

TEST_F(StudyPipeline, DeathOnTheIndexDayIsAnEventAtTimeZero) {
    EXPECT_EQ(tte("OS", "P02").cnsr, 0);
    EXPECT_EQ(tte("OS", "P02").aval, 0.0);
    EXPECT_EQ(tte("PFS", "P02").cnsr, 0);
    EXPECT_EQ(data_.endpoint("PFS").description(tte("PFS", "P02")), "death");
    EXPECT_EQ(value("P02", "BOR"), "NE");
}

TEST_F(StudyPipeline, ProgressionBeforeTheIndexIsIgnored) {
    // P03: PD on 2014-12-01 (during adjuvant therapy) ignored; PD on 2015-07-01, 172 days
    // after THP started on 2015-01-10. Alive at 2019-06-30: OS censored at 1632 days.
    EXPECT_EQ(tte("PFS", "P03").cnsr, 0);
    EXPECT_DOUBLE_EQ(tte("PFS", "P03").aval, 172 / month);
    EXPECT_EQ(tte("OS", "P03").cnsr, 1);
    EXPECT_DOUBLE_EQ(tte("OS", "P03").aval, 1632 / month);
    EXPECT_EQ(value("P03", "BOR"), "SD");  // the PD linked to the adjuvant line does not count
    EXPECT_EQ(value("P03", "PRIORHER2"), "Y");  // adjuvant AC-TH gave trastuzumab
    EXPECT_EQ(value("P03", "DENOVO"), "N");
    EXPECT_EQ(value("P03", "GROUP3"), "relapsed exposed");
    EXPECT_DOUBLE_EQ(number("P03", "DFI"), 958 / month);  // surgery 2012-04-01 to metastasis 2014-11-15
    EXPECT_EQ(value("P03", "BRAIN"), "N");  // detected 2015-03-01, after index + 30 days
}

TEST_F(StudyPipeline, SecondLineEndpointsStartAtTheSecondLine) {
    // P03: T-DM1 from 2015-08-01; PD on 2016-05-02 (275 days); alive 2019-06-30.
    EXPECT_EQ(value("P03", "L2REG"), "T-DM1");
    EXPECT_EQ(tte("L2PFS", "P03").cnsr, 0);
    EXPECT_DOUBLE_EQ(tte("L2PFS", "P03").aval, 275 / month);
    EXPECT_EQ(tte("L2OS", "P03").cnsr, 1);
}

TEST_F(StudyPipeline, OngoingLineIsCensoredAtLastContact) {
    // P04: THP from 2016-02-01, ongoing, last contact 2020-12-31 (1795 days).
    EXPECT_EQ(value("P04", "ONGOING"), "Y");
    EXPECT_EQ(value("P04", "TRTEDT"), "2020-12-31");
    EXPECT_EQ(tte("PFS", "P04").cnsr, 1);
    EXPECT_DOUBLE_EQ(tte("PFS", "P04").aval, 1795 / month);
    EXPECT_EQ(value("P04", "MEASURABLE"), "N");
    EXPECT_EQ(value("P04", "BOR"), "");  // response is assessed only with measurable disease
}

TEST_F(StudyPipeline, BaselineDerivations) {
    EXPECT_EQ(number("P01", "AGE"), 54);  // born 1960-05-10, index 2015-01-15
    EXPECT_EQ(value("P01", "AGEGR"), "51-60");
    EXPECT_EQ(number("P01", "DOCECYC"), 7);
    EXPECT_EQ(value("P01", "DOCE6"), ">=6");
    EXPECT_EQ(value("P01", "DOCEGR"), "6-9");
    EXPECT_EQ(value("P01", "VISCERAL"), "Y");  // liver at diagnosis
    EXPECT_EQ(value("P01", "BONE"), "Y");      // detected 5 days after index, inside the 30-day window
    EXPECT_EQ(value("P01", "HR"), "positive");
    EXPECT_EQ(value("P01", "BOR"), "CR");
}

TEST_F(StudyPipeline, DurationOfResponseStartsAtTheFirstResponse) {
    // P01: first PR on 2015-04-01, progression 2016-01-01: 275 days.
    EXPECT_DOUBLE_EQ(tte("DOR", "P01").aval, 275 / month);
    EXPECT_EQ(tte("DOR", "P01").cnsr, 0);
}

TEST_F(StudyPipeline, WorstGradePerPatientAndTerm) {
    int found = 0;
    for (const auto& record : data_.adae) {
        if (data_.adsl.usubjid[record.subject] == "P01" && data_.ae_term(record) == "neutrophil count decreased") {
            EXPECT_EQ(record.worst_grade, 4);
            EXPECT_EQ(data_.ae_action(record), "dose_reduced");
            ++found;
        }
    }
    EXPECT_EQ(found, 1);
}

TEST_F(StudyPipeline, Table1ByGroupComparesWithTheChosenTest) {
    // The cohort: P01, P02, P04, P06, P07 de novo; P03 relapsed. Hormone receptor:
    // positive P01, P04; negative P02, P03, P06; unknown P07.
    Protocol protocol = protocol_;
    Analysis table1;
    table1.id = "t1";
    table1.kind = "table1";
    table1.options = {{"variables", {"HR"}}, {"by", "DENOVO"}};
    protocol.analyses = {table1};
    std::vector<std::string> warnings;
    const auto results = run_analyses(data_, protocol, warnings);
    const auto& row = results[0]["result"]["rows"][0];
    EXPECT_EQ(row["by_group"]["Y"]["levels"][0]["level"], "negative");
    EXPECT_EQ(row["by_group"]["Y"]["levels"][0]["n"], 2);
    EXPECT_EQ(row["by_group"]["N"]["levels"][0]["n"], 1);
    // 3 x 2 table [[2, 1], [2, 0], [1, 0]] (negative/positive/unknown by Y/N): every expected
    // count is below 5, so Fisher's exact test is chosen. R: fisher.test(matrix(c(2,2,1,1,0,0), 3)) p = 1.
    EXPECT_EQ(row["comparison"]["test"], "fisher");
    EXPECT_NEAR(row["comparison"]["p"].get<double>(), 1.0, 1e-12);
}

TEST_F(StudyPipeline, CyclesAsATimeVaryingCovariate) {
    // P01 reaches its 6th docetaxel cycle on day 105 and dies on day 351: (0, 105] unexposed,
    // (105, 351] exposed with the event. P02 (OS 0) has no time at risk. The others never
    // reach 6 cycles. R (survival 3.5-3), months = days / 30.4375:
    //   d <- data.frame(start = c(0, 105, 0, 0, 0, 0) / m, stop = c(105, 351, 1632, 1795, 730, 151) / m,
    //                   event = c(0, 1, 0, 0, 1, 0), x = c(0, 1, 0, 0, 0, 0))
    //   coxph(Surv(start, stop, event) ~ x, data = d, ties = "breslow")$loglik
    //   -2.4849066497880004 -1.0986122889508891  ("beta may be infinite")
    Protocol protocol = protocol_;
    Analysis landmark;
    landmark.id = "landmark_cycles";  // the protocol's analysis: docetaxel days were collected for it
    landmark.kind = "landmark";
    landmark.options = {{"endpoints", {"OS"}}, {"drugs", {"docetaxel"}}, {"landmark_days", 105}, {"min_count", 6}};
    protocol.analyses = {landmark};
    std::vector<std::string> warnings;
    const auto results = run_analyses(data_, protocol, warnings);
    const auto& cox = results[0]["result"]["results"][0]["time_dependent_cox"];
    EXPECT_EQ(cox["n"], 6);  // rows: P01 twice, P03, P04, P06, P07
    EXPECT_NEAR(cox["loglik"][0].get<double>(), -2.4849066497880004, 1e-9);
    EXPECT_NEAR(cox["loglik"][1].get<double>(), -1.0986122889508891, 1e-6);
    EXPECT_FALSE(cox["diagnostics"].empty());  // the coefficient is flagged as infinite
}

TEST_F(StudyPipeline, RunIsByteIdenticalAndHasNoIdentifiersInResults) {
    auto first = temp_dir("run1"), second = temp_dir("run2");
    ASSERT_EQ(run(std::string(RWE_BINARY) + " run " + protocol_path + " --db " + db_ + " --out " + first.string()), 0);
    ASSERT_EQ(run(std::string(RWE_BINARY) + " run " + protocol_path + " --db " + db_ + " --out " + second.string()), 0);
    for (const char* file : {"results.json", "adsl.csv", "adtte.csv", "adrs.csv", "adae.csv"}) {
        EXPECT_EQ(slurp(first / file), slurp(second / file)) << file;
    }
    const std::string results = slurp(first / "results.json");
    for (const char* id : {"\"P01\"", "\"P03\"", "R01"}) EXPECT_EQ(results.find(id), std::string::npos) << id;
    const std::string adtte = slurp(first / "adtte.csv");
    EXPECT_EQ(adtte.substr(0, adtte.find('\n')), "USUBJID,PARAMCD,PARAM,STARTDT,ADT,AVAL,AVALU,CNSR,EVNTDESC");
    fs::remove_all(first);
    fs::remove_all(second);
}

TEST_F(StudyPipeline, SmallCellsAreSuppressedInTheReport) {
    // Every count in the 6-patient cohort is below 5, so with small_cell = 5 the report
    // shows the marker S and no attrition diagram (whose boxes would print the counts).
    auto dir = temp_dir("small_cell");
    std::string text = slurp(protocol_path);
    const auto at = text.find("small_cell = 0");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 14, "small_cell = 5");
    std::ofstream(dir / "protocol.toml") << text;
    ASSERT_EQ(run(std::string(RWE_BINARY) + " run " + (dir / "protocol.toml").string() + " --db " + db_ + " --out " +
                  (dir / "out").string()),
              0);
    const std::string html = slurp(dir / "out" / "report.html");
    EXPECT_NE(html.find("\">S</td>"), std::string::npos);
    EXPECT_NE(html.find("S: suppressed to protect patient privacy"), std::string::npos);
    EXPECT_EQ(html.find("fig-attrition"), std::string::npos);
    // No patient-level rows beside the suppressed report, and the page says so.
    EXPECT_FALSE(fs::exists(dir / "out" / "adsl.csv"));
    EXPECT_EQ(html.find("adsl.csv"), std::string::npos);
    EXPECT_NE(html.find("patient-level analysis datasets"), std::string::npos);
    const std::string results = slurp(dir / "out" / "results.json");
    EXPECT_NE(results.find("\"suppressed\""), std::string::npos);
    fs::remove_all(dir);
}

TEST_F(StudyPipeline, FailedRunLeavesNothing) {
    auto out = temp_dir("failed") / "out";
    EXPECT_NE(run(std::string(RWE_BINARY) + " run " + protocol_path + " --db /nonexistent.sqlite --out " + out.string()), 0);
    EXPECT_FALSE(fs::exists(out));
}

TEST(Protocol, UnknownKeyNamesItsLine) {
    try {
        parse_protocol_text("[study]\nid = \"x\"\ncolour = 3\n[index]\nregimen = \"THP\"\naccrual = [\"2008-01-01\", \"2009-01-01\"]\n",
                            "p.toml");
        FAIL() << "no error";
    } catch (const rwe::InputError& error) {
        EXPECT_NE(std::string(error.what()).find("p.toml:3: study.colour: unknown key"), std::string::npos) << error.what();
    }
}

TEST(Protocol, WrongTypeNamesItsLine) {
    try {
        parse_protocol_text("[study]\nid = \"x\"\n[index]\nregimen = \"THP\"\nline = \"one\"\naccrual = [\"2008-01-01\", \"2009-01-01\"]\n",
                            "p.toml");
        FAIL() << "no error";
    } catch (const rwe::InputError& error) {
        EXPECT_NE(std::string(error.what()).find("p.toml:5: index.line: expected a line number, [first, last] or \"any\""), std::string::npos) << error.what();
    }
}

TEST(Protocol, ImpossibleAccrualDate) {
    EXPECT_THROW(parse_protocol_text("[study]\nid = \"x\"\n[index]\nregimen = \"THP\"\naccrual = [\"2019-02-30\", \"2020-01-01\"]\n", "p.toml"),
                 rwe::InputError);
}

TEST(Protocol, ConventionPicksEachProgramsDefaults) {
    const std::string base = "[index]\nregimen = \"THP\"\naccrual = [\"2008-01-01\", \"2009-01-01\"]\n";
    auto r = parse_protocol_text("[study]\nid = \"x\"\nconvention = \"r\"\n" + base, "p.toml");
    auto sas = parse_protocol_text("[study]\nid = \"x\"\nconvention = \"sas\"\n" + base, "p.toml");
    auto spss = parse_protocol_text("[study]\nid = \"x\"\nconvention = \"spss\"\nties = \"efron\"\n" + base, "p.toml");
    EXPECT_EQ(r.stats.conf_type, "log");
    EXPECT_EQ(r.stats.ties, "efron");
    EXPECT_EQ(sas.stats.conf_type, "log-log");
    EXPECT_EQ(sas.stats.ties, "breslow");
    EXPECT_EQ(spss.stats.median_ci, "spss");
    EXPECT_EQ(spss.stats.ties, "efron");  // an explicit setting overrides the convention
}

TEST(Protocol, BothStudyProtocolsParse) {
    EXPECT_NO_THROW(parse_protocol(protocol_path));
    EXPECT_NO_THROW(parse_protocol(std::string(RWE_SOURCE_DIR) + "/studies/tdm1-second-line.toml"));
}

TEST(Dates, CalendarRules) {
    EXPECT_FALSE(parse_iso_date("2019-02-29").has_value());
    EXPECT_TRUE(parse_iso_date("2020-02-29").has_value());
    EXPECT_EQ(*parse_iso_date("1970-01-02"), 1);
    EXPECT_EQ(format_iso_date(*parse_iso_date("2008-08-01")), "2008-08-01");
    EXPECT_EQ(*parse_iso_date("2016-01-01") - *parse_iso_date("2015-01-15"), 351);
}

}  // namespace
