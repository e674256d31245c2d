#pragma once
// Our figures beside the published ones (docs/protocols.md, "Published values"): for each
// published value of an analysis, the matching estimate of ours with its 95% CI and a
// verdict — whether the published value lies within our interval (proportions: exact
// Clopper–Pearson; medians: the protocol's median CI), or, for p-values, whether both
// reach the same conclusion at the 5% level.

#include <string>
#include <vector>

#include "rwe/results/results_file.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study {

// The comparison rows of an analysis's published values with its result. A published name
// the results lack (a group, a level, a term) is a warning `source:line: ...` appended to
// `warnings` (the shape of `published` was checked when the protocol was read).
std::vector<results::PublishedComparisonRow> compare_with_published(const Analysis& analysis, const results::AnalysisResult& result,
                                                                     const std::string& source, std::vector<std::string>& warnings);

// True when `kind` has a comparison (every kind whose options accept `published` must).
bool has_published_comparison(const std::string& kind);

}  // namespace rwe::study
