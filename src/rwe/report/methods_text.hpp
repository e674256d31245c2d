#pragma once
// The "Statistical analysis" paragraphs of a study report, written from results.json: the
// cohort and its dates, how each endpoint is measured, the estimators, intervals and tests
// that the analyses actually used (with the options they ran with), the disclosure rule,
// the software and the protocol, and the references cited, numbered in order of citation.
// docs/report.md, "Statistical analysis".

#include <string>
#include <vector>

#include "rwe/results/results_file.hpp"

namespace rwe::report {

struct MethodsText {
    std::vector<std::string> paragraphs;
    std::vector<std::string> references;  // "1. Kaplan EL, Meier P. …", in citation order
};

MethodsText statistical_analysis(const ::rwe::results::ResultsFile& results);

}  // namespace rwe::report
