// The protocol language on the small study registry (tests/data/study/registry, ten
// patients): every expected value is worked by hand from the registry's CSV files in the
// comments; errors are checked by their text, with the line they name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "rwe/common/error.hpp"
#include "rwe/study/analyses.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"
#include "rwe/study/run_study.hpp"

namespace fs = std::filesystem;
using namespace rwe::study;

namespace {

const std::string registry_dir = std::string(RWE_TEST_DATA_DIR) + "/study/registry";

// The protocol text around the parts a test changes.
std::string protocol(const std::string& index_extra, const std::string& body, const std::string& study_extra = "") {
    return "[study]\nid = \"t\"\ntime_unit = \"days\"\n" + study_extra +
           "[index]\nregimen = \"THP\"\naccrual = [\"2008-08-01\", \"2020-12-31\"]\n" + index_extra + body;
}

class Language : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("rwe_language_test_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = (dir_ / "registry.sqlite").string();
        const std::string command = std::string(RWE_BINARY) + " import " + registry_dir + " --db " + db_ + " > /dev/null 2>&1";
        ASSERT_EQ(std::system(command.c_str()), 0);
        registry_ = new RegistryData(load_registry(db_));
    }
    static void TearDownTestSuite() {
        delete registry_;
        fs::remove_all(dir_);
    }
    static StudyData derive(const std::string& text) { return derive_study_data(*registry_, parse_protocol_text(text, "p.toml")); }
    static std::string value(const StudyData& data, const std::string& id, const std::string& variable) {
        for (std::size_t row = 0; row < data.adsl.size(); ++row) {
            if (data.adsl.usubjid[row] == id) return data.adsl.at(variable).values[row];
        }
        ADD_FAILURE() << id << " not in the cohort";
        return "";
    }
    static const TimeToEventRecord* tte(const StudyData& data, const std::string& paramcd, const std::string& id) {
        for (const auto& record : data.endpoint(paramcd).records) {
            if (data.adsl.usubjid[record.subject] == id) return &record;
        }
        return nullptr;
    }
    // EVNTDESC of a patient's record of an endpoint.
    static std::string description(const StudyData& data, const std::string& paramcd, const std::string& id) {
        const auto* record = tte(data, paramcd, id);
        return record ? data.endpoint(paramcd).description(*record) : "(no record)";
    }

    static inline fs::path dir_;
    static inline std::string db_;
    static inline RegistryData* registry_ = nullptr;
};

// The error of a protocol text, or "" when it parses.
std::string error_of(const std::string& text) {
    try {
        parse_protocol_text(text, "p.toml");
    } catch (const rwe::InputError& error) {
        return error.what();
    }
    return "";
}

}  // namespace

TEST_F(Language, ExclusionCriterionCountsWhoLeaves) {
    // Ages at index (completed years): P01 54, P02 45, P03 59 (born 1955-12-31, index
    // 2015-01-10), P04 35, P06 58 (born 1950-08-01, index 2008-08-01: the 58th birthday),
    // P07 45. Excluding AGE >= 58 removes P03 and P06. Before it: P09 (no THP) and P08 (THP
    // as line 2) leave at the index steps; P05 (IHC 2+, ratio 2.0) fails HER2. P10 (index
    // 2008-07-31) leaves at the accrual window (2008-08-01 on).
    const auto data = derive(protocol("line = 1\n",
                                      "[variables]\nAGE = { derive = \"age\" }\n"
                                      "HER2IHC = { derive = \"biomarker\", marker = \"her2\", method = \"ihc\" }\n"
                                      "HER2ISH = { derive = \"biomarker\", marker = \"her2\", method = \"ish\", field = \"value\" }\n"
                                      "[[criterion]]\ninclude = \"HER2IHC == '3+' or (HER2IHC == '2+' and HER2ISH > 2)\"\nlabel = \"HER2-positive\"\n"
                                      "[[criterion]]\nexclude = \"AGE >= 58\"\nlabel = \"Under 58\"\nreason = \"Aged 58 or over\"\n"));
    ASSERT_EQ(data.attrition.size(), 6u);
    EXPECT_EQ(data.attrition[1].excluded, 1u);  // P09
    EXPECT_EQ(data.attrition[2].excluded, 1u);  // P08
    EXPECT_EQ(data.attrition[3].excluded, 1u);  // P05
    EXPECT_EQ(data.attrition[4].criterion, "Under 58");
    EXPECT_EQ(data.attrition[4].reason, "Aged 58 or over");
    EXPECT_EQ(data.attrition[4].excluded, 2u);  // P03, P06
    EXPECT_EQ(data.attrition[5].excluded, 1u);  // P10
    EXPECT_EQ(data.adsl.usubjid, (std::vector<std::string>{"P01", "P02", "P04", "P07"}));
}

