#pragma once
// Our figures beside the published ones (docs/protocols.md, "Published values"): for each
// published value of an analysis, the matching estimate of ours with its 95% CI and a
// verdict — whether the published value lies within our interval (proportions: exact
// Clopper–Pearson; medians: the protocol's median CI), or, for p-values, whether both
// reach the same conclusion at the 5% level.

#include <nlohmann/json.hpp>

#include "rwe/study/protocol.hpp"

namespace rwe::study {

// `result` is the analysis' result object; returns an array of comparison rows.
nlohmann::json compare_with_published(const Analysis& analysis, const nlohmann::json& result);

}  // namespace rwe::study
