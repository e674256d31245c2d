// The store derives ADSL and the attrition (store_derivation.hpp) exactly as rwe derives
// them from the registry rows (analysis_data.hpp): every protocol in studies/, on the
// registries that make its points (tests/data/study/) and on synthetic registries of each
// profile, gives the same attrition and the same ADSL, patient by patient, value by value.
// The rows path is the reference: it is the one the study tests check against hand-worked
// values and R.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"
#include "rwe/study/store_derivation.hpp"
#include "store_test_support.hpp"

namespace fs = std::filesystem;
using namespace rwe::study;

namespace {

const fs::path work = fs::temp_directory_path() / ("rwe_store_derivation_" + std::to_string(::getpid()));

std::string rwe_command(const std::string& arguments) { return rwe::test::rwe_command(arguments); }
std::string import_store(const fs::path& registry, const std::string& name) { return rwe::test::import_store(work, registry, name); }
std::string synthetic_store(const std::string& profile, int patients, int seed) {
    return rwe::test::synthetic_store(work, profile, patients, seed);
}

StudyData from_rows(const std::string& store, const Protocol& protocol) {
    StudyDataBuilder builder(protocol);
    const RegistryInfo info = read_registry(store, 997, [&](const RegistryData& chunk) { builder.add(chunk); }, read_plan(protocol));
    return builder.finish(info.patients, info.codes);
}

std::string shown(const Value& value) {
    switch (value.kind) {
        case Value::Kind::missing: return "(missing)";
        case Value::Kind::number: return std::to_string(value.number);
        case Value::Kind::text: return "'" + value.text + "'";
        case Value::Kind::date: return "day " + std::to_string(value.date);
        case Value::Kind::boolean: return value.number != 0 ? "true" : "false";
    }
    return "?";
}

// The same attrition and ADSL; a difference is reported with the patient and variable.
void expect_same(const StudyData& rows, const StudyData& store, const std::string& what) {
    ASSERT_EQ(rows.attrition.size(), store.attrition.size()) << what;
    for (std::size_t k = 0; k < rows.attrition.size(); ++k) {
        EXPECT_EQ(rows.attrition[k].criterion, store.attrition[k].criterion) << what;
        EXPECT_EQ(rows.attrition[k].excluded, store.attrition[k].excluded) << what << ": " << rows.attrition[k].criterion;
        EXPECT_EQ(rows.attrition[k].remaining, store.attrition[k].remaining) << what << ": " << rows.attrition[k].criterion;
    }
    ASSERT_EQ(rows.adsl.usubjid, store.adsl.usubjid) << what;
    ASSERT_EQ(rows.adsl.index_date, store.adsl.index_date) << what;
    ASSERT_EQ(rows.adsl.variables.size(), store.adsl.variables.size()) << what;
    for (std::size_t v = 0; v < rows.adsl.variables.size(); ++v) {
        const Variable& a = rows.adsl.variables[v];
        const Variable& b = store.adsl.variables[v];
        int differences = 0;
        for (std::size_t r = 0; r < rows.adsl.size() && differences < 5; ++r) {
            const Value x = a.value(r), y = b.value(r);
            const bool same = x.kind == y.kind && x.text == y.text && x.date == y.date &&
                              (x.number == y.number || (std::isnan(x.number) && std::isnan(y.number)));
            if (!same) {
                ++differences;
                ADD_FAILURE() << what << ": " << a.name << " of " << rows.adsl.usubjid[r] << ": rows " << shown(x) << ", store "
                              << shown(y);
            }
        }
    }
}

// The same ADTTE, ADRS, ADAE and administration days.
void expect_same_records(const StudyData& rows, const StudyData& store, const std::string& what) {
    ASSERT_EQ(rows.adtte.size(), store.adtte.size()) << what;
    for (std::size_t e = 0; e < rows.adtte.size(); ++e) {
        const TimeToEvent& a = rows.adtte[e];
        const TimeToEvent& b = store.adtte[e];
        ASSERT_EQ(a.paramcd, b.paramcd) << what;
        ASSERT_EQ(a.records.size(), b.records.size()) << what << ": " << a.paramcd;
        int differences = 0;
        for (std::size_t r = 0; r < a.records.size() && differences < 5; ++r) {
            const auto& x = a.records[r];
            const auto& y = b.records[r];
            if (x.subject != y.subject || x.start != y.start || x.date != y.date || x.aval != y.aval || x.cnsr != y.cnsr ||
                x.cause != y.cause || a.description(x) != b.description(y)) {
                ++differences;
                ADD_FAILURE() << what << ": " << a.paramcd << " of " << rows.adsl.usubjid[x.subject] << ": rows (" << x.start << ", "
                              << x.date << ", " << x.cnsr << ", " << x.cause << ", " << a.description(x) << "), store ("
                              << rows.adsl.usubjid[y.subject] << ", " << y.start << ", " << y.date << ", " << y.cnsr << ", "
                              << y.cause << ", " << b.description(y) << ")";
            }
        }
    }
    ASSERT_EQ(rows.adrs.size(), store.adrs.size()) << what;
    for (std::size_t r = 0; r < rows.adrs.size(); ++r) {
        EXPECT_EQ(rows.adrs[r].subject, store.adrs[r].subject) << what;
        EXPECT_EQ(rows.adrs[r].best_response, store.adrs[r].best_response) << what << ": " << rows.adsl.usubjid[rows.adrs[r].subject];
        EXPECT_EQ(rows.adrs[r].date, store.adrs[r].date) << what << ": " << rows.adsl.usubjid[rows.adrs[r].subject];
    }
    ASSERT_EQ(rows.adae.size(), store.adae.size()) << what;
    for (std::size_t r = 0; r < rows.adae.size(); ++r) {
        const auto& x = rows.adae[r];
        const auto& y = store.adae[r];
        EXPECT_TRUE(x.subject == y.subject && rows.ae_term(x) == store.ae_term(y) && x.worst_grade == y.worst_grade &&
                    rows.ae_action(x) == store.ae_action(y))
            << what << ": ADAE row " << r << ": rows " << rows.ae_term(x) << " grade " << x.worst_grade << " " << rows.ae_action(x)
            << ", store " << store.ae_term(y) << " grade " << y.worst_grade << " " << store.ae_action(y);
    }
    ASSERT_EQ(rows.administration_days.size(), store.administration_days.size()) << what;
    for (const auto& [id, lists] : rows.administration_days) {
        const auto& other = store.administration_days.at(id);
        ASSERT_EQ(lists.size(), other.size()) << what << ": " << id;
        for (std::size_t r = 0; r < lists.size(); ++r) {
            const auto x = lists[r];
            const auto y = other[r];
            EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << what << ": days of " << id << " for " << rows.adsl.usubjid[r];
        }
    }
}

void compare(const std::string& protocol_path, const std::string& store, const std::string& what) {
    const Protocol protocol = parse_protocol(protocol_path);
    ASSERT_TRUE(store_derivation_gaps(protocol).empty()) << what << ": " << store_derivation_gaps(protocol).front();
    const StudyData rows = from_rows(store, protocol);
    ASSERT_GT(rows.adsl.size(), 0u) << what;
    // Both forms of the store's SQL: probes (a subquery per patient) and scans (each table
    // joined to the cohort, as on a registry spread over servers).
    for (const StoreForm form : {StoreForm::probes, StoreForm::scans}) {
        const std::string as = what + (form == StoreForm::scans ? " (scans)" : " (probes)");
        RegistryInfo registry;
        const StudyData derived = derive_in_store(store, protocol, registry, {}, form);
        EXPECT_EQ(registry.patients, rows.attrition.front().remaining) << as;
        EXPECT_EQ(rows.warnings, derived.warnings) << as;
        expect_same(rows, derived, as);
        expect_same_records(rows, derived, as);
    }
}

// The registries and stores made here are removed after the tests.
const auto* const remove_work = ::testing::AddGlobalTestEnvironment(new rwe::test::RemoveWork(work));
using rwe::test::fixtures;
using rwe::test::studies;

}  // namespace

