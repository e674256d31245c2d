// rwe run --reduce store: the store counts (patients per selection step and per group,
// records per group, stratum, day and event) and the attrition, km, logrank and followup
// kinds compute from the counts (store_derivation.hpp count_in_store). Their results must
// be those the kinds give on the rows, number for number: every such analysis of every
// protocol in studies/, on the registries that make its points and on synthetic ones, and
// analyses written here for what the shipped protocols do not reach (strata, populations,
// Fleming-Harrington weights, RMST, another confidence band, a group with a missing value).
// The rows path is the reference: the study tests check it against hand-worked values and R.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/study/analyses.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"
#include "rwe/study/store_derivation.hpp"
#include "store_test_support.hpp"

namespace fs = std::filesystem;
using namespace rwe::study;

namespace {

const fs::path work = fs::temp_directory_path() / ("rwe_store_reduction_" + std::to_string(::getpid()));

std::string rwe_command(const std::string& arguments) { return rwe::test::rwe_command(arguments); }
std::string import_store(const fs::path& registry, const std::string& name) { return rwe::test::import_store(work, registry, name); }
std::string synthetic_store(const std::string& profile, int patients, int seed) {
    return rwe::test::synthetic_store(work, profile, patients, seed);
}

bool countable(const Analysis& analysis) {
    if (analysis.kind == "km") {
        return !(analysis.options.contains("figure") && analysis.options["figure"].value("hazard_ratio", false));
    }
    return analysis.kind == "attrition" || analysis.kind == "logrank" || analysis.kind == "followup" || analysis.kind == "cox" ||
           analysis.kind == "association";
}

// The protocol's analyses that the store can count for; the others are left out.
Protocol countable_only(Protocol protocol) {
    std::erase_if(protocol.analyses, [](const Analysis& analysis) { return !countable(analysis); });
    return protocol;
}

// The results of `protocol`'s countable analyses from the rows (rwe reads the registry and
// derives) and from the store's counts: the same JSON, the same warnings, the same cohort.
// Both forms of the store's SQL (StoreForm) unless `forms` says.
void compare(const Protocol& full, const std::string& store, const std::string& what, std::size_t at_least = 3,
             std::vector<StoreForm> forms = {StoreForm::probes, StoreForm::scans}) {
    const Protocol protocol = countable_only(full);
    ASSERT_GE(protocol.analyses.size(), at_least) << what;
    ASSERT_TRUE(store_reduction_gaps(protocol).empty()) << what << ": " << store_reduction_gaps(protocol).front();
    StudyDataBuilder builder(protocol);
    const RegistryInfo info = read_registry(store, 997, [&](const RegistryData& chunk) { builder.add(chunk); }, read_plan(protocol));
    const StudyData rows = builder.finish(info.patients, info.codes);
    std::vector<std::string> row_warnings = rows.warnings;
    const auto expected = run_analyses(rows, protocol, row_warnings);

    ASSERT_GT(rows.adsl.size(), 0u) << what;
    for (const StoreForm form : forms) {
        const std::string as = what + (form == StoreForm::scans ? " (scans)" : " (probes)");
        RegistryInfo registry;
        const CountedStudy counted = count_in_store(store, protocol, registry, {}, form);
        std::vector<std::string> count_warnings = counted.data.warnings;
        const auto got = run_counted_analyses(counted.data, counted.analyses, protocol, count_warnings);
        EXPECT_EQ(counted.cohort, rows.adsl.size()) << as;
        EXPECT_EQ(count_warnings, row_warnings) << as;
        ASSERT_EQ(got.size(), expected.size()) << as;
        for (std::size_t k = 0; k < got.size(); ++k) {
            // Compared as text: every number to the last bit (JSON prints doubles round-trip).
            EXPECT_EQ(got[k].dump(1), expected[k].dump(1)) << as << ": analysis " << expected[k]["id"];
        }
    }
}

Protocol reference_with(const std::string& analyses, const std::string& name) {
    return parse_protocol_text(parse_protocol(std::string(RWE_SOURCE_DIR) + "/studies/thp-first-line.toml").text + "\n" + analyses, name);
}

// Analyses the shipped protocols do not have: strata, populations (`where` on a text, a
// true/false and a numeric variable), the Fleming-Harrington weights, RMST, the log-log
// band, a stratified Cox model with Breslow's ties over a population (a number and
// categories with missing values among the covariates), a Cox model of one covariate,
// contingency tables over a population (categories with missing values, adverse events
// by worst grade, a term written in capitals and one no patient has) and a reverse
// Kaplan–Meier over a population.
const char* const more_analyses = R"toml(
[[analysis]]
id = "by_hr_within_denovo"
kind = "logrank"
endpoints = ["OS", "PFS"]
by = ["HR", "VISCERAL"]
strata = "DENOVO"

[[analysis]]
id = "fh_in_the_older"
kind = "logrank"
where = "AGE >= 50"
endpoints = ["PFS"]
by = ["GROUP3", "BONE"]
strata = "AGEGR"
rho = 1

[[analysis]]
id = "os_rmst"
kind = "km"
where = "HR = 'positive' and not DENOVO"
endpoint = "OS"
by = "BRAIN"
times = [6, 12, 24]
rmst_tau = 36
conf_type = "log-log"

[[analysis]]
id = "cox_stratified"
kind = "cox"
where = "AGE >= 45"
endpoint = "PFS"
covariates = ["HR", "AGE", "MENO", "GROUP3"]
strata = "DENOVO"
ties = "breslow"

[[analysis]]
id = "cox_one"
kind = "cox"
endpoint = "OS"
covariates = ["VISCERAL"]

[[analysis]]
id = "association_in_the_younger"
kind = "association"
where = "AGE < 65"
by = "MENO"
outcomes = ["HR", "febrile neutropenia:3", "Diarrhea:1", "no such term:2", "VISCERAL"]

[[analysis]]
id = "followup_hr_known"
kind = "followup"
where = "HR in ('negative', 'positive')"
endpoint = "PFS"
)toml";

