#include "rwe/report/love_plot.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "rwe/common/error.hpp"
#include "rwe/report/axis.hpp"

namespace rwe::report {
namespace {

const Font body_font{8.5};
const Font axis_font{8.5};
const Font label_font{9};
constexpr double margin = 4;
constexpr double gap = 12;
constexpr double marker_radius = 3;
const Rgb before_colour = okabe_ito::vermillion;
const Rgb after_colour = okabe_ito::blue;

struct Layout {
    double width = 0, height = 0;
    double panel_left = 0, panel_right = 0, legend_y = 0, rows_top = 0, axis_y = 0;
    std::vector<double> ticks;
    double x_of(double value) const { return panel_left + value / ticks.back() * (panel_right - panel_left); }
};

// Ticks from 0 in the first of 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5 steps that reaches `high`
// in at most six intervals.
std::vector<double> difference_ticks(double high) {
    double step = 5;
    for (double candidate : {0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0}) {
        if (high / candidate <= 6) {
            step = candidate;
            break;
        }
    }
    std::vector<double> ticks{0};
    while (ticks.back() < high - 1e-12) ticks.push_back(step * static_cast<double>(ticks.size()));
    return ticks;
}

Layout make_layout(const LovePlotInput& input) {
    Layout layout;
    double label_width = 0, high = input.threshold * 1.5;
    for (const auto& row : input.rows) {
        label_width = std::max(label_width, text_width(body_font, row.label));
        high = std::max({high, std::fabs(row.before), std::fabs(row.after)});
    }
    layout.ticks = difference_ticks(high);
    layout.panel_left = margin + label_width + gap;
    layout.width = std::max(input.width_pt, layout.panel_left + 160 + margin);
    layout.panel_right = layout.width - margin - 8;
    layout.legend_y = margin + 6;
    layout.rows_top = margin + 20;
    layout.axis_y = layout.rows_top + input.row_height_pt * static_cast<double>(input.rows.size()) + 4;
    layout.height = layout.axis_y + 4 + 3 + 12 + 16 + margin;
    return layout;
}

void circle(cairo_t* cr, double x, double y, const Rgb& colour, bool filled) {
    set_colour(cr, colour);
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, marker_radius, 0, 2 * M_PI);
    if (filled) {
        cairo_fill(cr);
    } else {
        cairo_set_line_width(cr, 1.1);
        cairo_stroke(cr);
    }
}

void draw_love(cairo_t* cr, const LovePlotInput& input, const Layout& layout) {
    // Legend: open = unadjusted, filled = adjusted.
    double x = layout.panel_left;
    circle(cr, x + marker_radius, layout.legend_y, before_colour, false);
    set_colour(cr, okabe_ito::black);
    draw_text(cr, body_font, input.before_label, x + 2 * marker_radius + 4, layout.legend_y, HAlign::left, VAlign::middle);
    x += 2 * marker_radius + 4 + text_width(body_font, input.before_label) + 14;
    circle(cr, x + marker_radius, layout.legend_y, after_colour, true);
    set_colour(cr, okabe_ito::black);
    draw_text(cr, body_font, input.after_label, x + 2 * marker_radius + 4, layout.legend_y, HAlign::left, VAlign::middle);

    // Light row guides, then the threshold line behind the points.
    for (size_t i = 0; i < input.rows.size(); ++i) {
        const double y = layout.rows_top + input.row_height_pt * (static_cast<double>(i) + 0.5);
        set_colour(cr, {0.88, 0.88, 0.88});
        cairo_set_line_width(cr, 0.5);
        cairo_move_to(cr, layout.panel_left, y);
        cairo_line_to(cr, layout.panel_right, y);
        cairo_stroke(cr);
    }
    if (input.threshold > 0) {
        static const double dash[] = {3, 2};
        set_colour(cr, {0.45, 0.45, 0.45});
        cairo_set_line_width(cr, 0.7);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, layout.x_of(input.threshold), layout.rows_top);
        cairo_line_to(cr, layout.x_of(input.threshold), layout.axis_y);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
    }
    for (size_t i = 0; i < input.rows.size(); ++i) {
        const LovePlotRow& row = input.rows[i];
        const double y = layout.rows_top + input.row_height_pt * (static_cast<double>(i) + 0.5);
        set_colour(cr, okabe_ito::black);
        draw_text(cr, body_font, row.label, margin, y, HAlign::left, VAlign::middle);
        circle(cr, layout.x_of(std::fabs(row.before)), y, before_colour, false);
        circle(cr, layout.x_of(std::fabs(row.after)), y, after_colour, true);
    }

    // Axis from 0.
    set_colour(cr, {0.15, 0.15, 0.15});
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, layout.panel_left, layout.axis_y);
    cairo_line_to(cr, layout.panel_right, layout.axis_y);
    cairo_stroke(cr);
    for (double tick : layout.ticks) {
        const double tx = layout.x_of(tick);
        cairo_move_to(cr, tx, layout.axis_y);
        cairo_line_to(cr, tx, layout.axis_y + 4);
        cairo_stroke(cr);
        draw_text(cr, axis_font, tick_label(tick), tx, layout.axis_y + 7, HAlign::centre, VAlign::top);
    }
    draw_text(cr, label_font, input.x_label, (layout.panel_left + layout.panel_right) / 2, layout.axis_y + 22, HAlign::centre,
              VAlign::top);
}

}  // namespace

Figure love_plot(const LovePlotInput& input) {
    if (input.rows.empty()) throw UsageError("love_plot: no covariates to show");
    for (const auto& row : input.rows) {
        if (!std::isfinite(row.before) || !std::isfinite(row.after)) {
            throw UsageError("love_plot: covariate '" + row.label + "': the standardized difference is not a number");
        }
    }
    auto shared_input = std::make_shared<const LovePlotInput>(input);
    const Layout layout = make_layout(input);
    Figure figure;
    figure.width_pt = layout.width;
    figure.height_pt = layout.height;
    figure.draw = [shared_input, layout](cairo_t* cr) { draw_love(cr, *shared_input, layout); };
    return figure;
}

}  // namespace rwe::report