TEST(StoreDerivation, StudyFixtures) {
    for (const char* id : {"hr-positive-elderly-thp", "thp-vs-th", "nsclc-egfr-osimertinib", "early-her2-adjuvant-dfs"}) {
        const std::string store = import_store(fixtures + id, id);
        compare(studies + id + ".toml", store, id);
    }
}

TEST(StoreDerivation, SyntheticRegistries) {
    struct Case {
        const char* profile;
        const char* protocol;
    };
    for (const Case& c : {Case{"thp-her2-mbc", "hr-positive-elderly-thp"}, Case{"thp-her2-mbc", "tdm1-second-line"},
                          Case{"thp-vs-th", "thp-vs-th"}, Case{"nsclc-egfr", "nsclc-egfr-osimertinib"},
                          Case{"early-her2-breast", "early-her2-adjuvant-dfs"}}) {
        const std::string store = synthetic_store(c.profile, 3000, 7);
        compare(studies + c.protocol + ".toml", store, std::string(c.protocol) + " on " + c.profile);
    }
}

TEST(StoreDerivation, ReferenceProtocolOnTheDemoRegistry) {
    const std::string store = import_store(fixtures + "registry", "demo");
    compare(studies + "thp-first-line.toml", store, "thp-first-line on the demo registry");
    compare(studies + "tdm1-second-line.toml", store, "tdm1-second-line on the demo registry");
}

