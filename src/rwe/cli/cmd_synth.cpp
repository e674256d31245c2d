// rwe synth: write a synthetic registry from a profile calibrated to published figures
// (docs/synth.md; profiles in studies/profiles/).
#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>

#include <iostream>
#include <nlohmann/json.hpp>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/common/error.hpp"
#include "rwe/synth/synthesize.hpp"

namespace {

int run_synth(int argc, char** argv) {
    CLI::App app{"Write a synthetic registry (every file of the registry format) from a profile "
                 "calibrated to published figures. The N patients requested form the study cohort; "
                 "the profile's excluded patients (each breaking one criterion, for a reason it "
                 "names) are added, by default floor(N/10).",
                 "rwe synth"};
    rwe::synth::SynthOptions options;
    std::string format = "text";
    app.add_option("--profile", options.profile,
                   "profile: a name in studies/profiles/ or a path to a .toml file")
        ->required();
    app.add_option("--patients", options.patients, "eligible patients (the study cohort)")
        ->required();
    // Read as text: CLI11 would take "-1" for an option and report a puzzling count.
    std::string seed = std::to_string(options.seed);
    app.add_option("--seed", seed, "random seed (0 to 18446744073709551615); the same seed gives identical files")
        ->allow_extra_args(false)
        ->capture_default_str();
    app.add_option("--out", options.out_dir, "output folder (created if needed)")->required();
    app.add_option("--format", format, "summary format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return rwe::cli::parse_failure(app, help);
    } catch (const CLI::ParseError& error) {
        throw rwe::UsageError(error.what());
    }
    {
        std::uint64_t value = 0;
        const auto [end, problem] = std::from_chars(seed.data(), seed.data() + seed.size(), value);
        if (seed.empty() || problem != std::errc() || end != seed.data() + seed.size()) {
            throw rwe::UsageError("--seed: must be a whole number from 0 to 18446744073709551615 (" + seed + ")");
        }
        options.seed = value;
    }

    const rwe::synth::SynthSummary summary = rwe::synth::synthesize(options);
    if (format == "json") {
        nlohmann::json out;
        out["profile"] = summary.profile;
        out["profile_file"] = summary.profile_file;
        out["seed"] = options.seed;
        out["eligible"] = summary.eligible;
        out["excluded"] = summary.excluded;
        out["excluded_by_reason"] = nlohmann::json::object();
        for (const auto& [reason, count] : summary.excluded_by_reason) out["excluded_by_reason"][reason] = count;
        for (const auto& [arm, count] : summary.eligible_by_arm) out["eligible_by_arm"][arm] = count;
        for (const auto& [file, count] : summary.rows) out["rows"][file] = count;
        out["targets"] = nlohmann::json::array();
        for (const auto& t : summary.targets) {
            out["targets"].push_back({{"figure", t.figure}, {"value", t.value}, {"unit", t.unit},
                                      {"reference", t.reference}, {"how", t.how}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << "rwe synth: " << summary.eligible << " eligible + " << summary.excluded
              << " excluded patients (";
    for (std::size_t k = 0; k < summary.excluded_by_reason.size(); ++k) {
        std::cout << (k ? ", " : "") << summary.excluded_by_reason[k].first << " "
                  << summary.excluded_by_reason[k].second;
    }
    std::cout << ") written to " << options.out_dir << "\n";
    if (summary.eligible_by_arm.size() > 1) {
        std::cout << "  arms:";
        for (std::size_t a = 0; a < summary.eligible_by_arm.size(); ++a) {
            std::cout << (a ? ", " : " ") << summary.eligible_by_arm[a].first << " " << summary.eligible_by_arm[a].second;
        }
        std::cout << "\n";
    }
    std::cout << "  rows:";
    for (std::size_t f = 0; f < summary.rows.size(); ++f) {
        std::cout << (f ? ", " : " ") << summary.rows[f].first << " " << summary.rows[f].second;
    }
    std::cout << "\n";
    return 0;
}

}  // namespace

RWE_COMMAND(synth, "write a synthetic registry from a calibrated profile", run_synth);
