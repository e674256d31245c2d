#pragma once
// Every analysis kind's typed result, and the one table from a kind's name to its type:
// what results.json's "analyses" hold, read and written through the codec.

#include <string>
#include <variant>
#include <vector>

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
#include "rwe/results/table1.hpp"
#include "rwe/results/target_trial.hpp"

namespace rwe::results {

using AnalysisResult = std::variant<AttritionResult, Table1Result, FollowUpResult, KmResult, LogRankResult, ResponseResult,
                                    AdverseEventsResult, AssociationResult, CoxResult, LandmarkResult, CumincResult, IptwResult,
                                    PsMatchResult, TargetTrialResult>;

// The kind names results.json uses, in the order of AnalysisResult's types.
const std::vector<std::string>& result_kinds();

// The kind name of a result.
const std::string& kind_of(const AnalysisResult& result);

// The result of an analysis of `kind` from results.json; a DecodeError naming `pointer`
// when the value is not that kind's result, or the kind is not one of result_kinds().
AnalysisResult decode_result(const std::string& kind, const json& result, const std::string& pointer);

json encode_result(const AnalysisResult& result);

}  // namespace rwe::results