const auto* const remove_work = ::testing::AddGlobalTestEnvironment(new rwe::test::RemoveWork(work));
using rwe::test::fixtures;
using rwe::test::studies;

}  // namespace

TEST(StoreReduction, StudyFixtures) {
    for (const char* id : {"hr-positive-elderly-thp", "thp-vs-th", "nsclc-egfr-osimertinib", "early-her2-adjuvant-dfs"}) {
        const std::string store = import_store(fixtures + id, id);
        compare(parse_protocol(studies + id + ".toml"), store, id, 2);
    }
}

TEST(StoreReduction, ReferenceProtocolsOnTheDemoRegistry) {
    const std::string store = import_store(fixtures + "registry", "demo");
    compare(parse_protocol(studies + "thp-first-line.toml"), store, "thp-first-line on the demo registry");
    compare(parse_protocol(studies + "tdm1-second-line.toml"), store, "tdm1-second-line on the demo registry", 2);
    compare(reference_with(more_analyses, "more.toml"), store, "strata, populations and weights on the demo registry");
}

TEST(StoreReduction, SyntheticRegistries) {
    struct Case {
        const char* profile;
        const char* protocol;
    };
    for (const Case& c : {Case{"thp-her2-mbc", "thp-first-line"}, Case{"thp-vs-th", "thp-vs-th"},
                          Case{"nsclc-egfr", "nsclc-egfr-osimertinib"}, Case{"early-her2-breast", "early-her2-adjuvant-dfs"}}) {
        const std::string store = synthetic_store(c.profile, 3000, 5);
        compare(parse_protocol(studies + c.protocol + ".toml"), store, std::string(c.protocol) + " on " + c.profile, 2);
    }
    const std::string store = synthetic_store("thp-her2-mbc", 3000, 5);
    compare(reference_with(more_analyses, "more.toml"), store, "strata, populations and weights on thp-her2-mbc");
}

// More counts than SQLite allows terms in one compound SELECT (500): 180 km analyses, each
// over a population of its own (the population's size, the group's values and the
// records: 541 parts with the steps).
TEST(StoreReduction, MoreCountsThanOneCompoundSelectHolds) {
    std::string analyses;
    for (int k = 0; k < 180; ++k) {
        analyses += "\n[[analysis]]\nid = \"os_" + std::to_string(k) + "\"\nkind = \"km\"\nendpoint = \"OS\"\nby = \"HR\"\nwhere = \"AGE >= " +
                    std::to_string(30 + k % 40) + " and AGE < " + std::to_string(50 + k) + "\"\n";
    }
    const std::string store = import_store(fixtures + "registry", "demo-many");
    // Probes only: SQLite copies a CTE into each of the statement's 541 references to it,
    // and the scans' deeper chain would pass its limit of 65,535 references to one table
    // (scans serve PostgreSQL clusters, which have no such limit).
    compare(reference_with(analyses, "many.toml"), store, "180 populations", 180, {StoreForm::probes});
}

