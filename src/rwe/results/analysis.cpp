#include "rwe/results/analysis.hpp"

#include <array>
#include <utility>

namespace rwe::results {

namespace {

template <std::size_t... k>
std::array<AnalysisResult (*)(const json&, const std::string&), sizeof...(k)> decoders(std::index_sequence<k...>) {
    return {[](const json& in, const std::string& pointer) -> AnalysisResult {
        return decoded<std::variant_alternative_t<k, AnalysisResult>>(in, pointer);
    }...};
}

}  // namespace

const std::vector<std::string>& result_kinds() {
    // In the order of AnalysisResult's types (static_assert below).
    static const std::vector<std::string> kinds{"attrition", "table1",  "followup", "km",     "logrank", "response",  "adverse_events",
                                                "association", "cox", "landmark", "cuminc", "iptw",    "ps_match", "target_trial"};
    return kinds;
}

static_assert(std::variant_size_v<AnalysisResult> == 14, "result_kinds() names every type of AnalysisResult, in order");

const std::string& kind_of(const AnalysisResult& result) { return result_kinds().at(result.index()); }

AnalysisResult decode_result(const std::string& kind, const json& result, const std::string& pointer) {
    static const auto table = decoders(std::make_index_sequence<std::variant_size_v<AnalysisResult>>{});
    const auto& kinds = result_kinds();
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        if (kinds[k] == kind) return table[k](result, pointer);
    }
    throw DecodeError(pointer, "an analysis of an unknown kind (" + kind + ")");
}

json encode_result(const AnalysisResult& result) {
    return std::visit([](const auto& typed) { return encode(typed); }, result);
}

}  // namespace rwe::results