TEST(StoreDerivation, ReferenceProtocolOnASyntheticRegistry) {
    const std::string store = synthetic_store("thp-her2-mbc", 5000, 11);
    compare(studies + "thp-first-line.toml", store, "thp-first-line on a synthetic registry");
}

// The reference protocol with variables added before its endpoints (TOML text).
Protocol with_variables(const std::string& added, const std::string& name) {
    const std::string text = parse_protocol(studies + "thp-first-line.toml").text;
    return parse_protocol_text(text.substr(0, text.find("[endpoints")) + added + "\n" + text.substr(text.find("[endpoints")), name);
}

// round() with its digits written out: half away from zero as rwe rounds (ages over 2 and
// 4 give the halves, e.g. 61 / 2 = 30.5 gives 31, -30.5 gives -31, 61 / 4 = 15.25 gives
// 15.3), tens, and the default of 0 digits.
TEST(StoreDerivation, RoundWithDigitsWrittenOut) {
    const Protocol protocol = with_variables(
        "[variables.AGE10]\nexpr = \"round(AGE, -1)\"\nlabel = \"a\"\n"
        "[variables.HALF]\nexpr = \"round(AGE / 2)\"\nlabel = \"b\"\n"
        "[variables.NEGHALF]\nexpr = \"round(-AGE / 2, 0)\"\nlabel = \"c\"\n"
        "[variables.QUARTER]\nexpr = \"round(AGE / 4, 1)\"\nlabel = \"d\"\n"
        "[variables.SEVENTH]\nexpr = \"round(AGE / 7, 3)\"\nlabel = \"e\"\n",
        "round.toml");
    ASSERT_TRUE(store_derivation_gaps(protocol).empty()) << store_derivation_gaps(protocol).front();
    const std::string store = synthetic_store("thp-her2-mbc", 3000, 7);
    const StudyData rows = from_rows(store, protocol);
    for (const StoreForm form : {StoreForm::probes, StoreForm::scans}) {
        RegistryInfo registry;
        const StudyData derived = derive_in_store(store, protocol, registry, {}, form);
        expect_same(rows, derived, form == StoreForm::scans ? "round (scans)" : "round (probes)");
    }
    // The halves are there to be rounded.
    const Variable& age = rows.adsl.at("AGE");
    bool odd = false;
    for (std::size_t r = 0; r < rows.adsl.size(); ++r) odd = odd || static_cast<long>(age.numbers[r]) % 2 == 1;
    EXPECT_TRUE(odd);
}

// A protocol whose expression has no SQL form yet is named, not half derived.
TEST(StoreDerivation, GapsAreNamed) {
    const Protocol protocol =
        with_variables("[variables.AGE10]\nexpr = \"round(AGE, abs(-1))\"\nlabel = \"Age to the decade\"\n", "round.toml");
    const auto gaps = store_derivation_gaps(protocol);
    ASSERT_EQ(gaps.size(), 1u);
    EXPECT_NE(gaps.front().find("round.toml:"), std::string::npos) << gaps.front();
    EXPECT_NE(gaps.front().find("variables.AGE10.expr: has no SQL form yet (round with digits that are not a number written out) "
                                "(round(AGE, abs(-1)))"),
              std::string::npos)
        << gaps.front();
    EXPECT_THROW(store_queries(protocol, rwe::registry::sqlite_dialect), rwe::UsageError);
}

