// results.json's one codec (src/rwe/results/codec.hpp): hand-worked values, the errors of
// a file that does not hold what its schema says, and every typed kind's results of real
// runs (the reference protocol on a synthetic registry, with and without small-cell
// suppression) decoded and encoded again byte for byte: the typed results hold every key
// and value rwe run writes, and suppressed parts where disclosure control puts them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "rwe/results/adverse_events.hpp"
#include "rwe/results/association.hpp"
#include "rwe/results/attrition.hpp"
#include "rwe/results/codec.hpp"
#include "rwe/results/cox.hpp"
#include "rwe/results/cuminc.hpp"
#include "rwe/results/followup.hpp"
#include "rwe/results/iptw.hpp"
#include "rwe/results/km.hpp"
#include "rwe/results/landmark.hpp"
#include "rwe/results/logrank.hpp"
#include "rwe/results/response.hpp"
#include "rwe/results/results_file.hpp"
#include "rwe/results/table1.hpp"
#include "rwe/results/target_trial.hpp"

namespace fs = std::filesystem;
using namespace rwe::results;

namespace {

struct Pair {
    Number estimate;
    Count n;
    std::optional<std::string> label;
    std::vector<double> times;
    Suppressible<std::vector<CurveStep>> steps;
    template <class V> void fields(V& v) {
        v("estimate", estimate);
        v("n", n);
        v("label", label);
        v("times", times);
        v("steps", steps);
    }
};

std::string message_of(const json& in) {
    try {
        (void)decoded<Pair>(in, "/analyses/0/result");
    } catch (const DecodeError& error) {
        return error.what();
    }
    return "";
}

}  // namespace

TEST(ResultsCodec, WritesNumbersNullsAndTheMarker) {
    Pair pair;
    pair.estimate = 0.5;
    pair.n = std::size_t{228};
    pair.times = {12.0, 24.5};
    pair.steps = std::vector<CurveStep>{{1.5, 228.0, 1.0, 0.0, 227.0 / 228.0, std::numeric_limits<double>::quiet_NaN(), 1.0}};
    // Keys sorted; no label (absent optional); NaN written as null; 228 as an integer, the
    // step's n_risk 228.0 as a number with a fraction (as rwe run has always written it).
    EXPECT_EQ(encode(pair).dump(),
              R"({"estimate":0.5,"n":228,"steps":[[1.5,228.0,1.0,0.0,0.9956140350877193,null,1.0]],"times":[12.0,24.5]})");
    pair.estimate = Number::suppressed();
    pair.n = Count::suppressed();
    pair.label = "HR-positive";
    pair.steps = Suppressible<std::vector<CurveStep>>::suppressed();
    EXPECT_EQ(encode(pair).dump(),
              R"({"estimate":"suppressed","label":"HR-positive","n":"suppressed","steps":"suppressed","times":[12.0,24.5]})");
    const Pair back = decoded<Pair>(encode(pair));
    EXPECT_TRUE(back.estimate.is_suppressed());
    EXPECT_TRUE(back.n.is_suppressed());
    EXPECT_TRUE(back.steps.is_suppressed());
    EXPECT_EQ(back.label.value(), "HR-positive");
    // null is a number that is not estimable (NR in a table), not a suppressed one
    const Pair nulls = decoded<Pair>(json::parse(R"({"estimate":null,"n":3,"times":[],"steps":[]})"));
    EXPECT_FALSE(nulls.estimate.has_value());
    EXPECT_FALSE(nulls.estimate.is_suppressed());
    EXPECT_TRUE(std::isnan(nulls.estimate.value()));
    EXPECT_EQ(nulls.n.value(), 3);
    EXPECT_FALSE(nulls.label.has_value());
}

TEST(ResultsCodec, RefusesWhatTheSchemaDoesNotHold) {
    EXPECT_EQ(message_of(json::parse(R"({"n":3,"times":[],"steps":[]})")), "/analyses/0/result/estimate: missing");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":1,"n":3,"times":[],"steps":[],"median":2})")),
              "/analyses/0/result/median: unknown key");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":1,"n":3.5,"times":[],"steps":[]})")),
              "/analyses/0/result/n: expected a whole number or \"suppressed\" (3.5)");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":"NR","n":3,"times":[],"steps":[]})")),
              "/analyses/0/result/estimate: expected a number, null or \"suppressed\" (\"NR\")");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":1,"n":3,"times":[1,"x"],"steps":[]})")),
              "/analyses/0/result/times/1: expected a number or null (\"x\")");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":1,"n":3,"times":[],"steps":[[1,2,3]]})")),
              "/analyses/0/result/steps/0: expected more elements (3)");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":1,"n":3,"times":[],"steps":[[1,2,3,4,5,6,7,8]]})")),
              "/analyses/0/result/steps/0: expected 7 elements (8)");
    EXPECT_EQ(message_of(json::parse(R"({"estimate":1,"n":3,"label":7,"times":[],"steps":[]})")),
              "/analyses/0/result/label: expected a string (7)");
    EXPECT_EQ(message_of(json::parse("[1]")), "/analyses/0/result: expected an object ([1])");
}

namespace {

int run(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()); }

