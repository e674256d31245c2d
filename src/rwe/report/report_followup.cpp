// Kind followup: median follow-up, in the survival section's text.
#include <fmt/format.h>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_followup(ReportContext& context, const std::string&, const results::FollowUpResult& r) {
    Section& s = context.section("survival", "Survival");
    const auto& o = r.observed;
    const std::string range = o.min.is_suppressed() ? "range withheld" : "range " + fixed(o.min) + "–" + fixed(o.max);
    std::string text = fmt::format("Median follow-up: {} {} ({}) as the median of observed times", fixed(o.median),
                                   context.protocol().time_unit, range);
    if (r.reverse_km) {
        const auto& k = *r.reverse_km;
        text += "; " + estimate_ci(k.median, k.lower, k.upper) + " by the reverse Kaplan–Meier method.";
    }
    s.blocks.push_back(Paragraph{text});
}

}  // namespace rwe::report