// What needs the rows is named before the store is read, each with its line.
TEST(StoreReduction, GapsAreNamed) {
    const Protocol protocol = parse_protocol(studies + "thp-first-line.toml");
    const auto gaps = store_reduction_gaps(protocol);
    const auto has = [&](const std::string& text) {
        return std::any_of(gaps.begin(), gaps.end(), [&](const std::string& gap) { return gap.find(text) != std::string::npos; });
    };
    EXPECT_TRUE(has("thp-first-line.toml:")) << gaps.front();
    EXPECT_TRUE(has("analysis.table1.kind: needs the patients' rows")) << gaps.front();
    EXPECT_TRUE(has("analysis.iptw_prior_exposure.kind")) << gaps.front();
    EXPECT_FALSE(has("analysis.cox_os.kind")) << gaps.front();
    EXPECT_FALSE(has("analysis.os.kind")) << gaps.front();
    const Protocol with_hr = reference_with(R"(
[[analysis]]
id = "os_hr"
kind = "km"
endpoint = "OS"
by = "DENOVO"
figure = { hazard_ratio = true }
)", "hr.toml");
    const auto hr_gaps = store_reduction_gaps(countable_only(with_hr));
    ASSERT_EQ(hr_gaps.size(), 0u);  // countable_only leaves it out
    Protocol only_hr = with_hr;
    std::erase_if(only_hr.analyses, [](const Analysis& analysis) { return analysis.id != "os_hr"; });
    const auto only = store_reduction_gaps(only_hr);
    ASSERT_EQ(only.size(), 1u);
    EXPECT_NE(only.front().find("hr.toml:"), std::string::npos) << only.front();
    EXPECT_NE(only.front().find("analysis.os_hr.figure.hazard_ratio: a Cox model needs the patients' rows (true)"), std::string::npos)
        << only.front();
}

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// The command: `rwe run --reduce store` writes the results.json that `--derive store`
// writes (the same numbers; no patient-level datasets either way); a protocol with an
// analysis that needs the rows is refused before anything is written, naming each; and
// --derive rwe with --reduce store is a contradiction.
TEST(StoreReduction, TheCommand) {
    const std::string store = import_store(fixtures + "registry", "demo-command");
    const fs::path protocol = work / "thp-first-line-counted.toml";
    ASSERT_EQ(std::system(("python3 " + std::string(RWE_SOURCE_DIR) + "/tests/countable_protocol.py " + studies +
                           "thp-first-line.toml " + protocol.string())
                              .c_str()),
              0);
    const fs::path derived = work / "derived", counted = work / "counted";
    ASSERT_EQ(std::system(rwe_command("run " + protocol.string() + " --db " + store + " --out " + derived.string() + " --derive store").c_str()), 0);
    ASSERT_EQ(std::system(rwe_command("run " + protocol.string() + " --db " + store + " --out " + counted.string() + " --reduce store").c_str()), 0);
    const std::string results = slurp(counted / "results.json");
    EXPECT_GT(results.size(), 10000u);
    EXPECT_EQ(results, slurp(derived / "results.json"));
    EXPECT_TRUE(fs::exists(counted / "report.html"));
    EXPECT_FALSE(fs::exists(counted / "adsl.csv"));

    const fs::path refused = work / "refused", messages = work / "refused.txt";
    const std::string full = studies + "thp-first-line.toml";
    EXPECT_NE(std::system((std::string(RWE_BINARY) + " run " + full + " --db " + store + " --out " + refused.string() +
                           " --reduce store > " + messages.string() + " 2>&1")
                              .c_str()),
              0);
    EXPECT_FALSE(fs::exists(refused));
    const std::string said = slurp(messages);
    EXPECT_NE(said.find("--reduce store: the store cannot count for this protocol (use --reduce rwe):"), std::string::npos) << said;
    EXPECT_NE(said.find("thp-first-line.toml:282: analysis.iptw_prior_exposure.kind: needs the patients' rows"), std::string::npos) << said;

    EXPECT_NE(std::system((std::string(RWE_BINARY) + " run " + protocol.string() + " --db " + store + " --out " + refused.string() +
                           " --reduce store --derive rwe > " + messages.string() + " 2>&1")
                              .c_str()),
              0);
    EXPECT_FALSE(fs::exists(refused));
    EXPECT_NE(slurp(messages).find("--reduce store: the store derives what it counts"), std::string::npos) << slurp(messages);
}
