#pragma once
// rwe synth: writes a synthetic registry (the files of ../shared/registry-format.md
// version 1, which are valid version 2: receptors in the breast shorthand columns of
// tumors.csv, no biomarkers.csv or observations.csv) calibrated to a reference study.
// The generative model of the profile `thp-her2-mbc` is documented in docs/synth.md.

#include <array>
#include <cstdint>
#include <string>

namespace rwe::synth {

// Why a generated patient must be left out of the study cohort.
enum class Exclusion {
    none,
    her2_negative,             // HER2 IHC 0 or 1+
    her2_not_amplified,        // IHC 2+ with ISH ratio <= 2.0 (some exactly 2.0)
    other_first_line,          // first palliative line is not THP
    thp_later_line,            // THP given, but as second palliative line
    outside_accrual_window,    // THP line 1 started before Aug 2008 or after Oct 2020
};
inline constexpr std::size_t exclusion_kinds = 5;
const char* exclusion_name(Exclusion reason);

struct SynthOptions {
    std::string profile = "thp-her2-mbc";
    std::int64_t patients = 228;  // eligible patients (the study cohort)
    std::uint64_t seed = 1;
    std::string out_dir;
};

struct SynthSummary {
    std::int64_t eligible = 0;
    std::int64_t excluded = 0;
    std::array<std::int64_t, exclusion_kinds> excluded_by_reason{};  // index = Exclusion - 1
    // Data rows written per file, in the order of registry_files().
    std::array<std::int64_t, 7> rows{};
};

// The files of a registry, in the order of SynthSummary::rows.
const std::array<const char*, 7>& registry_files();

// Excluded patients added to `eligible` ones: one for every ten eligible (floor(N/10)),
// interleaved as every eleventh patient; reasons cycle through the Exclusion kinds.
std::int64_t excluded_count(std::int64_t eligible);

// Writes the registry into options.out_dir (created if needed). Throws UsageError for an
// unknown profile or a non-positive patient count, IoError when a file cannot be written;
// files are written under temporary names and renamed only when all are complete.
SynthSummary synthesize(const SynthOptions& options);

}  // namespace rwe::synth