TEST_F(Language, ArmsByTheirDrugs) {
    // Administrations: R01 (P01) gave docetaxel, trastuzumab and pertuzumab; R03 (P03) and
    // R04 (P04) docetaxel alone; the other THP lines have none recorded, so only these three
    // qualify for an arm defined by drugs.
    const auto data = derive(
        "[study]\nid = \"t\"\n[index]\naccrual = [\"2008-08-01\", \"2020-12-31\"]\nline = 1\n"
        "[[index.arm]]\nname = \"THP\"\ndrugs = { all = [\"docetaxel\", \"trastuzumab\", \"pertuzumab\"] }\n"
        "[[index.arm]]\nname = \"D\"\ndrugs = { any = [\"docetaxel\", \"paclitaxel\"], none = [\"pertuzumab\"] }\n");
    EXPECT_EQ(data.attrition[1].criterion, "Received THP or D (palliative setting)");
    EXPECT_EQ(data.attrition[1].excluded, 7u);
    EXPECT_EQ(data.adsl.usubjid, (std::vector<std::string>{"P01", "P03", "P04"}));
    EXPECT_EQ(value(data, "P01", "ARM"), "THP");
    EXPECT_EQ(value(data, "P03", "ARM"), "D");
    EXPECT_EQ(data.adsl.at("ARM").levels, (std::vector<std::string>{"THP", "D"}));
}

TEST_F(Language, DataCutoffEndsFollowUp) {
    // Cut-off 2015-06-30: THP lines starting later (P04 2016, P07 2020) do not qualify.
    // P01 (index 2015-01-15) died 2016-01-01, after the cut-off: OS censored at the cut-off,
    // 166 days. P03 (index 2015-01-10): PD on 2015-07-01 is after the cut-off: PFS censored
    // at 171 days. P06 died 2010-08-01, before it: an event at 730 days.
    std::string text = protocol("line = 1\n",
                                "[endpoints]\nOS = { events = [\"death\"] }\nPFS = { events = [\"progression\", \"death\"] }\n",
                                "data_cutoff = \"2015-06-30\"\n");
    text.replace(text.find("2020-12-31"), 10, "2015-06-30");  // the accrual window ends at the cut-off
    const auto data = derive(text);
    EXPECT_EQ(data.attrition[1].excluded, 3u);  // P09, P04, P07
    const auto* os = tte(data, "OS", "P01");
    ASSERT_NE(os, nullptr);
    EXPECT_EQ(os->cnsr, 1);
    EXPECT_EQ(os->aval, 166);
    EXPECT_EQ(description(data, "OS", "P01"), "data cut-off");
    EXPECT_EQ(tte(data, "PFS", "P03")->cnsr, 1);
    EXPECT_EQ(tte(data, "PFS", "P03")->aval, 171);
    EXPECT_EQ(tte(data, "OS", "P06")->cnsr, 0);
    EXPECT_EQ(tte(data, "OS", "P06")->aval, 730);
}

