// rwe synth: write a synthetic registry calibrated to a reference study (docs/synth.md).
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
    CLI::App app{"Write a synthetic registry (every file of the registry format) calibrated to a "
                 "reference study. The N patients requested form the study cohort; floor(N/10) "
                 "patients who must be excluded are added (HER2-negative, IHC 2+ not amplified, "
                 "other first line, THP as a later line, outside the accrual window).",
                 "rwe synth"};
    rwe::synth::SynthOptions options;
    std::string format = "text";
    app.add_option("--profile", options.profile, "reference study profile")
        ->check(CLI::IsMember({"thp-her2-mbc"}))
        ->capture_default_str();
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
    const auto& files = rwe::synth::registry_files();
    if (format == "json") {
        nlohmann::json out;
        out["profile"] = options.profile;
        out["seed"] = options.seed;
        out["eligible"] = summary.eligible;
        out["excluded"] = summary.excluded;
        for (std::size_t k = 0; k < rwe::synth::exclusion_kinds; ++k) {
            const auto reason = static_cast<rwe::synth::Exclusion>(k + 1);
            out["excluded_by_reason"][rwe::synth::exclusion_name(reason)] = summary.excluded_by_reason[k];
        }
        for (std::size_t f = 0; f < files.size(); ++f) out["rows"][files[f]] = summary.rows[f];
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << "rwe synth: " << summary.eligible << " eligible + " << summary.excluded
              << " excluded patients (";
    for (std::size_t k = 0; k < rwe::synth::exclusion_kinds; ++k) {
        const auto reason = static_cast<rwe::synth::Exclusion>(k + 1);
        std::cout << (k ? ", " : "") << rwe::synth::exclusion_name(reason) << " "
                  << summary.excluded_by_reason[k];
    }
    std::cout << ") written to " << options.out_dir << "\n  rows:";
    for (std::size_t f = 0; f < files.size(); ++f) {
        std::cout << (f ? ", " : " ") << files[f] << " " << summary.rows[f];
    }
    std::cout << "\n";
    return 0;
}

}  // namespace

RWE_COMMAND(synth, "write a synthetic registry calibrated to the reference study", run_synth);
