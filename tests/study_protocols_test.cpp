// Four study protocols (studies/*.toml, docs/studies.md) run end to end by the rwe binary —
// validate, import, run — each on a registry of its own (tests/data/study/<protocol id>/)
// whose patients are each there to make one point. Every expected value below is worked
// out by hand from the dates in the fixture, in the comments beside it: AVAL is in days
// (time_unit = "days"), day counts are calendar differences, Kaplan-Meier products and
// log-rank sums are written out. Nothing here is specific C++ for a protocol: the
// protocols are plain TOML over the language of docs/protocols.md.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int run(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()); }

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

// RFC 4180 rows (quoted fields, "" inside quotes), first row the header.
std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
    const std::string text = slurp(path);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(field), field.clear();
        } else if (c == '\n') {
            row.push_back(field), field.clear();
            rows.push_back(row), row.clear();
        } else if (c != '\r') {
            field += c;
        }
    }
    if (!field.empty() || !row.empty()) row.push_back(field), rows.push_back(row);
    return rows;
}

struct TteRecord {
    std::string startdt, adt;
    double aval = 0;
    int cnsr = 0;
    std::string evntdesc;
};

// One protocol run on its registry: results.json, ADSL by USUBJID and column, ADTTE by
// (USUBJID, PARAMCD).
struct StudyRun {
    int validate_status = -1, import_status = -1, run_status = -1;
    json results;
    std::vector<std::string> usubjid;  // ADSL row order
    std::map<std::string, std::map<std::string, std::string>> adsl;
    std::map<std::pair<std::string, std::string>, TteRecord> adtte;
    std::size_t adtte_rows = 0;

    const json& analysis(const std::string& id) const {
        for (const auto& entry : results["analyses"]) {
            if (entry["id"] == id) return entry["result"];
        }
        throw std::runtime_error("no analysis " + id);
    }
    std::string value(const std::string& id, const std::string& variable) const {
        auto row = adsl.find(id);
        if (row == adsl.end()) throw std::runtime_error(id + " is not in ADSL");
        auto cell = row->second.find(variable);
        if (cell == row->second.end()) throw std::runtime_error(variable + " is not an ADSL column");
        return cell->second;
    }
    double number(const std::string& id, const std::string& variable) const { return std::stod(value(id, variable)); }
    const TteRecord& tte(const std::string& id, const std::string& paramcd) const {
        auto it = adtte.find({id, paramcd});
        if (it == adtte.end()) throw std::runtime_error(paramcd + " has no record for " + id);
        return it->second;
    }
    // Excluded at each attrition step after "Patients in the registry", and the registry size.
    std::vector<int> excluded() const {
        std::vector<int> out;
        const auto& steps = analysis("attrition")["steps"];
        for (std::size_t k = 1; k < steps.size(); ++k) out.push_back(steps[k]["excluded"].get<int>());
        return out;
    }
};

// Drops the administration_days table, as in a store imported before rwe wrote it (the
// study then reads the administrations table).
void drop_administration_days(const std::string& database) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db,
                           "DROP TABLE administration_days; "
                           "CREATE INDEX administrations_regimen_date ON administrations (regimen_id, admin_date)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
}

