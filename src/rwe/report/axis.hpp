#pragma once
// Tick positions for figure axes.

#include <string>
#include <vector>

namespace rwe::report {

struct Ticks {
    std::vector<double> values;  // ascending, the first at the axis start
    double step = 0;             // for linear axes
    double axis_end = 0;         // ≥ the last tick
};

// Time axis in months from 0: the step is the first of 1, 2, 3, 6, 12, 24, 36, 48, 60, 120
// months that needs at most `max_intervals` intervals to reach `max_time` (so clinical
// readers see whole half-years and years). Ticks are the multiples of the step up to
// max_time; when max_time lies less than a quarter step beyond the last of them, the axis
// ends at max_time (no near-empty interval), otherwise one more tick is added and the axis
// ends there. A positive `step` forces it.
Ticks time_ticks(double max_time, double step = 0, int max_intervals = 10);

// Log-scale ticks for ratios (hazard ratios) from the 1-2-5 series, always including 1,
// spanning [low, high] (both > 0); the ends may also be 0.25 or 4. Beyond nine ticks
// only the ends and powers of ten are kept.
Ticks ratio_ticks(double low, double high);

// Tick label without trailing zeros ("0.25", "1", "12").
std::string tick_label(double value);

}  // namespace rwe::report