TEST_F(Language, EndpointsOfTreatment) {
    // TTD: R01 ended 2015-12-20, 339 days after 2015-01-15; P02's line ended on the index
    // day, the day of death: the event listed first (end of the index line) at 0; P04 is
    // ongoing: censored at last contact, 1795 days. TTNT: P03's second line started
    // 2015-08-01, 203 days after 2015-01-10. OS censored at the next line: P03 at 203 days.
    // Real-world PFS censored at the last assessment: P04 has none, censored at the origin.
    const auto data = derive(protocol("line = 1\n",
                                      "[endpoints]\nTTD = { events = [\"index_line_end\", \"death\"] }\n"
                                      "TTNT = { events = [\"next_line\", \"death\"] }\n"
                                      "OSL1 = { events = [\"death\"], censor = [\"next_line\"] }\n"
                                      "RWPFS = { events = [\"progression\", \"death\"], censor = [\"last_assessment\"] }\n"
                                      "MET = { origin = \"METDT\", events = [\"metastasis\"] }\n"
                                      "[variables]\nMETDT = { derive = \"tumor\", field = \"metastasis_date\" }\n"));
    EXPECT_EQ(tte(data, "TTD", "P01")->aval, 339);
    EXPECT_EQ(description(data, "TTD", "P01"), "end of index line");
    EXPECT_EQ(tte(data, "TTD", "P02")->aval, 0);
    EXPECT_EQ(description(data, "TTD", "P02"), "end of index line");
    EXPECT_EQ(tte(data, "TTD", "P04")->cnsr, 1);
    EXPECT_EQ(tte(data, "TTD", "P04")->aval, 1795);
    EXPECT_EQ(tte(data, "TTNT", "P03")->aval, 203);
    EXPECT_EQ(description(data, "TTNT", "P03"), "next line");
    EXPECT_EQ(tte(data, "OSL1", "P03")->cnsr, 1);
    EXPECT_EQ(tte(data, "OSL1", "P03")->aval, 203);
    EXPECT_EQ(description(data, "OSL1", "P03"), "start of next line");
    EXPECT_EQ(tte(data, "RWPFS", "P04")->cnsr, 1);
    EXPECT_EQ(tte(data, "RWPFS", "P04")->aval, 0);
    EXPECT_EQ(description(data, "RWPFS", "P04"), "last assessment");
    // From the metastasis date, a metastasis on that very day is an event at 0 (P03:
    // metastasis 2014-11-15).
    EXPECT_EQ(tte(data, "MET", "P03")->cnsr, 0);
    EXPECT_EQ(tte(data, "MET", "P03")->aval, 0);
}

TEST_F(Language, PriorExposureHonoursItsSettings) {
    // P08: palliative TCH (line 1, 2013) before THP (line 2, 2014). Counted only when the
    // palliative setting is asked for; P03's adjuvant AC-TH only by default.
    const std::string variables =
        "[variables]\nPRIORTCH = { derive = \"prior_exposure\", regimens = [\"TCH\"], settings = [\"palliative\"] }\n"
        "PRIORADJ = { derive = \"prior_exposure\", regimens = [\"TCH\", \"AC-TH\"] }\n";
    const auto data = derive(protocol("line = \"any\"\n", variables));
    EXPECT_EQ(value(data, "P08", "PRIORTCH"), "Y");
    EXPECT_EQ(value(data, "P08", "PRIORADJ"), "N");
    EXPECT_EQ(value(data, "P03", "PRIORTCH"), "N");
    EXPECT_EQ(value(data, "P03", "PRIORADJ"), "Y");
}

TEST_F(Language, PopulationsAndValueLabels) {
    // Without a HER2 criterion the cohort is the seven THP line-1 patients in the window,
    // P01-P07. Ages at index: P01 54, P02 45, P03 59, P04 35, P05 49 (born 1965-02-02,
    // index 2015-02-01, the day before the birthday), P06 58, P07 45. Aged 50 or over:
    // P01, P03, P06, all postmenopausal: the table has one level, with its label.
    const auto text = protocol("line = 1\n",
                               "[variables]\nAGE = { derive = \"age\" }\n"
                               "MENO = { derive = \"patient\", field = \"menopausal_status\", value_labels = { post = \"Postmenopausal\" } }\n"
                               "[[analysis]]\nid = \"t\"\nkind = \"table1\"\nvariables = [\"MENO\"]\nwhere = \"AGE >= 50\"\n");
    const Protocol parsed = parse_protocol_text(text, "p.toml");
    const auto data = derive_study_data(*registry_, parsed);
    EXPECT_EQ(data.adsl.size(), 7u);
    std::vector<std::string> warnings;
    const auto results = run_analyses(data, parsed, warnings);
    const auto& result = results[0]["result"];
    EXPECT_EQ(result["population"]["n"], 3);
    const auto& levels = result["rows"][0]["overall"]["levels"];
    ASSERT_EQ(levels.size(), 1u);
    EXPECT_EQ(levels[0]["level"], "post");
    EXPECT_EQ(levels[0]["label"], "Postmenopausal");
}

