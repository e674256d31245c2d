#include "rwe/report/forest_plot.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "rwe/common/error.hpp"
#include "rwe/report/axis.hpp"
#include "rwe/report/drawing.hpp"

namespace rwe::report {
namespace {

const Font body_font{8.5};
const Font heading_font{8.5, true};
const Font axis_font{8.5};
const Font label_font{9};
const Rgb axis_grey{0.15, 0.15, 0.15};
constexpr double margin = 4;
constexpr double gap = 12;
constexpr double indent_step = 10;

std::string estimate_text(const ForestRow& row) {
    if (!std::isfinite(row.estimate)) return row.note.empty() ? "not estimable" : row.note;
    return format_fixed(row.estimate, 2) + " (" + format_fixed(row.lower, 2) + "–" +
           format_fixed(row.upper, 2) + ")";
}

std::string p_text(const ForestRow& row) {
    if (std::isnan(row.p)) return "";
    // The column header already says "p": "p = 0.043" → "0.043", "p < 0.001" → "< 0.001".
    std::string text = format_p_value(row.p).substr(2);
    return text.rfind("= ", 0) == 0 ? text.substr(2) : text;
}

struct Layout {
    double width = 0;
    double label_x = 0, count_x = 0, panel_left = 0, panel_right = 0, estimate_x = 0, p_x = 0;
    double header_y = 0, rows_top = 0, axis_y = 0, height = 0;
    bool has_count = false;
    Ticks ticks;
    double x_of(double ratio) const {
        double low = std::log(ticks.values.front()), high = std::log(ticks.values.back());
        return panel_left + (std::log(ratio) - low) / (high - low) * (panel_right - panel_left);
    }
};

Layout make_layout(const ForestPlotInput& input) {
    Layout layout;
    double label_width = text_width(heading_font, input.label_header);
    double count_width = text_width(heading_font, input.count_header);
    double estimate_width = text_width(heading_font, input.estimate_header);
    double p_width = text_width(heading_font, "p");
    double low = 1, high = 1;
    for (const ForestRow& row : input.rows) {
        const Font& font = row.heading ? heading_font : body_font;
        label_width = std::max(label_width, indent_step * row.indent + text_width(font, row.label));
        if (!row.count.empty()) {
            layout.has_count = true;
            count_width = std::max(count_width, text_width(body_font, row.count));
        }
        if (!row.heading) {
            estimate_width = std::max(estimate_width, text_width(body_font, estimate_text(row)));
            p_width = std::max(p_width, text_width(body_font, p_text(row)));
        }
        if (std::isfinite(row.estimate)) {
            // Axis range from the CIs, but an unbounded CI does not stretch it.
            for (double value : {row.estimate, row.lower, row.upper})
                if (std::isfinite(value) && value > 0) {
                    low = std::min(low, std::max(value, 0.01));
                    high = std::max(high, std::min(value, 100.0));
                }
        }
    }
    layout.ticks = ratio_ticks(low, high);
    layout.label_x = margin;
    double x = margin + label_width + gap;
    if (layout.has_count) {
        layout.count_x = x + count_width;  // right-aligned
        x += count_width + gap;
    }
    // Long labels widen the figure rather than squeeze the plot below 120 pt.
    const double p_room = input.p_column ? p_width + gap : 0;
    const double columns_right = p_room + estimate_width + gap + 12 + margin;
    layout.width = std::max(input.width_pt, x + 120 + columns_right);
    layout.p_x = layout.width - margin;  // right-aligned
    layout.estimate_x = layout.p_x - p_room - estimate_width;  // left-aligned
    layout.panel_left = x + 6;
    layout.panel_right = layout.estimate_x - gap - 6;
    layout.header_y = margin;
    layout.rows_top = margin + 16;
    layout.axis_y = layout.rows_top + input.row_height_pt * static_cast<double>(input.rows.size()) + 4;
    layout.height = layout.axis_y + 4 + 3 + 12 + 16 +
                    ((input.favours_left.empty() && input.favours_right.empty()) ? 0 : 13) + margin;
    return layout;
}

void draw_forest(cairo_t* cr, const ForestPlotInput& input, const Layout& layout) {
    set_colour(cr, okabe_ito::black);
    const double header_mid = layout.header_y + 6;
    draw_text(cr, heading_font, input.label_header, layout.label_x, header_mid, HAlign::left, VAlign::middle);
    if (layout.has_count)
        draw_text(cr, heading_font, input.count_header, layout.count_x, header_mid, HAlign::right, VAlign::middle);
    draw_text(cr, heading_font, input.estimate_header, layout.estimate_x, header_mid, HAlign::left, VAlign::middle);
    if (input.p_column) draw_text(cr, heading_font, "p", layout.p_x, header_mid, HAlign::right, VAlign::middle);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, margin, layout.rows_top - 2);
    cairo_line_to(cr, layout.p_x, layout.rows_top - 2);
    cairo_stroke(cr);

