#pragma once
// R reference values of the descriptive statistics and binomial intervals
// (tests/data/contingency_descriptive_reference.{R,json}), loaded once per test program.

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

inline const nlohmann::json& descriptive_reference() {
    static const nlohmann::json document = [] {
        std::ifstream in(std::string(RWE_TEST_DATA_DIR) + "/contingency_descriptive_reference.json");
        return nlohmann::json::parse(in);
    }();
    return document;
}