TEST_F(Language, BiomarkerByAnyOfItsMethods) {
    // P01's tumour gives HER2 by IHC (3+) and no ISH ratio; P03's IHC 2+ and ISH 2.4. A list
    // of methods takes the first test of any of them (IHC and ISH rows are both dated at
    // diagnosis; IHC sorts first); a method the registry never uses is a warning.
    const auto data = derive(protocol("line = 1\n",
                                      "[variables]\nH = { derive = \"biomarker\", marker = \"her2\", method = [\"ish\", \"ihc\"] }\n"
                                      "F = { derive = \"biomarker\", marker = \"her2\", method = [\"fish\", \"cish\"] }\n"));
    EXPECT_EQ(value(data, "P01", "H"), "3+");
    EXPECT_EQ(value(data, "P03", "H"), "2+");
    EXPECT_EQ(value(data, "P03", "F"), "");
    ASSERT_EQ(data.warnings.size(), 1u);
    EXPECT_EQ(data.warnings[0], "p.toml:10: variables.F.marker: warning: no result of this marker by fish or cish in the registry (her2)");
}

TEST_F(Language, CodesTheRegistryLacksAreWarnings) {
    const auto data = derive(protocol("line = 1\n", "[variables]\nX = { derive = \"administrations\", drugs = [\"docetaxol\"] }\n"));
    ASSERT_EQ(data.warnings.size(), 1u);
    EXPECT_EQ(data.warnings[0], "p.toml:9: variables.X.drugs: warning: no administration of this drug in the registry (docetaxol)");
    std::string text = protocol("line = 1\n", "");
    text.replace(text.find("\"THP\""), 5, "\"thpx\"");
    const auto none = derive(text);
    EXPECT_EQ(none.adsl.size(), 0u);
    ASSERT_EQ(none.warnings.size(), 1u);
    EXPECT_EQ(none.warnings[0], "p.toml:5: index.regimen: warning: no regimen with this code in the registry (thpx)");
}

TEST_F(Language, TheStoreSelectsThePatientsToRead) {
    // Only P03 (T-DM1, palliative line 2) and P08 (TCH, line 1) have one of these regimens:
    // the store reads just them (by id: 6 patients lie in their id range), the other 8 count
    // as excluded at the first step, as when the whole registry is read.
    const auto path = dir_ / "sparse.toml";
    {
        std::ofstream out(path);
        out << "[study]\nid = \"s\"\n[index]\nregimen = [\"T-DM1\", \"TCH\"]\naccrual = [\"2008-08-01\", \"2020-12-31\"]\n"
               "[[analysis]]\nkind = \"attrition\"\n";
    }
    const auto out = dir_ / "sparse-out";
    const auto summary = run_study(path.string(), db_, out.string());
    EXPECT_EQ(summary.patients, 10u);
    EXPECT_EQ(summary.cohort, 2u);
    std::ifstream results(out / "results.json");
    const auto steps = nlohmann::json::parse(results)["analyses"][0]["result"]["steps"];
    ASSERT_EQ(steps.size(), 3u);
    EXPECT_EQ(steps[0]["remaining"], 10);
    EXPECT_EQ(steps[1]["excluded"], 8);
    EXPECT_EQ(steps[2]["excluded"], 0);
    EXPECT_EQ(steps[2]["remaining"], 2);
    std::ifstream adsl(out / "adsl.csv");
    std::string header, first, second;
    std::getline(adsl, header);
    std::getline(adsl, first);
    std::getline(adsl, second);
    EXPECT_EQ(first.substr(0, 4), "P03,");
    EXPECT_EQ(second.substr(0, 4), "P08,");
}