    // Reference line at 1 behind the estimates.
    static const double dash[] = {3, 2};
    set_colour(cr, {0.45, 0.45, 0.45});
    cairo_set_line_width(cr, 0.7);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, layout.x_of(1), layout.rows_top);
    cairo_line_to(cr, layout.x_of(1), layout.axis_y);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);

    const double low = layout.ticks.values.front(), high = layout.ticks.values.back();
    for (size_t i = 0; i < input.rows.size(); ++i) {
        const ForestRow& row = input.rows[i];
        const double y = layout.rows_top + input.row_height_pt * (static_cast<double>(i) + 0.5);
        set_colour(cr, okabe_ito::black);
        draw_text(cr, row.heading ? heading_font : body_font, row.label,
                  layout.label_x + indent_step * row.indent, y, HAlign::left, VAlign::middle);
        if (row.heading) continue;
        if (layout.has_count)
            draw_text(cr, body_font, row.count, layout.count_x, y, HAlign::right, VAlign::middle);
        draw_text(cr, body_font, estimate_text(row), layout.estimate_x, y, HAlign::left, VAlign::middle);
        if (input.p_column) draw_text(cr, body_font, p_text(row), layout.p_x, y, HAlign::right, VAlign::middle);
        if (!std::isfinite(row.estimate)) continue;
        // CI whisker, with an arrow where it runs off the axis.
        double lower = std::isfinite(row.lower) && row.lower > 0 ? row.lower : 0;
        double upper = std::isfinite(row.upper) ? row.upper : INFINITY;
        double x0 = lower < low ? layout.panel_left : layout.x_of(lower);
        double x1 = upper > high ? layout.panel_right : layout.x_of(upper);
        set_colour(cr, input.colour);
        cairo_set_line_width(cr, 1.1);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x1, y);
        cairo_stroke(cr);
        auto arrow = [&](double x, double direction) {
            cairo_move_to(cr, x, y);
            cairo_line_to(cr, x - direction * 4, y - 2.5);
            cairo_line_to(cr, x - direction * 4, y + 2.5);
            cairo_close_path(cr);
            cairo_fill(cr);
        };
        if (lower < low) arrow(x0, -1);
        if (upper > high) arrow(x1, 1);
        if (row.estimate >= low && row.estimate <= high) {
            const double half = 3;
            cairo_rectangle(cr, layout.x_of(row.estimate) - half, y - half, 2 * half, 2 * half);
            cairo_fill(cr);
        }
    }

    // Log axis.
    set_colour(cr, {0.15, 0.15, 0.15});
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, layout.panel_left, layout.axis_y);
    cairo_line_to(cr, layout.panel_right, layout.axis_y);
    cairo_stroke(cr);
    for (double tick : layout.ticks.values) {
        double x = layout.x_of(tick);
        cairo_move_to(cr, x, layout.axis_y);
        cairo_line_to(cr, x, layout.axis_y + 4);
        cairo_stroke(cr);
        draw_text(cr, axis_font, tick_label(tick), x, layout.axis_y + 7, HAlign::centre, VAlign::top);
    }
    const double centre = (layout.panel_left + layout.panel_right) / 2;
    draw_text(cr, label_font, input.x_label, centre, layout.axis_y + 22, HAlign::centre, VAlign::top);
    if (!input.favours_left.empty() || !input.favours_right.empty()) {
        const Font favours_font{8, false, true};
        double y = layout.axis_y + 36;
        draw_text(cr, favours_font, "← " + input.favours_left, layout.x_of(1) - 4, y, HAlign::right, VAlign::top);
        draw_text(cr, favours_font, input.favours_right + " →", layout.x_of(1) + 4, y, HAlign::left, VAlign::top);
    }
}

}  // namespace

Figure forest_plot(const ForestPlotInput& input) {
    for (const ForestRow& row : input.rows) {
        if (row.heading || !std::isfinite(row.estimate)) continue;
        if (!(row.estimate > 0))
            throw UsageError("forest_plot: row '" + row.label + "': ratio must be > 0 (" +
                             format_fixed(row.estimate, 4) + ")");
        if (row.lower > row.estimate || row.upper < row.estimate)
            throw UsageError("forest_plot: row '" + row.label + "': CI (" +
                             format_fixed(row.lower, 4) + ", " + format_fixed(row.upper, 4) +
                             ") does not contain the estimate " + format_fixed(row.estimate, 4));
    }
    auto shared_input = std::make_shared<const ForestPlotInput>(input);
    Layout layout = make_layout(input);
    Figure figure;
    figure.width_pt = layout.width;
    figure.height_pt = layout.height;
    figure.draw = [shared_input, layout](cairo_t* cr) { draw_forest(cr, *shared_input, layout); };
    return figure;
}

}  // namespace rwe::report