// The exit status of a command, and what it wrote to stderr.
int run_capturing(const std::string& command, std::string& errors, const fs::path& stderr_file) {
    const int status = std::system((command + " > /dev/null 2> " + stderr_file.string()).c_str());
    std::ifstream in(stderr_file);
    std::stringstream text;
    text << in.rdbuf();
    errors = text.str();
    return status;
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

template <class T> json again(const json& result, const std::string& pointer) { return encode(decoded<T>(result, pointer)); }

const std::map<std::string, json (*)(const json&, const std::string&)>& typed_kinds() {
    static const std::map<std::string, json (*)(const json&, const std::string&)> kinds{
        {"attrition", again<AttritionResult>}, {"followup", again<FollowUpResult>}, {"km", again<KmResult>},
        {"logrank", again<LogRankResult>},     {"cox", again<CoxResult>},           {"table1", again<Table1Result>},
        {"response", again<ResponseResult>},   {"adverse_events", again<AdverseEventsResult>},
        {"association", again<AssociationResult>}, {"landmark", again<LandmarkResult>}, {"cuminc", again<CumincResult>},
        {"iptw", again<IptwResult>},           {"ps_match", again<PsMatchResult>},  {"target_trial", again<TargetTrialResult>}};
    return kinds;
}

// Each typed kind's result decoded and encoded again: the same JSON text. Returns the
// kinds checked, and in `withheld` those of them with a suppressed part.
std::map<std::string, int> round_trips(const json& results, std::set<std::string>& withheld) {
    std::map<std::string, int> checked;
    for (std::size_t i = 0; i < results["analyses"].size(); ++i) {
        const json& analysis = results["analyses"][i];
        const json& result = analysis["result"];
        const std::string kind = analysis["kind"];
        const std::string pointer = "/analyses/" + std::to_string(i) + "/result";
        const auto typed = typed_kinds().find(kind);
        if (typed == typed_kinds().end()) continue;
        const json again = typed->second(result, pointer);
        EXPECT_EQ(again.dump(), result.dump()) << analysis["id"];
        ++checked[kind];
        if (result.dump().find("\"suppressed\"") != std::string::npos) withheld.insert(kind);
    }
    return checked;
}

}  // namespace

TEST(ResultsCodec, EveryTypedResultRoundTrips) {
    const fs::path dir = fs::temp_directory_path() / ("rwe_results_codec_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string rwe = RWE_BINARY;
    ASSERT_EQ(run(rwe + " synth --profile thp-her2-mbc --patients 400 --seed 7 --out " + (dir / "registry").string()), 0);
    ASSERT_EQ(run(rwe + " import " + (dir / "registry").string() + " --db " + (dir / "registry.sqlite").string()), 0);
    // The reference protocol and the competing-risks test protocol (which have every typed
    // kind between them) as they are, and with small_cell = 11: groups of a few patients
    // suppressed, with their curves, medians and tests.
    std::map<std::string, int> checked;
    std::set<std::string> withheld;
    for (const fs::path protocol : {fs::path(RWE_SOURCE_DIR) / "studies" / "thp-first-line.toml",
                                    fs::path(RWE_TEST_DATA_DIR) / "study" / "competing-risks" / "protocol.toml"}) {
        const std::string text = slurp(protocol);
        for (const bool suppressed : {false, true}) {
            std::string written = text;
            const auto at = written.find("small_cell = ");
            if (at != std::string::npos) written.replace(at, written.find('\n', at) - at, suppressed ? "small_cell = 11" : "small_cell = 0");
            else written.replace(written.find("[study]\n"), 8, suppressed ? "[study]\nsmall_cell = 11\n" : "[study]\n");
            const std::string name = protocol.parent_path().filename().string() + (suppressed ? "-suppressed" : "-plain");
            std::ofstream(dir / (name + ".toml")) << written;
            const fs::path out = dir / (name + "-out");
            // (run beside the protocol: a relative path in it is the protocol's)
            ASSERT_EQ(run("cd " + protocol.parent_path().string() + " && " + rwe + " run " + (dir / (name + ".toml")).string() + " --db " +
                          (dir / "registry.sqlite").string() + " --out " + out.string()),
                      0)
                << name;
            const json results = json::parse(slurp(out / "results.json"));
            // The whole file, and each analysis's result on its own.
            EXPECT_EQ(encode(decoded<ResultsFile>(results)).dump(), results.dump()) << name;
            std::set<std::string> own_withheld;
            for (const auto& [kind, count] : round_trips(results, own_withheld)) checked[kind] += count;
            if (suppressed) withheld.insert(own_withheld.begin(), own_withheld.end());
            else EXPECT_TRUE(own_withheld.empty()) << name;
        }
    }
    // Every typed kind was checked, and with suppression each has suppressed parts (400
    // patients: some groups are smaller than 11).
    for (const auto& [kind, decode] : typed_kinds()) {
        EXPECT_GT(checked[kind], 0) << kind;
        EXPECT_EQ(withheld.count(kind), 1u) << kind;
    }

    // rwe report on a results.json edited by hand: a count written as text is refused with
    // its JSON pointer, exit status non-zero, and no report folder.
    json edited = json::parse(slurp(dir / "studies-plain-out" / "results.json"));
    std::size_t first_km = 0;
    while (edited["analyses"][first_km]["kind"] != "km") ++first_km;
    edited["analyses"][first_km]["result"]["strata"][0]["n"] = "12";
    fs::create_directories(dir / "edited");
    std::ofstream(dir / "edited" / "results.json") << edited.dump(2);
    std::string errors;
    EXPECT_NE(run_capturing(rwe + " report " + (dir / "edited" / "results.json").string() + " --out " + (dir / "edited-report").string(),
                            errors, dir / "stderr.txt"),
              0);
    EXPECT_NE(errors.find("/analyses/" + std::to_string(first_km) + "/result/strata/0/n: expected a whole number or \"suppressed\" (\"12\")"),
              std::string::npos)
        << errors;
    EXPECT_FALSE(fs::exists(dir / "edited-report"));
    // The same file as written renders.
    EXPECT_EQ(run(rwe + " report " + (dir / "studies-plain-out" / "results.json").string() + " --out " + (dir / "again").string()), 0);
    EXPECT_TRUE(fs::exists(dir / "again" / "report.html"));
    fs::remove_all(dir);
}
