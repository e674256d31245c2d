#include "rwe/report/axis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rwe::report {

Ticks time_ticks(double max_time, double step, int max_intervals) {
    if (!(max_time > 0) || !std::isfinite(max_time)) max_time = 1;
    if (!(step > 0)) {
        static constexpr double steps[] = {1, 2, 3, 6, 12, 24, 36, 48, 60, 120, 240};
        step = steps[std::size(steps) - 1];
        for (double candidate : steps) {
            if (std::ceil(max_time / candidate - 1e-9) <= max_intervals) {
                step = candidate;
                break;
            }
        }
    }
    Ticks ticks;
    ticks.step = step;
    auto whole = static_cast<int>(std::floor(max_time / step + 1e-9));
    for (int i = 0; i <= whole; ++i) ticks.values.push_back(i * step);
    const double beyond = max_time - ticks.values.back();
    if (whole >= 1 && beyond <= 0.25 * step) {
        ticks.axis_end = std::max(max_time, ticks.values.back());
    } else {
        ticks.values.push_back((whole + 1) * step);
        ticks.axis_end = ticks.values.back();
    }
    return ticks;
}

Ticks ratio_ticks(double low, double high) {
    if (!(low > 0) || !std::isfinite(low)) low = 0.5;
    if (!(high > 0) || !std::isfinite(high)) high = 2;
    low = std::min(low, 1.0);
    high = std::max(high, 1.0);
    // Ticks from the 1-2-5 series (0.001 to 5000); the axis ends may also be 0.25 or 4,
    // the halvings around 1 forest plots use, so that [0.6, 2.6] runs 0.5–4, not 0.5–5.
    std::vector<double> series;
    for (int decade = -3; decade <= 3; ++decade) {
        double scale = std::pow(10.0, decade);
        for (double mantissa : {1.0, 2.0, 5.0}) series.push_back(mantissa * scale);
    }
    std::vector<double> ends = series;
    ends.push_back(0.25);
    ends.push_back(4);
    std::sort(ends.begin(), ends.end());
    double start = ends.front(), end = ends.back();
    for (double c : ends)
        if (c <= low * (1 + 1e-9)) start = c;
    for (auto it = ends.rbegin(); it != ends.rend(); ++it)
        if (*it >= high * (1 - 1e-9)) end = *it;
    Ticks ticks;
    ticks.values.push_back(start);
    for (double c : series)
        if (c > start * (1 + 1e-9) && c < end * (1 - 1e-9)) ticks.values.push_back(c);
    ticks.values.push_back(end);
    // Too many ticks across several decades: keep the ends, powers of ten and 1.
    if (ticks.values.size() > 9) {
        std::vector<double> kept;
        for (size_t i = 0; i < ticks.values.size(); ++i) {
            double exponent = std::log10(ticks.values[i]);
            if (i == 0 || i + 1 == ticks.values.size() || std::fabs(exponent - std::round(exponent)) < 1e-9)
                kept.push_back(ticks.values[i]);
        }
        ticks.values = kept;
    }
    ticks.axis_end = ticks.values.back();
    return ticks;
}

std::string tick_label(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

}  // namespace rwe::report