// The read plan: only the administrations the protocol looks at are read, and the
// derivations give what they give on the whole registry.
TEST_F(Language, TheReadPlanReadsTheAdministrationsDerivationsUse) {
    // P03's adjuvant AC-TH (R03a) gave trastuzumab: PRIORT is Y for P03, N for P01 (no
    // earlier regimen). DOC counts the index line's docetaxel days: P01 7 (R01: 2015-01-15
    // to 2015-05-21, every three weeks), P03 2 (R03: 2015-01-10 and 2015-01-31).
    const std::string text = protocol("line = 1\n",
                                      "[variables]\n"
                                      "PRIORT = { derive = \"prior_exposure\", drugs = [\"trastuzumab\"], settings = [\"adjuvant\"] }\n"
                                      "DOC = { derive = \"administrations\", drugs = [\"docetaxel\"] }\n");
    const Protocol parsed = parse_protocol_text(text, "p.toml");
    const ReadPlan plan = read_plan(parsed);
    ASSERT_TRUE(plan.administrations_of.has_value());
    EXPECT_EQ(*plan.administrations_of,
              "(lower(r.setting) IN ('adjuvant')) OR (lower(r.setting) IN ('palliative') AND (lower(r.regimen) IN ('thp')))");
    StudyDataBuilder builder(parsed);
    std::size_t administrations = 0;
    const auto info = read_registry(db_, 3, [&](const RegistryData& chunk) {
        for (const auto& patient : chunk.patients) {
            for (const auto& regimen : patient.regimens) {
                administrations += regimen.administrations.size();
                // Second-line and other regimens are not read: no derivation looks at them.
                if (regimen.setting == "palliative" && regimen.regimen != "thp") EXPECT_TRUE(regimen.administrations.empty());
            }
        }
        builder.add(chunk);
    }, plan);
    EXPECT_GT(administrations, 0u);
    const StudyData planned = builder.finish(info.patients, info.codes);
    const StudyData whole = derive(text);
    ASSERT_EQ(planned.adsl.size(), whole.adsl.size());
    for (const auto& variable : whole.adsl.variables) {
        for (std::size_t row = 0; row < whole.adsl.size(); ++row) {
            if (variable.numeric) EXPECT_EQ(planned.adsl.at(variable.name).numbers[row], variable.numbers[row]) << variable.name;
            else EXPECT_EQ(planned.adsl.at(variable.name).values[row], variable.values[row]) << variable.name;
        }
    }
    EXPECT_EQ(value(planned, "P03", "PRIORT"), "Y");
    EXPECT_EQ(value(planned, "P01", "PRIORT"), "N");
    EXPECT_EQ(planned.adsl.at("DOC").numbers[0], 7);
    EXPECT_EQ(planned.warnings, whole.warnings);
    // A protocol that looks at no administration reads none.
    EXPECT_EQ(read_plan(parse_protocol_text(protocol("", ""), "p.toml")).administrations_of, std::string());
}

TEST_F(Language, ProtocolErrorsComeBeforeTheRegistryIsRead) {
    const auto path = dir_ / "bad.toml";
    {
        std::ofstream out(path);
        out << protocol("line = 1\n", "[variables]\nAGE = { derive = \"agee\" }\n");
    }
    try {
        run_study(path.string(), (dir_ / "no-such.sqlite").string(), (dir_ / "out").string());
        FAIL() << "no error";
    } catch (const rwe::InputError& error) {
        EXPECT_NE(std::string(error.what()).find("bad.toml:9: variables.AGE.derive: unknown derivation"), std::string::npos) << error.what();
    }
    EXPECT_FALSE(fs::exists(dir_ / "out"));
}

struct BadProtocol {
    const char* name;
    std::string text;
    std::string message;  // the start of the error, from the file name on
};

class ProtocolErrors : public ::testing::TestWithParam<BadProtocol> {};

TEST_P(ProtocolErrors, NameTheLineTheKeyAndTheProblem) {
    const auto& bad = GetParam();
    const std::string error = error_of(bad.text);
    EXPECT_EQ(error.substr(0, bad.message.size()), bad.message) << error;
}

