#pragma once
// Bar chart of percentages by group (e.g. best overall response by long-term-responder
// status): stacked bars that sum to 100% or bars grouped side by side.

#include <string>
#include <vector>

#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"

namespace rwe::report {

struct BarSeries {
    std::string label;           // e.g. "Complete response"
    std::vector<double> values;  // one per category, in the unit of the y axis (percent)
};

struct BarChartInput {
    std::vector<std::string> categories;      // groups along the x axis
    std::vector<std::string> category_notes;  // optional second line, e.g. "n = 32"
    std::vector<BarSeries> series;
    bool stacked = true;
    std::string y_label = "Patients (%)";
    double y_max = 0;          // 0: 100 when stacked, else the next multiple of 10 above the data
    int value_decimals = 1;    // labels on the bars; -1: none
    std::string value_suffix = "%";
    std::vector<Rgb> colours;  // fill of each series, in order; empty or shorter: fill_colour()'s
    double width_pt = 340;  // widened when the legend leaves too little room for the bars
    double panel_height_pt = 200;
};

// Category labels (and notes) never overlap: each is wrapped at spaces to the width of
// its slot less 4 pt; when a line is still too wide, the labels are set smaller (8.5 pt
// down to 6.5 pt in steps of 0.5), and at 6.5 pt a word still too wide is broken after
// its hyphens, and then between characters.
//
// Throws rwe::UsageError when a series does not have one value per category.
Figure bar_chart(const BarChartInput& input);

}  // namespace rwe::report
