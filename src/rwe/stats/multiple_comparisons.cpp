#include "rwe/stats/multiple_comparisons.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rwe::stats {

bool parse_p_adjust_method(std::string_view name, PAdjustMethod& method) {
    if (name == "none") {
        method = PAdjustMethod::none;
    } else if (name == "holm") {
        method = PAdjustMethod::holm;
    } else if (name == "bh" || name == "BH" || name == "fdr") {
        method = PAdjustMethod::benjamini_hochberg;
    } else {
        return false;
    }
    return true;
}

const char* p_adjust_name(PAdjustMethod method) {
    switch (method) {
        case PAdjustMethod::none: return "none";
        case PAdjustMethod::holm: return "holm";
        case PAdjustMethod::benjamini_hochberg: return "bh";
    }
    return "none";
}

std::vector<double> p_adjust(std::span<const double> p, PAdjustMethod method) {
    std::vector<double> adjusted(p.begin(), p.end());
    if (method == PAdjustMethod::none) return adjusted;
    // Indices of the tests that have a p-value, in ascending order of p (stable, as R's order()).
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (!std::isnan(p[i])) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    const auto m = static_cast<double>(order.size());
    if (method == PAdjustMethod::holm) {
        double running = 0;
        for (std::size_t rank = 0; rank < order.size(); ++rank) {
            const double value = std::min(1.0, (m - static_cast<double>(rank)) * p[order[rank]]);
            running = std::max(running, value);
            adjusted[order[rank]] = running;
        }
    } else {
        double running = 1;
        for (std::size_t rank = order.size(); rank-- > 0;) {
            const double value = std::min(1.0, m / static_cast<double>(rank + 1) * p[order[rank]]);
            running = std::min(running, value);
            adjusted[order[rank]] = running;
        }
    }
    return adjusted;
}

}  // namespace rwe::stats