const std::string age = "[variables]\nAGE = { derive = \"age\" }\n";
const std::string os = "[endpoints]\nOS = { events = [\"death\"] }\n";

INSTANTIATE_TEST_SUITE_P(
    Language, ProtocolErrors,
    ::testing::Values(
        BadProtocol{"numeric_by", protocol("", age + os + "[[analysis]]\nid = \"k\"\nkind = \"km\"\nendpoint = \"OS\"\nby = \"AGE\"\n"),
                    "p.toml:15: analysis.k.by: a numeric variable cannot define groups; cut it into bands (derive = \"band\") (AGE)"},
        BadProtocol{"grade_not_a_number",
                    protocol("", "[variables]\nS = { derive = \"patient\", field = \"sex\" }\n[[analysis]]\nid = \"a\"\nkind = \"association\"\nby = \"S\"\noutcomes = [\"nausea:x\"]\n"),
                    "p.toml:13: analysis.a.outcomes: expected a variable name or \"term:k\" with k an integer from 1 to 5 (nausea:x)"},
        BadProtocol{"unknown_name_in_criterion", protocol("", age + "[[criterion]]\ninclude = \"AGEE >= 65\"\nlabel = \"old\"\n"),
                    "p.toml:10: criterion[1].include: unknown name (AGEE)"},
        BadProtocol{"variable_used_before_it_is_defined",
                    protocol("", "[variables]\nOLD = { expr = \"AGE >= 65\" }\nAGE = { derive = \"age\" }\n"),
                    "p.toml:8: variables.OLD.expr: unknown name (AGE)"},
        BadProtocol{"unknown_derivation", protocol("", "[variables]\nAGE = { derive = \"agee\" }\n"),
                    "p.toml:8: variables.AGE.derive: unknown derivation (known: age, patient, tumor"},
        BadProtocol{"argument_of_another_derivation", protocol("", "[variables]\nAGE = { derive = \"age\", field = \"sex\" }\n"),
                    "p.toml:8: variables.AGE.field: unknown key (allowed: label, levels, value_labels, default, summary, derive)"},
        BadProtocol{"closed_argument_value", protocol("", "[variables]\nS = { derive = \"patient\", field = \"gender\" }\n"),
                    "p.toml:8: variables.S.field: expected one of sex, menopausal_status, birth_date, death_date, last_contact_date (gender)"},
        BadProtocol{"band_of_text", protocol("", "[variables]\nS = { derive = \"patient\", field = \"sex\" }\nB = { derive = \"band\", from = \"S\", upper = [1], labels = [\"a\", \"b\"] }\n"),
                    "p.toml:9: variables.B.from: must name a numeric variable (S)"},
        BadProtocol{"band_labels", protocol("", age + "B = { derive = \"band\", from = \"AGE\", upper = [50, 60], labels = [\"a\", \"b\"] }\n"),
                    "p.toml:9: variables.B.labels: needs one label more than upper limits (2 limits, 2 labels)"},
        BadProtocol{"levels_of_a_number", protocol("", "[variables]\nAGE = { derive = \"age\", levels = [\"1\"] }\n"),
                    "p.toml:8: variables.AGE.levels: only a text variable has levels"},
        BadProtocol{"default_of_another_type", protocol("", "[variables]\nAGE = { derive = \"age\", default = \"old\" }\n"),
                    "p.toml:8: variables.AGE.default: expected a number value, the variable's type"},
        BadProtocol{"reserved_name", protocol("", "[variables]\nTRTSDT = { derive = \"age\" }\n"),
                    "p.toml:8: variables.TRTSDT: reserved name (TRTSDT)"},
        BadProtocol{"endpoint_origin", protocol("", "[endpoints]\nX = { origin = \"diagnosis\" }\n"),
                    "p.toml:8: endpoints.X.origin: expected index, surgery, first_response, next_line or a date variable (diagnosis)"},
        BadProtocol{"endpoint_event", protocol("", "[endpoints]\nX = { events = [\"relapse\"] }\n"),
                    "p.toml:8: endpoints.X.events: expected death, progression, next_line, index_line_end, metastasis or a date variable (relapse)"},
        BadProtocol{"unknown_endpoint", protocol("", os + "[[analysis]]\nid = \"k\"\nkind = \"km\"\nendpoint = \"PFS\"\n"),
                    "p.toml:12: analysis.k.endpoint: unknown endpoint (known: OS) (PFS)"},
        BadProtocol{"response_without_a_response_variable", protocol("", age + "[[analysis]]\nid = \"r\"\nkind = \"response\"\n"),
                    "p.toml:9: analysis.r.variable: required: the best-response variable (derive = \"best_response\"); BOR is the default and there is none"},
        BadProtocol{"one_arm", "[study]\nid = \"t\"\n[index]\naccrual = [\"2008-08-01\", \"2020-12-31\"]\n[[index.arm]]\nname = \"A\"\nregimen = \"THP\"\n",
                    "p.toml:5: index.arm: needs two arms or more"},
        BadProtocol{"no_regimen", "[study]\nid = \"t\"\n[index]\naccrual = [\"2008-08-01\", \"2020-12-31\"]\n",
                    "p.toml:3: index.regimen: the index regimen needs `regimen` (codes) or `drugs`"},
        BadProtocol{"line_zero", protocol("line = 0\n", ""),
                    "p.toml:7: index.line: expected a line number >= 1, [first, last] or \"any\" (0)"},
        BadProtocol{"line_range_from_zero", protocol("line = [0, 0]\n", ""),
                    "p.toml:7: index.line: expected lines >= 1, the first not after the last"},
        BadProtocol{"line_range_reversed", protocol("line = [2, 1]\n", ""),
                    "p.toml:7: index.line: expected lines >= 1, the first not after the last"},
        BadProtocol{"response_of_another_variable",
                    protocol("", "[variables]\nS = { derive = \"patient\", field = \"sex\" }\n[[analysis]]\nid = \"r\"\nkind = \"response\"\nvariable = \"S\"\n"),
                    "p.toml:12: analysis.r.variable: expected a best-response variable (derive = \"best_response\") (S)"},
        BadProtocol{"term_twice_in_two_cases", protocol("", "[[analysis]]\nid = \"ae\"\nkind = \"adverse_events\"\nterms = [\"nausea\", \"Nausea\"]\n"),
                    "p.toml:10: analysis.ae.terms: listed twice (Nausea)"},
        BadProtocol{"value_label_of_no_level",
                    protocol("", "[variables]\nM = { derive = \"patient\", field = \"menopausal_status\", value_labels = { peri = \"Peri\" } }\n"),
                    "p.toml:8: variables.M.value_labels.peri: not a value this variable can take (pre, post, unknown) (peri)"},
        BadProtocol{"value_labels_of_a_number", protocol("", "[variables]\nAGE = { derive = \"age\", value_labels = { \"1\" = \"one\" } }\n"),
                    "p.toml:8: variables.AGE.value_labels: only a text or true/false variable has value labels"},
        BadProtocol{"censored_two_ways", protocol("", "[endpoints]\nX = { censor = [\"last_contact\", \"last_assessment\"] }\n"),
                    "p.toml:8: endpoints.X.censor: give last_contact or last_assessment, not both (they censor at different dates)"},
        BadProtocol{"line_of_adjuvant", protocol("setting = \"adjuvant\"\nline = 1\n", ""),
                    "p.toml:8: index.line: only palliative lines are numbered; add \"palliative\" to index.setting"},
        BadProtocol{"accrual_after_cutoff", protocol("", "", "data_cutoff = \"2019-12-31\"\n"),
                    "p.toml:7: index.accrual: the window ends after the data cut-off (study.data_cutoff) (2020-12-31)"},
        BadProtocol{"criterion_not_true_false", protocol("", age + "[[criterion]]\ninclude = \"AGE\"\nlabel = \"x\"\n"),
                    "p.toml:10: criterion[1].include: expected a true/false expression, got number"}),
    [](const ::testing::TestParamInfo<BadProtocol>& info) { return std::string(info.param.name); });