StudyRun run_protocol(const std::string& id, bool administrations_table_only = false) {
    StudyRun out;
    const std::string registry = std::string(RWE_TEST_DATA_DIR) + "/study/" + id;
    const std::string protocol = std::string(RWE_SOURCE_DIR) + "/studies/" + id + ".toml";
    const fs::path dir = fs::temp_directory_path() / ("rwe_study_protocols_" + id + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string db = (dir / "registry.sqlite").string();
    const std::string binary = RWE_BINARY;
    out.validate_status = run(binary + " validate " + registry);
    out.import_status = run(binary + " import " + registry + " --db " + db);
    if (administrations_table_only && out.import_status == 0) drop_administration_days(db);
    out.run_status = run(binary + " run " + protocol + " --db " + db + " --out " + (dir / "out").string());
    if (out.run_status != 0) {
        fs::remove_all(dir);
        return out;
    }
    out.results = json::parse(slurp(dir / "out" / "results.json"));

    const auto adsl = read_csv(dir / "out" / "adsl.csv");
    for (std::size_t r = 1; r < adsl.size(); ++r) {
        const std::string& subject = adsl[r][0];
        out.usubjid.push_back(subject);
        for (std::size_t k = 0; k < adsl[0].size() && k < adsl[r].size(); ++k) out.adsl[subject][adsl[0][k]] = adsl[r][k];
    }
    const auto adtte = read_csv(dir / "out" / "adtte.csv");
    // USUBJID,PARAMCD,PARAM,STARTDT,ADT,AVAL,AVALU,CNSR,EVNTDESC
    for (std::size_t r = 1; r < adtte.size(); ++r) {
        const auto& f = adtte[r];
        out.adtte[{f[0], f[1]}] = {f[3], f[4], std::stod(f[5]), std::stoi(f[7]), f[8]};
        EXPECT_EQ(f[6], "DAYS") << f[0] << " " << f[1];
        ++out.adtte_rows;
    }
    fs::remove_all(dir);
    return out;
}

struct Expected {
    const char* id;
    const char* paramcd;
    const char* startdt;
    const char* adt;
    double aval;
    int cnsr;
    const char* evntdesc;
};

// Every ADTTE record of the run is one of `expected`, and every one of `expected` is there.
void expect_adtte(const StudyRun& study, const std::vector<Expected>& expected) {
    EXPECT_EQ(study.adtte_rows, expected.size());
    for (const auto& e : expected) {
        SCOPED_TRACE(std::string(e.id) + " " + e.paramcd);
        auto it = study.adtte.find({e.id, e.paramcd});
        ASSERT_NE(it, study.adtte.end());
        EXPECT_EQ(it->second.startdt, e.startdt);
        EXPECT_EQ(it->second.adt, e.adt);
        EXPECT_DOUBLE_EQ(it->second.aval, e.aval);
        EXPECT_EQ(it->second.cnsr, e.cnsr);
        EXPECT_EQ(it->second.evntdesc, e.evntdesc);
    }
}

const json& stratum(const json& km, const std::string& name) {
    for (const auto& s : km["strata"]) {
        if (s["name"] == name) return s;
    }
    throw std::runtime_error("no stratum " + name);
}

const json& at_time(const json& curve, double time) {
    for (const auto& row : curve["at_times"]) {
        if (row["time"].get<double>() == time) return row;
    }
    throw std::runtime_error("no survival at time " + std::to_string(time));
}

const json& logrank_test(const json& result, const std::string& endpoint, const std::string& by) {
    for (const auto& test : result["tests"]) {
        if (test["endpoint"] == endpoint && test["by"] == by) return test;
    }
    throw std::runtime_error("no log-rank test " + endpoint + " by " + by);
}

const json& logrank_group(const json& test, const std::string& name) {
    for (const auto& group : test["groups"]) {
        if (group["name"] == name) return group;
    }
    throw std::runtime_error("no group " + name);
}

const json& table1_row(const json& result, const std::string& variable) {
    for (const auto& row : result["rows"]) {
        if (row["variable"] == variable) return row;
    }
    throw std::runtime_error("no table 1 row " + variable);
}

double level_count(const json& description, const std::string& level) {
    for (const auto& entry : description["levels"]) {
        if (entry["level"] == level) return entry["n"].get<double>();
    }
    return 0;
}

// ---------------------------------------------------------------------------------------
// studies/hr-positive-elderly-thp.toml on tests/data/study/hr-positive-elderly-thp
// ---------------------------------------------------------------------------------------
class HrPositiveElderlyThp : public ::testing::Test {
protected:
    static void SetUpTestSuite() { study_ = new StudyRun(run_protocol("hr-positive-elderly-thp")); }
    static void TearDownTestSuite() { delete study_; }
    void SetUp() override {
        ASSERT_EQ(study_->validate_status, 0);
        ASSERT_EQ(study_->import_status, 0);
        ASSERT_EQ(study_->run_status, 0);
    }
    static inline StudyRun* study_ = nullptr;
};

TEST_F(HrPositiveElderlyThp, OnePatientLeavesAtEachStep) {
    // 10 patients. E07 had THP only before surgery (neoadjuvant), so no palliative THP;
    // E08 had THP as palliative line 2; E04 is HER2 IHC 2+ with an ISH ratio of exactly
    // 2.0 (biomarkers.csv), not > 2.0; E06 has ER unknown and PR negative: HR 'unknown';
    // E03 turns 65 the day after THP started (born 1950-03-16, index 2015-03-15): 64;
    // E09 started THP on 2011-06-01, before the window opens on 2012-01-01.
    const auto& steps = study_->analysis("attrition")["steps"];
    ASSERT_EQ(steps.size(), 7u);
    EXPECT_EQ(steps[0]["remaining"], 10);
    EXPECT_EQ(study_->excluded(), (std::vector<int>{1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(steps[4]["criterion"], "Hormone-receptor-positive (ER or PR positive)");
    EXPECT_EQ(steps[5]["reason"], "Younger than 65");
    EXPECT_EQ(steps[6]["remaining"], 4);
    EXPECT_EQ(study_->usubjid, (std::vector<std::string>{"E01", "E02", "E05", "E10"}));
}

TEST_F(HrPositiveElderlyThp, AgeOnTheBirthdayAndReceptorsFromEitherFile) {
    // E02: born 1950-03-15, THP on 2015-03-15, her 65th birthday: 65, kept by AGE >= 65.
    EXPECT_EQ(study_->number("E02", "AGE"), 65);
    EXPECT_EQ(study_->value("E02", "AGEGR"), "65-69");
    EXPECT_EQ(study_->number("E01", "AGE"), 70);  // 1945-06-10 to 2016-03-01
    EXPECT_EQ(study_->number("E05", "AGE"), 80);  // 1935-11-30 to 2016-08-01
    EXPECT_EQ(study_->number("E10", "AGE"), 77);  // 1940-09-09 to 2018-05-02
    EXPECT_EQ(study_->value("E05", "AGEGR"), ">=75");
    // E02 is HR-positive by PR alone (ER negative).
    EXPECT_EQ(study_->value("E02", "ER"), "negative");
    EXPECT_EQ(study_->value("E02", "PR"), "positive");
    EXPECT_EQ(study_->value("E02", "HR"), "positive");
    // E05's receptors are all in biomarkers.csv: IHC 2+ with ISH 2.5 is HER2-positive.
    EXPECT_EQ(study_->value("E05", "ER"), "positive");
    EXPECT_EQ(study_->value("E05", "HER2IHC"), "2+");
    EXPECT_DOUBLE_EQ(study_->number("E05", "HER2ISH"), 2.5);
    EXPECT_EQ(study_->value("E05", "HER2POS"), "Y");
    EXPECT_EQ(study_->value("E02", "DENOVO"), "N");  // stage II, relapsed 2015-02-20
    EXPECT_EQ(study_->value("E02", "VISCERAL"), "Y");  // lung 2015-02-20
    EXPECT_EQ(study_->value("E05", "VISCERAL"), "N");  // bone only
    EXPECT_EQ(study_->value("E05", "BOR"), "SD");
    EXPECT_EQ(study_->value("E01", "BOR"), "PR");  // PR then PD
}

TEST_F(HrPositiveElderlyThp, EveryTimeToEventRecord) {
    // E01 THP 2016-03-01: PD 2016-12-01 (275 d), death 2018-01-20 (690 d).
    // E02 THP 2015-03-15, no PD, alive at 2019-09-30: both censored at 1660 d.
    // E05 THP 2016-08-01, no PD, death 2017-05-01 (273 d): a PFS event by death.
    // E10 THP 2018-05-02: PD 2019-02-20 (294 d), death 2019-08-15 (470 d).
    expect_adtte(*study_, {
        {"E01", "OS", "2016-03-01", "2018-01-20", 690, 0, "death"},
        {"E02", "OS", "2015-03-15", "2019-09-30", 1660, 1, "last contact"},
        {"E05", "OS", "2016-08-01", "2017-05-01", 273, 0, "death"},
        {"E10", "OS", "2018-05-02", "2019-08-15", 470, 0, "death"},
        {"E01", "PFS", "2016-03-01", "2016-12-01", 275, 0, "progression"},
        {"E02", "PFS", "2015-03-15", "2019-09-30", 1660, 1, "last contact"},
        {"E05", "PFS", "2016-08-01", "2017-05-01", 273, 0, "death"},
        {"E10", "PFS", "2018-05-02", "2019-02-20", 294, 0, "progression"},
    });
}

TEST_F(HrPositiveElderlyThp, MedianWhereTheCurveSitsAtOneHalf) {
    // OS: deaths at 273, 470, 690; censored 1660. S = 3/4 from 273, 3/4 * 2/3 = 1/2 from
    // 470, 1/2 * 1/2 = 1/4 from 690. S is exactly 0.5 on [470, 690) and falls below later,
    // so R's median is the midpoint (470 + 690) / 2 = 580; SPSS takes the first event time
    // with S <= 0.5: 470.
    const auto& os = study_->analysis("os")["strata"][0];
    EXPECT_EQ(os["n"], 4);
    EXPECT_EQ(os["events"], 3);
    EXPECT_DOUBLE_EQ(os["median"].get<double>(), 580);
    EXPECT_DOUBLE_EQ(os["median_spss"]["estimate"].get<double>(), 470);
    // At 365 days: 3 at risk (470, 690, 1660), S = 3/4; at 730: 1 at risk, S = 1/4.
    EXPECT_EQ(at_time(os, 365)["n_risk"], 3);
    EXPECT_NEAR(at_time(os, 365)["surv"].get<double>(), 0.75, 1e-12);
    EXPECT_NEAR(at_time(os, 730)["surv"].get<double>(), 0.25, 1e-12);
    // PFS: events 273, 275, 294; censored 1660: the same steps, median (275 + 294) / 2.
    const auto& pfs = study_->analysis("pfs")["strata"][0];
    EXPECT_DOUBLE_EQ(pfs["median"].get<double>(), 284.5);
    EXPECT_DOUBLE_EQ(pfs["median_spss"]["estimate"].get<double>(), 275);
}

TEST_F(HrPositiveElderlyThp, TableOneAndResponse) {
    // Ages 70, 65, 80, 77: mean 73, median (70 + 77) / 2 = 73.5, deviations -3, -8, 7, 4,
    // squares 138, SD sqrt(138 / 3) = sqrt(46).
    const auto& age = table1_row(study_->analysis("table1"), "AGE")["overall"];
    EXPECT_EQ(age["n"], 4);
    EXPECT_DOUBLE_EQ(age["mean"].get<double>(), 73);
    EXPECT_DOUBLE_EQ(age["median"].get<double>(), 73.5);
    EXPECT_NEAR(age["sd"].get<double>(), std::sqrt(46.0), 1e-12);
    EXPECT_DOUBLE_EQ(age["min"].get<double>(), 65);
    EXPECT_DOUBLE_EQ(age["max"].get<double>(), 80);
    const auto& ihc = table1_row(study_->analysis("table1"), "HER2IHC")["overall"];
    EXPECT_EQ(level_count(ihc, "3+"), 3);
    EXPECT_EQ(level_count(ihc, "2+"), 1);
    // Best responses PR, PR, SD, PR among 4 with measurable disease: ORR 3 of 4.
    const auto& response = study_->analysis("response");
    EXPECT_EQ(response["orr"]["n"], 3);
    EXPECT_EQ(response["orr"]["of"], 4);
}

// ---------------------------------------------------------------------------------------
// studies/thp-vs-th.toml on tests/data/study/thp-vs-th
// ---------------------------------------------------------------------------------------
class ThpVersusTh : public ::testing::Test {
protected:
    static void SetUpTestSuite() { study_ = new StudyRun(run_protocol("thp-vs-th")); }
    static void TearDownTestSuite() { delete study_; }
    void SetUp() override {
        ASSERT_EQ(study_->validate_status, 0);  // A09's IHC 2+ without ISH is a warning only
        ASSERT_EQ(study_->import_status, 0);
        ASSERT_EQ(study_->run_status, 0);
    }
    static inline StudyRun* study_ = nullptr;
};

TEST_F(ThpVersusTh, ArmsByTheDrugsGiven) {
    // 11 patients. A07 got paclitaxel + trastuzumab + pertuzumab: THP needs docetaxel and TH
    // excludes pertuzumab, so no arm. A08's first line was capecitabine + trastuzumab; her
    // first line of an arm was TH as line 2. A09 is HER2 IHC 2+ with no ISH ratio: HER2POS
    // is missing (2+ and missing > 2.0), and a missing criterion excludes. A10 started
    // THP on 2021-02-01, after the window closed on 2020-12-31.
    const auto& steps = study_->analysis("attrition")["steps"];
    ASSERT_EQ(steps.size(), 5u);
    EXPECT_EQ(steps[0]["remaining"], 11);
    EXPECT_EQ(study_->excluded(), (std::vector<int>{1, 1, 1, 1}));
    EXPECT_EQ(steps[4]["remaining"], 7);
    EXPECT_EQ(study_->usubjid, (std::vector<std::string>{"A01", "A02", "A03", "A04", "A05", "A06", "A11"}));
    for (const char* id : {"A01", "A02", "A03", "A06"}) EXPECT_EQ(study_->value(id, "ARM"), "THP") << id;
    for (const char* id : {"A04", "A05", "A11"}) EXPECT_EQ(study_->value(id, "ARM"), "TH") << id;
    // A06's line is registered as TH, but pertuzumab was added at the second cycle: THP.
    EXPECT_EQ(study_->value("A06", "REGCD"), "th");
    EXPECT_EQ(study_->number("A06", "PERTCYC"), 1);
    EXPECT_EQ(study_->number("A06", "DOCECYC"), 2);
    // A05's TH was with paclitaxel (2 days), the others' with docetaxel.
    EXPECT_EQ(study_->value("A05", "TAXANE"), "paclitaxel");
    EXPECT_EQ(study_->number("A05", "PACLICYC"), 2);
    EXPECT_EQ(study_->value("A04", "TAXANE"), "docetaxel");
    // Ages: A04 born 1950-04-01, index 2012-04-01 (birthday): 62; A06 born 1955-03-16,
    // index 2017-03-15 (birthday the next day): 61.
    EXPECT_EQ(study_->number("A04", "AGE"), 62);
    EXPECT_EQ(study_->number("A06", "AGE"), 61);
}

TEST_F(ThpVersusTh, EveryTimeToEventRecord) {
    // Days from the index date. A05's PD (clinical) is on the day of her death: one PFS
    // event, a progression (listed first).
    expect_adtte(*study_, {
        {"A01", "OS", "2014-02-01", "2015-03-08", 400, 0, "death"},
        {"A02", "OS", "2015-05-10", "2017-10-26", 900, 1, "last contact"},
        {"A03", "OS", "2016-09-01", "2018-08-02", 700, 0, "death"},
        {"A04", "OS", "2012-04-01", "2012-10-18", 200, 0, "death"},
        {"A05", "OS", "2013-07-01", "2014-11-13", 500, 0, "death"},
        {"A06", "OS", "2017-03-15", "2020-06-27", 1200, 1, "last contact"},
        {"A11", "OS", "2018-01-10", "2019-09-02", 600, 1, "last contact"},
        {"A01", "PFS", "2014-02-01", "2014-10-09", 250, 0, "progression"},
        {"A02", "PFS", "2015-05-10", "2016-12-30", 600, 0, "progression"},
        {"A03", "PFS", "2016-09-01", "2017-06-28", 300, 0, "progression"},
        {"A04", "PFS", "2012-04-01", "2012-08-29", 150, 0, "progression"},
        {"A05", "PFS", "2013-07-01", "2014-11-13", 500, 0, "progression"},
        {"A06", "PFS", "2017-03-15", "2020-06-27", 1200, 1, "last contact"},
        {"A11", "PFS", "2018-01-10", "2019-02-14", 400, 0, "progression"},
    });
}

TEST_F(ThpVersusTh, TableOneByArm) {
    // De novo: TH A04 Y, A05 N, A11 Y; THP A01 Y, A02 Y, A03 N, A06 Y. The 2 x 2 table
    // [[1, 1], [2, 3]] (N, Y by TH, THP) has expected counts below 5: Fisher. With margins
    // 2 (N) and 3 (TH) of 7, P(k N in TH) = C(3,k) C(4,2-k) / C(7,2) = 6/21, 12/21, 3/21
    // for k = 0, 1, 2; observed k = 1 is the most likely table, so p = 21/21 = 1.
    const auto& denovo = table1_row(study_->analysis("table1"), "DENOVO");
    EXPECT_EQ(level_count(denovo["by_group"]["TH"], "Y"), 2);
    EXPECT_EQ(level_count(denovo["by_group"]["TH"], "N"), 1);
    EXPECT_EQ(level_count(denovo["by_group"]["THP"], "Y"), 3);
    EXPECT_EQ(level_count(denovo["by_group"]["THP"], "N"), 1);
    EXPECT_EQ(denovo["comparison"]["test"], "fisher");
    EXPECT_NEAR(denovo["comparison"]["p"].get<double>(), 1.0, 1e-12);
    // Ages TH 62, 46, 69: mean 59, median 62; THP 54, 42, 57, 61: mean 53.5, median 55.5.
    const auto& age = table1_row(study_->analysis("table1"), "AGE");
    EXPECT_DOUBLE_EQ(age["by_group"]["TH"]["mean"].get<double>(), 59);
    EXPECT_DOUBLE_EQ(age["by_group"]["TH"]["median"].get<double>(), 62);
    EXPECT_DOUBLE_EQ(age["by_group"]["THP"]["mean"].get<double>(), 53.5);
    EXPECT_DOUBLE_EQ(age["by_group"]["THP"]["median"].get<double>(), 55.5);
}

TEST_F(ThpVersusTh, OverallSurvivalByArm) {
    // TH: deaths 200, 500, censored 600: S = 2/3, 1/3: median 500.
    // THP: deaths 400, 700, censored 900, 1200: S = 3/4, 1/2 from 700 and never lower, so
    // the median is 700 (R takes the midpoint only when the curve later falls below 1/2).
    const auto& os = study_->analysis("os");
    EXPECT_EQ(os["strata"][0]["name"], "TH");  // the first arm: the reference
    EXPECT_DOUBLE_EQ(stratum(os, "TH")["median"].get<double>(), 500);
    EXPECT_DOUBLE_EQ(stratum(os, "THP")["median"].get<double>(), 700);
    // Log-rank, TH's observed minus expected at each death (at risk TH/all):
    //   200: 3/7, TH dies: O-E +1 - 3/7, V = (3/7)(4/7) = 12/49
    //   400: 2/6, THP dies: -1/3, V = (2/6)(4/6) = 2/9
    //   500: 2/5, TH dies: +1 - 2/5, V = (2/5)(3/5) = 6/25
    //   700: 0/3 (TH's last left, censored, at 600): 0, V = 0
    // O - E = 2 - (3/7 + 1/3 + 2/5) = 2 - 122/105 = 88/105; V = 7796/11025;
    // chi-square = (88/105)^2 / V = 7744/7796 = 1936/1949.
    EXPECT_NEAR(os["log_rank"]["chisq"].get<double>(), 1936.0 / 1949.0, 1e-12);
    EXPECT_EQ(os["log_rank"]["df"], 1);
}

TEST_F(ThpVersusTh, ProgressionFreeSurvivalByArmAndCox) {
    // TH: 150, 400, 500, all events: S = 2/3, 1/3, 0: median 400.
    // THP: 250, 300, 600 events, 1200 censored: S = 3/4, 1/2 from 300, 1/4 from 600:
    // median (300 + 600) / 2 = 450.
    const auto& pfs = study_->analysis("pfs");
    EXPECT_DOUBLE_EQ(stratum(pfs, "TH")["median"].get<double>(), 400);
    EXPECT_DOUBLE_EQ(stratum(pfs, "THP")["median"].get<double>(), 450);
    // Log-rank (TH at risk / all at each event): 150 3/7 (TH), 250 2/6, 300 2/5, 400 2/4 (TH),
    // 500 1/3 (TH), 600 0/2. E = 3/7 + 1/3 + 2/5 + 1/2 + 1/3 = 419/210, O - E = 211/210;
    // V = 12/49 + 2/9 + 6/25 + 1/4 + 2/9 = 52009/44100; chi-square = 44521/52009.
    const double chisq = 44521.0 / 52009.0;
    EXPECT_NEAR(pfs["log_rank"]["chisq"].get<double>(), chisq, 1e-12);
    // With the arm alone and no tied event times, the Cox score test is the log-rank test.
    const auto& cox_arm = study_->analysis("cox_pfs_arm");
    EXPECT_EQ(cox_arm["n"], 7);
    EXPECT_EQ(cox_arm["events"], 6);
    EXPECT_NEAR(cox_arm["score"]["chisq"].get<double>(), chisq, 1e-9);
    ASSERT_EQ(cox_arm["coefficients"].size(), 1u);
    EXPECT_EQ(cox_arm["coefficients"][0]["label"], "Index regimen (arm): THP vs TH");
    EXPECT_LT(cox_arm["coefficients"][0]["coef"].get<double>(), 0);  // THP: O 3 < E 841/210
    // Adjusted: ARM against TH, age per year, de novo against relapsed.
    const auto& cox = study_->analysis("cox_pfs");
    EXPECT_EQ(cox["n"], 7);
    EXPECT_EQ(cox["events"], 6);
    ASSERT_EQ(cox["coefficients"].size(), 3u);
    EXPECT_EQ(cox["coefficients"][0]["label"], "Index regimen (arm): THP vs TH");
    EXPECT_EQ(cox["coefficients"][2]["label"], "De novo metastatic: Yes vs No");
}

// ---------------------------------------------------------------------------------------
// studies/nsclc-egfr-osimertinib.toml on tests/data/study/nsclc-egfr-osimertinib
// ---------------------------------------------------------------------------------------
class NsclcEgfrOsimertinib : public ::testing::Test {
protected:
    static void SetUpTestSuite() { study_ = new StudyRun(run_protocol("nsclc-egfr-osimertinib")); }
    static void TearDownTestSuite() { delete study_; }
    void SetUp() override {
        ASSERT_EQ(study_->validate_status, 0);
        ASSERT_EQ(study_->import_status, 0);
        ASSERT_EQ(study_->run_status, 0);
    }
    static inline StudyRun* study_ = nullptr;
};

TEST_F(NsclcEgfrOsimertinib, OnePatientLeavesAtEachStep) {
    // 12 patients. N06 had chemo-immunotherapy, never osimertinib; N07 had osimertinib as
    // line 2 after gefitinib; N08's primary site is not recorded (unknown); N09 has an
    // EGFR exon 20 insertion and N10 an L858R found by IHC only (not NGS or PCR); N11's
    // ECOG is 2 three days before and 1 three days after the index date: of two as near,
    // the earlier counts, so ECOG 2; N12 started osimertinib (in a trial) on 2018-03-01,
    // before the first-line approval that opens the window on 2018-04-18.
    const auto& steps = study_->analysis("attrition")["steps"];
    ASSERT_EQ(steps.size(), 7u);
    EXPECT_EQ(steps[0]["remaining"], 12);
    EXPECT_EQ(study_->excluded(), (std::vector<int>{1, 1, 1, 2, 1, 1}));
    EXPECT_EQ(steps[6]["remaining"], 5);
    EXPECT_EQ(study_->usubjid, (std::vector<std::string>{"N01", "N02", "N03", "N04", "N05"}));
}

TEST_F(NsclcEgfrOsimertinib, MutationPerformanceStatusAndBrain) {
    EXPECT_EQ(study_->value("N01", "MUT"), "exon19del");  // NGS
    EXPECT_EQ(study_->value("N02", "MUT"), "l858r");      // PCR only: coalesce falls back to it
    EXPECT_EQ(study_->value("N02", "EGFRNGS"), "");
    EXPECT_EQ(study_->value("N04", "MUT"), "l858r");      // both NGS and PCR
    EXPECT_EQ(study_->value("N05", "MUT"), "exon19del");  // PCR
    // ECOG nearest the index date within [-30, +7] days. N03: ECOG 2 on day -31 is outside
    // the window, ECOG 1 on day +7 (2020-02-08) is inside: 1. N02: on the index day: 1.
    EXPECT_EQ(study_->number("N01", "ECOG"), 0);
    EXPECT_EQ(study_->number("N02", "ECOG"), 1);
    EXPECT_EQ(study_->number("N03", "ECOG"), 1);
    EXPECT_EQ(study_->number("N04", "ECOG"), 0);
    EXPECT_EQ(study_->number("N05", "ECOG"), 1);
    // Brain metastasis on or before the index date: N02 (day -5), N05 (at diagnosis); N04's
    // was found 20 days after the index date: not at index.
    EXPECT_EQ(study_->value("N02", "BRAIN"), "Y");
    EXPECT_EQ(study_->value("N05", "BRAIN"), "Y");
    EXPECT_EQ(study_->value("N04", "BRAIN"), "N");
    EXPECT_EQ(study_->value("N01", "BRAIN"), "N");
    EXPECT_EQ(study_->value("N01", "SEX"), "M");
    EXPECT_EQ(study_->value("N03", "SEX"), "F");
    EXPECT_EQ(study_->number("N03", "AGE"), 70);  // born 1949-02-02, index 2020-02-01
    EXPECT_EQ(study_->number("N02", "AGE"), 58);  // born 1961-06-01, index 2019-06-01
    EXPECT_EQ(study_->value("N03", "TTDREASON"), "toxicity");
    EXPECT_EQ(study_->value("N02", "TTDREASON"), "ongoing");
    EXPECT_EQ(study_->value("N01", "NEXTREG"), "carbo-pem");
    EXPECT_EQ(study_->value("N03", "NEXTREG"), "");
    const auto& mut = table1_row(study_->analysis("table1"), "MUT")["overall"];
    EXPECT_EQ(level_count(mut, "exon19del"), 3);
    EXPECT_EQ(level_count(mut, "l858r"), 2);
}

TEST_F(NsclcEgfrOsimertinib, EveryTimeToEventRecord) {
    // N01 2019-01-10: PD 2019-11-05 (299), osimertinib ended 2019-11-20 (314), next line
    //   2019-12-01 (325), death 2020-09-15 (614).
    // N02 2019-06-01, ongoing, alive 2021-12-31 (944); last assessment (SD) 2021-06-15
    //   (745): real-world PFS is censored there, the others at last contact.
    // N03 2020-02-01: stopped for toxicity 2020-05-01 (90), no PD, no next line, death
    //   2020-08-20 (201): a death after the last assessment is a PFS event.
    // N04 2018-09-01: PD 2020-01-15 (501), treated beyond progression to 2021-02-20 (903);
    //   the next line started on 2021-03-01 (912), her last contact: an event on the day
    //   follow-up ends counts (TTNT), while OS is censored that day.
    // N05 2021-03-15: PD, end of the line and death all on 2022-01-10 (301): the event
    //   listed first names it (progression for PFS, end of index line for TTD).
    expect_adtte(*study_, {
        {"N01", "OS", "2019-01-10", "2020-09-15", 614, 0, "death"},
        {"N02", "OS", "2019-06-01", "2021-12-31", 944, 1, "last contact"},
        {"N03", "OS", "2020-02-01", "2020-08-20", 201, 0, "death"},
        {"N04", "OS", "2018-09-01", "2021-03-01", 912, 1, "last contact"},
        {"N05", "OS", "2021-03-15", "2022-01-10", 301, 0, "death"},
        {"N01", "PFS", "2019-01-10", "2019-11-05", 299, 0, "progression"},
        {"N02", "PFS", "2019-06-01", "2021-06-15", 745, 1, "last assessment"},
        {"N03", "PFS", "2020-02-01", "2020-08-20", 201, 0, "death"},
        {"N04", "PFS", "2018-09-01", "2020-01-15", 501, 0, "progression"},
        {"N05", "PFS", "2021-03-15", "2022-01-10", 301, 0, "progression"},
        {"N01", "TTD", "2019-01-10", "2019-11-20", 314, 0, "end of index line"},
        {"N02", "TTD", "2019-06-01", "2021-12-31", 944, 1, "last contact"},
        {"N03", "TTD", "2020-02-01", "2020-05-01", 90, 0, "end of index line"},
        {"N04", "TTD", "2018-09-01", "2021-02-20", 903, 0, "end of index line"},
        {"N05", "TTD", "2021-03-15", "2022-01-10", 301, 0, "end of index line"},
        {"N01", "TTNT", "2019-01-10", "2019-12-01", 325, 0, "next line"},
        {"N02", "TTNT", "2019-06-01", "2021-12-31", 944, 1, "last contact"},
        {"N03", "TTNT", "2020-02-01", "2020-08-20", 201, 0, "death"},
        {"N04", "TTNT", "2018-09-01", "2021-03-01", 912, 0, "next line"},
        {"N05", "TTNT", "2021-03-15", "2022-01-10", 301, 0, "death"},
    });
}

TEST_F(NsclcEgfrOsimertinib, MediansOfTheFourEndpoints) {
    // Five patients, one censored last each time: S = 4/5, 3/5, 2/5 after the first three
    // events, so every median is the third event time.
    // OS 201, 301, 614 (censored 912, 944); PFS 201, 299, 301 (501 event, 745 censored);
    // TTD 90, 301, 314 (903 event, 944 censored); TTNT 201, 301, 325 (912 event, 944 censored).
    EXPECT_DOUBLE_EQ(study_->analysis("os")["strata"][0]["median"].get<double>(), 614);
    EXPECT_DOUBLE_EQ(study_->analysis("pfs")["strata"][0]["median"].get<double>(), 301);
    EXPECT_DOUBLE_EQ(study_->analysis("ttd")["strata"][0]["median"].get<double>(), 314);
    EXPECT_DOUBLE_EQ(study_->analysis("ttnt")["strata"][0]["median"].get<double>(), 325);
    EXPECT_EQ(study_->analysis("ttnt")["strata"][0]["events"], 4);
    // PFS at 365 days: events at 201, 299, 301 before; at risk 501, 745: S = 2/5.
    const auto& pfs = study_->analysis("pfs")["strata"][0];
    EXPECT_EQ(at_time(pfs, 365)["n_risk"], 2);
    EXPECT_NEAR(at_time(pfs, 365)["surv"].get<double>(), 0.4, 1e-12);
}

TEST_F(NsclcEgfrOsimertinib, SubgroupsByMutationAndBrainMetastases) {
    // OS deaths: 201 (N03), 301 (N05), 614 (N01); all exon 19 deletions; N05 has brain
    // metastases. At risk before each death (5, 4, 3 patients):
    //   by BRAIN, Y at risk 2/5, 2/4, 1/3: E_Y = 2/5 + 1/2 + 1/3 = 37/30, O_Y = 1;
    //     V = 6/25 + 1/4 + 2/9 = 641/900; chi-square = (7/30)^2 / V = 49/641.
    //   by MUT, exon19del at risk 3/5, 2/4, 1/3: E = 43/30, O = 3, the same V:
    //     chi-square = (47/30)^2 / V = 2209/641.
    const auto& tests = study_->analysis("subgroups");
    const auto& brain = logrank_test(tests, "OS", "BRAIN");
    EXPECT_NEAR(brain["chisq"].get<double>(), 49.0 / 641.0, 1e-12);
    EXPECT_NEAR(logrank_group(brain, "Y")["expected"].get<double>(), 37.0 / 30.0, 1e-12);
    EXPECT_EQ(logrank_group(brain, "Y")["observed"].get<double>(), 1);
    const auto& mut = logrank_test(tests, "OS", "MUT");
    EXPECT_NEAR(mut["chisq"].get<double>(), 2209.0 / 641.0, 1e-12);
    EXPECT_NEAR(logrank_group(mut, "exon19del")["expected"].get<double>(), 43.0 / 30.0, 1e-12);
    EXPECT_EQ(logrank_group(mut, "l858r")["observed"].get<double>(), 0);
    // PFS events 201, 299, 301 are all exon 19 deletions, with the same numbers at risk
    // (the l858r patients are last, at 501 and 745): the same chi-square.
    EXPECT_NEAR(logrank_test(tests, "PFS", "MUT")["chisq"].get<double>(), 2209.0 / 641.0, 1e-12);
}

TEST_F(NsclcEgfrOsimertinib, CoxAdjustedForAgeSexEcogAndBrain) {
    // Five patients and three deaths: the model is fitted on all five; age and ECOG per
    // unit, sex M against F, brain metastases Y against N.
    const auto& cox = study_->analysis("cox_os");
    EXPECT_EQ(cox["n"], 5);
    EXPECT_EQ(cox["events"], 3);
    ASSERT_EQ(cox["coefficients"].size(), 4u);
    EXPECT_EQ(cox["coefficients"][0]["name"], "AGE");
    EXPECT_EQ(cox["coefficients"][1]["label"], "Sex: M vs F");
    EXPECT_EQ(cox["coefficients"][2]["name"], "ECOG");
    EXPECT_EQ(cox["coefficients"][3]["label"], "Brain metastasis at index: Yes vs No");
}

// ---------------------------------------------------------------------------------------
// studies/early-her2-adjuvant-dfs.toml on tests/data/study/early-her2-adjuvant-dfs
// ---------------------------------------------------------------------------------------
class EarlyHer2AdjuvantDfs : public ::testing::Test {
protected:
    static void SetUpTestSuite() { study_ = new StudyRun(run_protocol("early-her2-adjuvant-dfs")); }
    static void TearDownTestSuite() { delete study_; }
    void SetUp() override {
        ASSERT_EQ(study_->validate_status, 0);  // two long gaps without contact are warnings only
        ASSERT_EQ(study_->import_status, 0);
        ASSERT_EQ(study_->run_status, 0);
    }
    static inline StudyRun* study_ = nullptr;
};

TEST_F(EarlyHer2AdjuvantDfs, OnePatientLeavesAtEachStep) {
    // 9 patients. D05 (HER2 0) had adjuvant AC-T and letrozole, no trastuzumab; D06 got
    // adjuvant trastuzumab with an IHC 2+ tumour of ISH ratio 1.8; D07 has no surgery
    // recorded; D08 began adjuvant trastuzumab on 2009-04-20, before 2010-01-01. No line
    // step: adjuvant regimens have no line number.
    const auto& steps = study_->analysis("attrition")["steps"];
    ASSERT_EQ(steps.size(), 5u);
    EXPECT_EQ(steps[0]["remaining"], 9);
    EXPECT_EQ(study_->excluded(), (std::vector<int>{1, 1, 1, 1}));
    EXPECT_EQ(steps[3]["reason"], "No surgery recorded");
    EXPECT_EQ(steps[4]["remaining"], 5);
    EXPECT_EQ(study_->usubjid, (std::vector<std::string>{"D01", "D02", "D03", "D04", "D09"}));
}

TEST_F(EarlyHer2AdjuvantDfs, TheIndexIsTheFirstAdjuvantRegimenWithTrastuzumab) {
    // D01 had adjuvant AC (2012-04-10) then TH (2012-07-03): the index is TH. D02 had
    // trastuzumab before surgery (neoadjuvant TCHP, 2014-01-15) and after it (2014-07-01):
    // only the adjuvant one is an index line.
    EXPECT_EQ(study_->value("D01", "TRTSDT"), "2012-07-03");
    EXPECT_EQ(study_->value("D01", "ADJREG"), "th");
    EXPECT_EQ(study_->value("D02", "TRTSDT"), "2014-07-01");
    EXPECT_EQ(study_->value("D02", "ADJREG"), "h");
    EXPECT_EQ(study_->value("D02", "NEOADJ"), "Y");
    EXPECT_EQ(study_->value("D01", "NEOADJ"), "N");
    EXPECT_EQ(study_->value("D04", "ADJREG"), "tch");
    // days_between(surgery, index): 2012-03-10 to 2012-07-03 = 115; 2014-06-01 to
    // 2014-07-01 = 30; 2016-02-01 to 2016-03-01 = 29 (leap year); 2013-05-20 to
    // 2013-06-20 = 31; 2011-09-15 to 2011-10-20 = 35.
    EXPECT_EQ(study_->number("D01", "SURG2IDX"), 115);
    EXPECT_EQ(study_->number("D02", "SURG2IDX"), 30);
    EXPECT_EQ(study_->number("D03", "SURG2IDX"), 29);
    EXPECT_EQ(study_->number("D04", "SURG2IDX"), 31);
    EXPECT_EQ(study_->number("D09", "SURG2IDX"), 35);
    // Age at the index date, not at surgery: D01 born 1967-04-12, 2012-07-03: 45.
    EXPECT_EQ(study_->number("D01", "AGE"), 45);
    EXPECT_EQ(study_->number("D03", "AGE"), 70);  // born 1945-06-30, index 2016-03-01
    // D02's HER2 is in biomarkers.csv: IHC 2+, ISH 2.8.
    EXPECT_EQ(study_->value("D02", "HER2IHC"), "2+");
    EXPECT_DOUBLE_EQ(study_->number("D02", "HER2ISH"), 2.8);
    EXPECT_EQ(study_->value("D02", "HR"), "negative");
    EXPECT_EQ(study_->value("D03", "HR"), "positive");
}

TEST_F(EarlyHer2AdjuvantDfs, EveryTimeToEventRecordStartsAtSurgery) {
    // STARTDT is the surgery date. D01: metastasis 2015-09-01 (1270 d), death 2018-02-14
    // (2167 d). D02: no event, alive 2020-06-30 (2221 d). D03: death without metastasis
    // 2018-07-07 (887 d). D04: metastasis found on 2017-04-10, her last contact: a DFS event
    // on the day follow-up ends (1421 d), while OS is censored that day. D09: metastasis
    // 2013-01-10 (483 d), death 2014-03-03 (900 d).
    expect_adtte(*study_, {
        {"D01", "DFS", "2012-03-10", "2015-09-01", 1270, 0, "metastasis"},
        {"D02", "DFS", "2014-06-01", "2020-06-30", 2221, 1, "last contact"},
        {"D03", "DFS", "2016-02-01", "2018-07-07", 887, 0, "death"},
        {"D04", "DFS", "2013-05-20", "2017-04-10", 1421, 0, "metastasis"},
        {"D09", "DFS", "2011-09-15", "2013-01-10", 483, 0, "metastasis"},
        {"D01", "OS", "2012-03-10", "2018-02-14", 2167, 0, "death"},
        {"D02", "OS", "2014-06-01", "2020-06-30", 2221, 1, "last contact"},
        {"D03", "OS", "2016-02-01", "2018-07-07", 887, 0, "death"},
        {"D04", "OS", "2013-05-20", "2017-04-10", 1421, 1, "last contact"},
        {"D09", "OS", "2011-09-15", "2014-03-03", 900, 0, "death"},
    });
}

TEST_F(EarlyHer2AdjuvantDfs, DiseaseFreeSurvivalByHand) {
    // DFS events 483, 887, 1270, 1421; censored 2221. S = 4/5, 3/5, 2/5, 1/5: median 1270.
    // At 1 year all 5 at risk, S = 1; at 3 years (1095) 3 at risk (1270, 1421, 2221),
    // S = 3/5; at 5 years (1826) 1 at risk, S = 1/5.
    const auto& dfs = study_->analysis("dfs")["strata"][0];
    EXPECT_EQ(dfs["events"], 4);
    EXPECT_DOUBLE_EQ(dfs["median"].get<double>(), 1270);
    EXPECT_EQ(at_time(dfs, 365)["n_risk"], 5);
    EXPECT_NEAR(at_time(dfs, 365)["surv"].get<double>(), 1.0, 1e-12);
    EXPECT_EQ(at_time(dfs, 1095)["n_risk"], 3);
    EXPECT_NEAR(at_time(dfs, 1095)["surv"].get<double>(), 0.6, 1e-12);
    EXPECT_EQ(at_time(dfs, 1826)["n_risk"], 1);
    EXPECT_NEAR(at_time(dfs, 1826)["surv"].get<double>(), 0.2, 1e-12);
    // OS: deaths 887, 900, 2167; censored 1421, 2221. S = 4/5, 3/5, then at 2167 two at
    // risk: 3/5 * 1/2 = 3/10. Median 2167; at 5 years S = 3/5 with 2 at risk.
    const auto& os = study_->analysis("os")["strata"][0];
    EXPECT_DOUBLE_EQ(os["median"].get<double>(), 2167);
    EXPECT_EQ(at_time(os, 1826)["n_risk"], 2);
    EXPECT_NEAR(at_time(os, 1826)["surv"].get<double>(), 0.6, 1e-12);
    // Follow-up: observed OS times 887, 900, 1421, 2167, 2221: median 1421. Reverse
    // Kaplan-Meier (censoring as the event): 1421 with 3 at risk (2/3), 2221 with 1 (0):
    // median 2221.
    const auto& followup = study_->analysis("followup");
    EXPECT_DOUBLE_EQ(followup["observed"]["median"].get<double>(), 1421);
    EXPECT_DOUBLE_EQ(followup["observed"]["min"].get<double>(), 887);
    EXPECT_DOUBLE_EQ(followup["reverse_km"]["median"].get<double>(), 2221);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// A store imported before administration_days existed gives the same results
// ---------------------------------------------------------------------------------------
TEST(StoreLayouts, TheAdministrationsTableAloneGivesTheSameResults) {
    // thp-vs-th chooses its arms by the drugs given (the store's candidate query looks at
    // administrations) and counts cycles; nsclc-egfr-osimertinib chooses by regimen code.
    for (const std::string id : {"thp-vs-th", "nsclc-egfr-osimertinib"}) {
        SCOPED_TRACE(id);
        StudyRun days = run_protocol(id);
        StudyRun table = run_protocol(id, true);
        ASSERT_EQ(days.run_status, 0);
        ASSERT_EQ(table.run_status, 0);
        EXPECT_FALSE(days.results["analyses"].empty());
        for (StudyRun* run : {&days, &table}) run->results.erase("registry");  // import time differs
        EXPECT_EQ(days.results, table.results);
        EXPECT_EQ(days.adsl, table.adsl);
        EXPECT_EQ(days.adtte_rows, table.adtte_rows);
    }
}
