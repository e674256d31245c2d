#pragma once
// The "Statistical analysis" paragraphs of a study report, written from results.json: the
// cohort and its dates, how each endpoint is measured, the estimators, intervals and tests
// that the analyses actually used (with the options they ran with), the disclosure rule,
// the software and the protocol, and the references cited, numbered in order of citation.
// docs/report.md, "Statistical analysis".

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "rwe/results/analysis.hpp"

namespace rwe::report {

struct MethodsText {
    std::vector<std::string> paragraphs;
    std::vector<std::string> references;  // "1. Kaplan EL, Meier P. …", in citation order
};

// `results`: results.json (its protocol, registry and cohort); `analyses`: its analyses'
// typed results, in order.
MethodsText statistical_analysis(const nlohmann::json& results, const std::vector<::rwe::results::AnalysisResult>& analyses);

}  // namespace rwe::report