// `rwe run --derive store` on such a protocol: an error naming the line, before any data is
// read, and no output folder.
TEST(StoreDerivation, RunRefusesWhatTheStoreCannotDerive) {
    const std::string store = import_store(fixtures + "registry", "demo-gap");
    std::string text;
    {
        std::ifstream in(studies + "thp-first-line.toml");
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    const fs::path protocol = work / "round.toml";
    {
        std::ofstream out(protocol);
        out << text.substr(0, text.find("[endpoints")) << "\n[variables.AGE10]\nexpr = \"round(AGE, abs(-1))\"\nlabel = \"Age to the decade\"\n\n"
            << text.substr(text.find("[endpoints"));
    }
    const fs::path out = work / "round-out";
    const fs::path messages = work / "round.txt";
    const int status = std::system((std::string(RWE_BINARY) + " run " + protocol.string() + " --db " + store + " --out " + out.string() +
                                    " --derive store > " + messages.string() + " 2>&1")
                                       .c_str());
    EXPECT_NE(status, 0);
    std::ifstream in(messages);
    const std::string said((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(said.find("--derive store: the store cannot derive this protocol yet (use --derive rwe):"), std::string::npos) << said;
    EXPECT_NE(said.find("round.toml:"), std::string::npos) << said;
    EXPECT_NE(said.find("variables.AGE10.expr: has no SQL form yet (round with digits that are not a number written out) "
                        "(round(AGE, abs(-1)))"),
              std::string::npos)
        << said;
    EXPECT_FALSE(fs::exists(out));
    // The same protocol runs when rwe derives.
    EXPECT_EQ(std::system(rwe_command("run " + protocol.string() + " --db " + store + " --out " + out.string()).c_str()), 0);
    EXPECT_TRUE(fs::exists(out / "results.json"));
}

// A store imported before registry format version 2 (no observations table here): the
// store cannot derive from it, and says so; rwe still derives from its rows.
TEST(StoreDerivation, AStoreBeforeFormatVersion2IsNamed) {
    const std::string current = import_store(fixtures + "registry", "demo-v1");
    const fs::path old_store = work / "demo-v1-old.sqlite";
    fs::copy_file(current, old_store, fs::copy_options::overwrite_existing);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(old_store.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE observations", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    const fs::path out = work / "v1-out";
    const fs::path messages = work / "v1.txt";
    const int status = std::system((std::string(RWE_BINARY) + " run " + studies + "thp-first-line.toml --db " + old_store.string() +
                                    " --out " + out.string() + " --derive store > " + messages.string() + " 2>&1")
                                       .c_str());
    EXPECT_NE(status, 0);
    std::ifstream in(messages);
    const std::string said((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(said.find(old_store.string() + ": no observations table (imported before registry format version 2): import the registry again"),
              std::string::npos)
        << said;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_EQ(std::system(rwe_command("run " + studies + "thp-first-line.toml --db " + old_store.string() + " --out " + out.string()).c_str()), 0);
    EXPECT_TRUE(fs::exists(out / "results.json"));
}

// On a terminal `rwe run` says what the derivation is doing (util-linux `script` gives it
// one); into a file or a pipe it says nothing of it.
TEST(StoreDerivation, ProgressOnATerminalOnly) {
    const std::string store = import_store(fixtures + "registry", "demo-progress");
    auto said = [&](const std::string& derive, bool terminal) {
        const fs::path out = work / ("progress-" + derive);
        fs::remove_all(out);
        const fs::path messages = work / ("progress-" + derive + ".txt");
        const std::string command = std::string(RWE_BINARY) + " run " + studies + "thp-first-line.toml --db " + store + " --out " +
                                    out.string() + " --derive " + derive;
        const std::string shell = terminal ? "script -qec '" + command + "' /dev/null > " + messages.string() + " 2>&1"
                                           : command + " > " + messages.string() + " 2>&1";
        EXPECT_EQ(std::system(shell.c_str()), 0) << shell;
        std::ifstream in(messages);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    const std::string store_terminal = said("store", true);
    EXPECT_NE(store_terminal.find("rwe run: the store is deriving ADSL and the endpoints"), std::string::npos) << store_terminal;
    EXPECT_NE(store_terminal.find("rwe run: the store is deriving ADAE"), std::string::npos) << store_terminal;
    const std::string rows_terminal = said("rwe", true);
    EXPECT_NE(rows_terminal.find("rwe run: reading the registry: "), std::string::npos) << rows_terminal;
    EXPECT_EQ(said("store", false).find("the store is deriving"), std::string::npos);
    EXPECT_EQ(said("rwe", false).find("reading the registry"), std::string::npos);
}

// A boundary the registries above do not reach: a metastasis detected on the last day of
// its window (P01's index date is 2015-01-15 and BRAIN's window 30 days, so brain
// metastasis detected 2015-02-14 is at index).
TEST(StoreDerivation, AMetastasisOnTheLastDayOfItsWindow) {
    const fs::path registry = work / "boundary-registry";
    fs::remove_all(registry);
    fs::create_directories(work);
    fs::copy(fixtures + "registry", registry, fs::copy_options::recursive);
    {
        std::ofstream out(registry / "metastases.csv", std::ios::app);
        out << "P01,brain,2015-02-14\n";
    }
    const std::string store = import_store(registry, "boundary");
    compare(studies + "thp-first-line.toml", store, "a metastasis on the last day of its window");
    // The row is there to be counted: the rows path says P01 has brain metastasis at index.
    const Protocol protocol = parse_protocol(studies + "thp-first-line.toml");
    const StudyData rows = from_rows(store, protocol);
    const auto at = std::find(rows.adsl.usubjid.begin(), rows.adsl.usubjid.end(), "P01");
    ASSERT_NE(at, rows.adsl.usubjid.end());
    EXPECT_TRUE(rows.adsl.at("BRAIN").value(static_cast<std::size_t>(at - rows.adsl.usubjid.begin())).is_true());
}
