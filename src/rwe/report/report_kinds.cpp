// The report's table of kinds: each typed result to the report of its kind.
#include "rwe/report/report_kinds.hpp"

#include <type_traits>

namespace rwe::report {

void report_analysis(ReportContext& context, const std::string& id, const results::AnalysisResult& result) {
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, results::AttritionResult>) report_attrition(context, id, r);
            else if constexpr (std::is_same_v<T, results::Table1Result>) report_table1(context, id, r, context.published());
            else if constexpr (std::is_same_v<T, results::FollowUpResult>) report_followup(context, id, r);
            else if constexpr (std::is_same_v<T, results::KmResult>) report_km(context, id, r);
            else if constexpr (std::is_same_v<T, results::LogRankResult>) report_logrank(context, id, r);
            else if constexpr (std::is_same_v<T, results::ResponseResult>) report_response(context, id, r);
            else if constexpr (std::is_same_v<T, results::AdverseEventsResult>) report_adverse_events(context, id, r);
            else if constexpr (std::is_same_v<T, results::AssociationResult>) report_association(context, id, r);
            else if constexpr (std::is_same_v<T, results::CoxResult>) report_cox(context, id, r);
            else if constexpr (std::is_same_v<T, results::LandmarkResult>) report_landmark(context, id, r);
            else if constexpr (std::is_same_v<T, results::CumincResult>) report_cuminc(context, id, r);
            else if constexpr (std::is_same_v<T, results::IptwResult>) report_iptw(context, id, r);
            else if constexpr (std::is_same_v<T, results::PsMatchResult>) report_ps_match(context, id, r);
            else if constexpr (std::is_same_v<T, results::TargetTrialResult>) report_target_trial(context, id, r);
            else static_assert(!std::is_same_v<T, T>, "a kind without a report");
        },
        result);
}

}  // namespace rwe::report
