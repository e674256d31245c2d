#pragma once
// rwe synth: writes a synthetic registry (the files of ../shared/registry-format.md,
// version 2) from a profile: a data file that describes the cohort, its treatment and its
// outcomes, calibrated to published figures (docs/synth.md, studies/profiles/).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rwe/synth/profile.hpp"

namespace rwe::synth {

struct SynthOptions {
    std::string profile;  // a name in studies/profiles/ or a path (required)
    std::int64_t patients = 228;            // eligible patients (the study cohort)
    std::uint64_t seed = 1;
    std::string out_dir;
};

struct SynthSummary {
    std::string profile;  // the profile's name
    std::string profile_file;
    std::int64_t eligible = 0;
    std::int64_t excluded = 0;
    std::vector<std::pair<std::string, std::int64_t>> excluded_by_reason;  // profile order
    std::vector<std::pair<std::string, std::int64_t>> eligible_by_arm;     // profile order
    std::vector<std::pair<std::string, std::int64_t>> rows;                // data rows per file
    std::vector<Target> targets;
};

// Excluded patients added to `eligible` ones: one for every k eligible (floor(N/k), k the
// profile's excluded_per_eligible), interleaved as every (k+1)-th patient; reasons cycle
// through the profile's exclusions.
std::int64_t excluded_count(const Profile& profile, std::int64_t eligible);

// Writes the registry into options.out_dir (created if needed). Throws UsageError for an
// unknown profile or a non-positive patient count, InputError for a profile that breaks a
// rule, IoError when a file cannot be written; files are written under temporary names and
// renamed only when all are complete.
SynthSummary synthesize(const SynthOptions& options);

}  // namespace rwe::synth
