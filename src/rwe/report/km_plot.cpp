#include "rwe/report/km_plot.hpp"

#include "rwe/report/disclosure_control.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>

#include "rwe/common/error.hpp"
#include "rwe/report/axis.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/layout.hpp"
#include "rwe/report/table.hpp"

namespace rwe::report {
namespace {

const Font tick_font{8.5};
const Font label_font{9.5};
const Font legend_font{8.5};
const Font title_font{10, true};
const Font risk_title_font{8.5, true};
const Font legend_title_font{8.5, true};
const Rgb axis_grey{0.15, 0.15, 0.15};
const Rgb guide_grey{0.45, 0.45, 0.45};

constexpr double outer_margin = 4;
constexpr double line_sample_width = 22;
constexpr double risk_row_height = 13;
constexpr double risk_line_height = 10;  // per extra line of a wrapped risk-table label
// Risk-table labels wrap beyond this share of the figure width, so that long group names
// do not push the panel to the right.
constexpr double max_risk_label_share = 0.24;
constexpr double data_inset = 5;  // keeps curves and marks at the panel edges unclipped

void validate(const KmCurveInput& curve) {
    const size_t n = curve.time.size();
    auto same = [&](const std::vector<double>& column, const char* name, bool optional) {
        if (optional && column.empty()) return;
        if (column.size() != n)
            throw UsageError("km_plot: curve '" + curve.label + "': " + name + " has " +
                             std::to_string(column.size()) + " values, time has " +
                             std::to_string(n));
    };
    same(curve.n_risk, "n_risk", false);
    same(curve.n_event, "n_event", false);
    same(curve.n_censor, "n_censor", false);
    same(curve.surv, "surv", false);
    same(curve.lower, "lower", true);
    same(curve.upper, "upper", true);
    if (curve.lower.empty() != curve.upper.empty())
        throw UsageError("km_plot: curve '" + curve.label + "': lower and upper go together");
    for (size_t i = 1; i < n; ++i)
        if (!(curve.time[i] >= curve.time[i - 1]))
            throw UsageError("km_plot: curve '" + curve.label + "': times must be sorted (" +
                             format_fixed(curve.time[i], 3) + " after " +
                             format_fixed(curve.time[i - 1], 3) + ")");
}

enum class RiskRow { at_risk, censored, events };

// One block of the table under the panel: its title and a row per curve.
struct RiskBlock {
    RiskRow row;
    double title_y = 0;
    std::vector<double> row_centre;  // y of each row's counts
};

const char* risk_title(RiskRow row) {
    switch (row) {
        case RiskRow::at_risk: return "Number at risk";
        case RiskRow::censored: return "Number censored";
        case RiskRow::events: return "Number of events";
    }
    return "";
}

std::vector<RiskRow> risk_rows(const KmPlotInput& input) {
    std::vector<RiskRow> rows;
    if (!input.risk_table) return rows;
    if (input.risk_rows.at_risk) rows.push_back(RiskRow::at_risk);
    if (input.risk_rows.censored) rows.push_back(RiskRow::censored);
    if (input.risk_rows.events) rows.push_back(RiskRow::events);
    return rows;
}

struct Layout {
    double y_label_x = 0;  // baseline of the rotated y-axis label
    double panel_left = 0, panel_right = 0, panel_top = 0, panel_bottom = 0;
    std::vector<std::vector<std::string>> risk_labels;  // wrapped, one list per curve
    std::vector<RiskBlock> risk_blocks;
    double height = 0;
    double axis_start = 0, axis_end = 1;
    Ticks ticks;

    double x_of(double t) const {
        return panel_left + data_inset +
               (t - axis_start) / (axis_end - axis_start) *
                   (panel_right - panel_left - 2 * data_inset);
    }
    double y_of(double s) const {
        return panel_bottom - data_inset - s * (panel_bottom - panel_top - 2 * data_inset);
    }
};

std::string y_tick_label(double value, bool percent) {
    return percent ? format_fixed(value * 100, 0) + "%" : format_fixed(value, 1);
}

Layout make_layout(const KmPlotInput& input) {
    Layout layout;
    double max_time = input.max_time;
    if (!(max_time > 0))
        for (const KmCurveInput& curve : input.curves)
            if (!curve.time.empty()) max_time = std::max(max_time, curve.time.back());
    if (input.time_step > 0 && max_time / input.time_step > 100)
        throw UsageError("km_plot: time step " + format_fixed(input.time_step, 3) + " gives more than 100 breaks up to " +
                         format_fixed(max_time, 3));
    layout.ticks = time_ticks(max_time, input.time_step);
    layout.axis_end = layout.ticks.axis_end;

    double y_tick_width = 0;
    for (int i = 0; i <= 5; ++i)
        y_tick_width = std::max(y_tick_width, text_width(tick_font, y_tick_label(i / 5.0, input.y_percent)));
    const double label_height = font_ascent(label_font) + font_descent(label_font);
    double left = outer_margin + label_height + 6 + y_tick_width + 6;
    const std::vector<RiskRow> rows = risk_rows(input);
    if (!rows.empty()) {
        const double label_room = input.width_pt * max_risk_label_share;
        double widest = 0;
        for (RiskRow row : rows) widest = std::max(widest, text_width(risk_title_font, risk_title(row)) - 20);
        for (const KmCurveInput& curve : input.curves) {
            layout.risk_labels.push_back(wrap_text(legend_font, curve.label, label_room));
            for (const std::string& line : layout.risk_labels.back())
                widest = std::max(widest, line_sample_width + 5 + text_width(legend_font, line));
        }
        // Room for half of the widest count centred under the first tick.
        double count_width = 0;
        for (const KmCurveInput& curve : input.curves)
            if (!curve.n_risk.empty()) count_width = std::max(count_width, text_width(legend_font, format_fixed(curve.n_risk[0], 0)));
        left = std::max(left, outer_margin + widest + 12 + count_width / 2 - data_inset);
    }
    // Half of the last tick label must fit right of the panel.
    double last_label = text_width(tick_font, tick_label(layout.ticks.values.back()));
    layout.panel_left = left;
    // The y label hugs the tick labels even when risk-table labels widen the margin.
    layout.y_label_x = left - 6 - y_tick_width - 6 - font_descent(label_font);
    layout.panel_right = input.width_pt - outer_margin - std::max(6.0, last_label / 2 - data_inset);
    layout.panel_top = outer_margin + (input.title.empty() ? 4 : 22);
    layout.panel_bottom = layout.panel_top + input.panel_height_pt;
    double below = layout.panel_bottom + 4 + 3 + 12 + 4 + label_height;
    for (size_t block = 0; block < rows.size(); ++block) {
        RiskBlock risk{rows[block], below + (block == 0 ? 12 : 8), {}};
        below = risk.title_y + 14;
        for (const std::vector<std::string>& lines : layout.risk_labels) {
            double height = risk_row_height + risk_line_height * static_cast<double>(std::max<size_t>(lines.size(), 1) - 1);
            risk.row_centre.push_back(below + height / 2);
            below += height;
        }
        layout.risk_blocks.push_back(std::move(risk));
    }
    layout.height = below + outer_margin + 2;
    return layout;
}

// The i-th curve's style, with the colour the input gives for it.
LineStyle style_of(const KmPlotInput& input, size_t index) {
    LineStyle style = line_style(index);
    if (index < input.colours.size()) style.colour = input.colours[index];
    return style;
}

void stroke_styled(cairo_t* cr, const LineStyle& style, double width) {
    set_colour(cr, style.colour);
    cairo_set_line_width(cr, width);
    cairo_set_dash(cr, style.dash.data(), static_cast<int>(style.dash.size()), 0);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
}

void line_sample(cairo_t* cr, const LineStyle& style, double x, double y) {
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + line_sample_width, y);
    stroke_styled(cr, style, 1.6);
}

// Vertices of a step function from (t0, v0): horizontal to each time, then vertical to
// its value. Runs of vertices on one vertical (times closer than 0.2 pt) or one
// horizontal are merged, so a cohort of 100,000 draws a path no larger than the figure's
// resolution needs.
std::vector<Point> step_vertices(const Layout& layout, double t0, double v0, const std::vector<double>& time,
                                 const std::vector<double>& value, size_t first, size_t last, double t_end) {
    constexpr double merge = 0.2;  // pt; 0.07 mm, below what print or screen resolves
    std::vector<Point> points{{layout.x_of(t0), layout.y_of(v0)}};
    auto add = [&](double x, double y) {
        Point& back = points.back();
        if (std::fabs(x - back.x) < merge) x = back.x;
        if (x == back.x && y == back.y) return;
        if (points.size() >= 2) {
            const Point& before = points[points.size() - 2];
            if ((x == back.x && back.x == before.x) || (y == back.y && back.y == before.y)) {
                back = {x, y};
                return;
            }
        }
        points.push_back({x, y});
    };
    double level_y = layout.y_of(v0);
    for (size_t i = first; i <= last; ++i) {
        add(layout.x_of(time[i]), level_y);
        level_y = layout.y_of(value[i]);
        add(layout.x_of(time[i]), level_y);
    }
    add(layout.x_of(t_end), level_y);
    return points;
}

void path_through(cairo_t* cr, const std::vector<Point>& points, bool continue_path) {
    for (size_t i = 0; i < points.size(); ++i) {
        if (i == 0 && !continue_path) cairo_move_to(cr, points[i].x, points[i].y);
        else cairo_line_to(cr, points[i].x, points[i].y);
    }
}

void draw_ribbon(cairo_t* cr, const Layout& layout, const KmCurveInput& curve, const Rgb& colour) {
    const size_t n = curve.time.size();
    auto finite = [&](size_t i) { return std::isfinite(curve.lower[i]) && std::isfinite(curve.upper[i]); };
    size_t i = 0;
    while (i < n) {
        if (!finite(i)) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end + 1 < n && finite(end + 1)) ++end;
        // Stepped band over [time[i], time[end + 1]), or to the last time.
        const double stop = end + 1 < n ? curve.time[end + 1] : curve.time[end];
        std::vector<Point> upper = step_vertices(layout, curve.time[i], curve.upper[i], curve.time, curve.upper, i, end, stop);
        std::vector<Point> lower = step_vertices(layout, curve.time[i], curve.lower[i], curve.time, curve.lower, i, end, stop);
        cairo_new_path(cr);
        path_through(cr, upper, false);
        std::reverse(lower.begin(), lower.end());
        path_through(cr, lower, true);
        cairo_close_path(cr);
        set_colour(cr, colour, 0.16);
        cairo_fill(cr);
        i = end + 1;
    }
}

void draw_curve(cairo_t* cr, const Layout& layout, const KmCurveInput& curve, const LineStyle& style) {
    if (curve.time.empty()) return;
    cairo_new_path(cr);
    path_through(cr, step_vertices(layout, 0, curve.start, curve.time, curve.surv, 0, curve.time.size() - 1, curve.time.back()),
                 false);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    stroke_styled(cr, style, 1.4);
}

// Censoring marks: the first censoring time in each column of censor_mark_column points
// (km_plot.hpp), up to the axis end.
std::vector<Point> mark_positions(const Layout& layout, const KmCurveInput& curve) {
    std::vector<Point> marks;
    long last_column = std::numeric_limits<long>::min();
    for (size_t i = 0; i < curve.time.size(); ++i) {
        if (!(curve.n_censor[i] > 0)) continue;
        if (curve.time[i] > layout.axis_end * (1 + 1e-12)) break;
        const double x = layout.x_of(curve.time[i]);
        const long column = std::lround(std::floor((x - layout.panel_left) / censor_mark_column));
        if (column == last_column) continue;
        last_column = column;
        marks.push_back({x, layout.y_of(curve.surv[i])});
    }
    return marks;
}

void draw_censor_marks(cairo_t* cr, const Layout& layout, const KmCurveInput& curve, const LineStyle& style) {
    cairo_new_path(cr);
    for (const Point& mark : mark_positions(layout, curve)) draw_marker(cr, style.censor_mark, mark.x, mark.y, 5);
    set_colour(cr, style.colour);
    cairo_set_line_width(cr, 0.9);
    cairo_stroke(cr);
}

// Box size of the legend and the annotation.
struct TextBlock {
    double width = 0, height = 0;
};

TextBlock legend_size(const KmPlotInput& input) {
    TextBlock block;
    for (const KmCurveInput& curve : input.curves)
        block.width = std::max(block.width, line_sample_width + 6 + text_width(legend_font, curve.label));
    if (!input.legend_title.empty()) block.width = std::max(block.width, text_width(legend_title_font, input.legend_title));
    block.width += 8;
    block.height = 12.0 * static_cast<double>(input.curves.size() + (input.legend_title.empty() ? 0 : 1)) + 6;
    return block;
}

TextBlock annotation_size(const KmPlotInput& input) {
    TextBlock block;
    for (const std::string& line : input.annotation)
        block.width = std::max(block.width, text_width(legend_font, line));
    block.width += 8;
    block.height = 12.0 * static_cast<double>(input.annotation.size()) + 6;
    return block;
}

// Candidate places for a box inside the panel, in order of preference: the corners
// first, then a grid; least_covered() takes the first of the emptiest.
std::vector<Box> candidate_boxes(const Layout& layout, const TextBlock& block) {
    const double left = layout.panel_left + data_inset + 8;
    const double right = layout.panel_right - data_inset - 4 - block.width;
    const double top = layout.y_of(1) + 8;
    const double bottom = layout.panel_bottom - data_inset - 6 - block.height;
    std::vector<Box> boxes = {{right, top, block.width, block.height},
                              {left, bottom, block.width, block.height},
                              {right, bottom, block.width, block.height}};
    for (int row = 0; row <= 4; ++row)
        for (int column = 4; column >= 0; --column)
            boxes.push_back({left + (right - left) * column / 4.0, top + (bottom - top) * row / 4.0,
                             block.width, block.height});
    return boxes;
}

// Points along everything drawn in the panel (curves with their vertical drops, bands,
// median guides), for placing the legend and the annotation where they hide nothing.
std::vector<Point> drawn_points(const Layout& layout, const KmPlotInput& input) {
    std::vector<Point> points;
    const double step_pt = 2;
    auto segment = [&](double x0, double y0, double x1, double y1) {
        double length = std::hypot(x1 - x0, y1 - y0);
        int count = std::max(1, static_cast<int>(length / step_pt));
        for (int k = 0; k <= count; ++k)
            points.push_back({x0 + (x1 - x0) * k / count, y0 + (y1 - y0) * k / count});
    };
    for (const KmCurveInput& curve : input.curves) {
        double previous_time = 0, level = curve.start;
        for (size_t i = 0; i < curve.time.size(); ++i) {
            segment(layout.x_of(previous_time), layout.y_of(level), layout.x_of(curve.time[i]), layout.y_of(level));
            segment(layout.x_of(curve.time[i]), layout.y_of(level), layout.x_of(curve.time[i]), layout.y_of(curve.surv[i]));
            previous_time = curve.time[i];
            level = curve.surv[i];
            if (input.confidence_bands && !curve.lower.empty() && std::isfinite(curve.lower[i]) &&
                std::isfinite(curve.upper[i])) {
                double next = i + 1 < curve.time.size() ? curve.time[i + 1] : curve.time[i];
                // Fill the band's area with a coarse grid of points.
                for (double y = layout.y_of(curve.upper[i]); y <= layout.y_of(curve.lower[i]); y += 4)
                    segment(layout.x_of(curve.time[i]), y, layout.x_of(next), y);
            }
        }
        if (input.median_lines && std::isfinite(curve.median) && curve.median <= layout.axis_end) {
            segment(layout.x_of(0), layout.y_of(0.5), layout.x_of(curve.median), layout.y_of(0.5));
            segment(layout.x_of(curve.median), layout.y_of(0.5), layout.x_of(curve.median), layout.y_of(0));
        }
    }
    return points;
}

void draw_km(cairo_t* cr, const KmPlotInput& input, const Layout& layout) {
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    if (!input.title.empty()) {
        set_colour(cr, okabe_ito::black);
        draw_text(cr, title_font, input.title, (layout.panel_left + layout.panel_right) / 2,
                  outer_margin, HAlign::centre, VAlign::top);
    }

    // Data, clipped to the panel.
    cairo_save(cr);
    cairo_rectangle(cr, layout.panel_left, layout.panel_top, layout.panel_right - layout.panel_left,
                    layout.panel_bottom - layout.panel_top);
    cairo_clip(cr);
    if (input.median_lines) {
        for (const KmCurveInput& curve : input.curves) {
            if (!std::isfinite(curve.median) || curve.median > layout.axis_end) continue;
            static const double dash[] = {3, 2};
            cairo_new_path(cr);
            cairo_move_to(cr, layout.x_of(0), layout.y_of(0.5));
            cairo_line_to(cr, layout.x_of(curve.median), layout.y_of(0.5));
            cairo_line_to(cr, layout.x_of(curve.median), layout.y_of(0));
            set_colour(cr, guide_grey);
            cairo_set_line_width(cr, 0.7);
            cairo_set_dash(cr, dash, 2, 0);
            cairo_stroke(cr);
            cairo_set_dash(cr, nullptr, 0, 0);
        }
    }
    if (input.confidence_bands)
        for (size_t c = 0; c < input.curves.size(); ++c)
            if (!input.curves[c].lower.empty())
                draw_ribbon(cr, layout, input.curves[c], style_of(input, c).colour);
    for (size_t c = 0; c < input.curves.size(); ++c)
        draw_curve(cr, layout, input.curves[c], style_of(input, c));
    if (input.censor_marks) {
        for (size_t c = 0; c < input.curves.size(); ++c)
            draw_censor_marks(cr, layout, input.curves[c], style_of(input, c));
    }
    cairo_restore(cr);

    // Axes: left and bottom only, as most journals print survival curves.
    set_colour(cr, axis_grey);
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, layout.panel_left, layout.panel_top);
    cairo_line_to(cr, layout.panel_left, layout.panel_bottom);
    cairo_line_to(cr, layout.panel_right, layout.panel_bottom);
    cairo_stroke(cr);
    for (int i = 0; i <= 5; ++i) {
        double value = i / 5.0;
        double y = layout.y_of(value);
        cairo_move_to(cr, layout.panel_left, y);
        cairo_line_to(cr, layout.panel_left - 4, y);
        cairo_stroke(cr);
        draw_text(cr, tick_font, y_tick_label(value, input.y_percent), layout.panel_left - 6, y,
                  HAlign::right, VAlign::middle);
    }
    for (double t : layout.ticks.values) {
        double x = layout.x_of(t);
        cairo_move_to(cr, x, layout.panel_bottom);
        cairo_line_to(cr, x, layout.panel_bottom + 4);
        cairo_stroke(cr);
        draw_text(cr, tick_font, tick_label(t), x, layout.panel_bottom + 7, HAlign::centre,
                  VAlign::top);
    }
    draw_text(cr, label_font, input.x_label, layout.x_of((layout.axis_start + layout.axis_end) / 2),
              layout.panel_bottom + 23, HAlign::centre, VAlign::top);
    draw_text(cr, label_font, input.y_label, layout.y_label_x,
              (layout.panel_top + layout.panel_bottom) / 2, HAlign::centre, VAlign::baseline,
              -M_PI / 2);

    // Legend and annotation, where the curves are not.
    std::vector<Point> points = drawn_points(layout, input);
    std::vector<Box> taken;
    if (!input.curves.empty() && !(input.curves.size() == 1 && input.curves[0].label.empty())) {
        TextBlock block = legend_size(input);
        Box box = least_covered(candidate_boxes(layout, block), points);
        taken.push_back(box);
        cairo_rectangle(cr, box.x, box.y, box.width, box.height);
        set_colour(cr, {1, 1, 1}, 0.85);
        cairo_fill(cr);
        const double first_line = input.legend_title.empty() ? 0 : 1;
        if (!input.legend_title.empty()) {
            set_colour(cr, okabe_ito::black);
            draw_text(cr, legend_title_font, input.legend_title, box.x + 4, box.y + 3 + 6, HAlign::left, VAlign::middle);
        }
        for (size_t c = 0; c < input.curves.size(); ++c) {
            double y = box.y + 3 + 6 + 12.0 * (static_cast<double>(c) + first_line);
            line_sample(cr, style_of(input, c), box.x + 4, y);
            set_colour(cr, okabe_ito::black);
            draw_text(cr, legend_font, input.curves[c].label, box.x + 4 + line_sample_width + 6, y,
                      HAlign::left, VAlign::middle);
        }
    }
    if (!input.annotation.empty()) {
        TextBlock block = annotation_size(input);
        Box box = least_covered(candidate_boxes(layout, block), points, taken);
        cairo_rectangle(cr, box.x, box.y, box.width, box.height);
        set_colour(cr, {1, 1, 1}, 0.85);
        cairo_fill(cr);
        set_colour(cr, okabe_ito::black);
        for (size_t i = 0; i < input.annotation.size(); ++i)
            draw_text(cr, legend_font, input.annotation[i], box.x + 4,
                      box.y + 3 + 6 + 12.0 * static_cast<double>(i), HAlign::left, VAlign::middle);
    }

    // Number at risk (and censored, events): one row per curve, each count centred under its tick.
    for (const RiskBlock& block : layout.risk_blocks) {
        set_colour(cr, okabe_ito::black);
        draw_text(cr, risk_title_font, risk_title(block.row), outer_margin, block.title_y,
                  HAlign::left, VAlign::top);
        for (size_t c = 0; c < input.curves.size(); ++c) {
            const KmCurveInput& curve = input.curves[c];
            const double y = block.row_centre[c];
            const std::vector<std::string>& lines = layout.risk_labels[c];
            line_sample(cr, style_of(input, c), outer_margin, y);
            set_colour(cr, okabe_ito::black);
            double line_y = y - risk_line_height * (static_cast<double>(lines.size()) - 1) / 2;
            for (const std::string& line : lines) {
                draw_text(cr, legend_font, line, outer_margin + line_sample_width + 5, line_y, HAlign::left,
                          VAlign::middle);
                line_y += risk_line_height;
            }
            for (double t : layout.ticks.values) {
                const double count = block.row == RiskRow::at_risk    ? n_risk_at(curve, t)
                                     : block.row == RiskRow::censored ? n_censored_by(curve, t)
                                                                      : n_events_by(curve, t);
                draw_text(cr, legend_font,
                          std::isnan(count) ? suppressed_cell  // withheld from the results (docs/report.md)
                                            : suppress_count(std::lround(count), input.risk_table_threshold),
                          layout.x_of(t), y, HAlign::centre, VAlign::middle);
            }
        }
    }
}

}  // namespace

double n_risk_at(const KmCurveInput& curve, double t) {
    auto it = std::lower_bound(curve.time.begin(), curve.time.end(), t - 1e-9 * std::max(1.0, std::fabs(t)));
    if (it == curve.time.end()) return 0;
    return curve.n_risk[static_cast<size_t>(it - curve.time.begin())];
}

namespace {
double cumulative_by(const KmCurveInput& curve, const std::vector<double>& counts, double t) {
    double total = 0;
    for (size_t i = 0; i < curve.time.size() && curve.time[i] <= t + 1e-9 * std::max(1.0, std::fabs(t)); ++i) total += counts[i];
    return total;
}
}  // namespace

double n_censored_by(const KmCurveInput& curve, double t) { return cumulative_by(curve, curve.n_censor, t); }
double n_events_by(const KmCurveInput& curve, double t) { return cumulative_by(curve, curve.n_event, t); }

std::vector<Point> censor_mark_positions(const KmPlotInput& input, size_t curve) {
    for (const KmCurveInput& c : input.curves) validate(c);
    return mark_positions(make_layout(input), input.curves.at(curve));
}

std::string survival_axis_label(const std::string& endpoint_label) {
    if (endpoint_label.empty()) return "Survival probability";
    std::string lower;
    for (char ch : endpoint_label) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (const size_t at = lower.find("survival"); at != std::string::npos)
        return endpoint_label.substr(0, at + 8) + " probability";
    if (lower.rfind("time to ", 0) == 0) return "Probability of no " + endpoint_label.substr(8);
    if (lower.rfind("duration of response", 0) == 0) return "Probability of continued response";
    return endpoint_label + " probability";
}

double survival_at(const KmCurveInput& curve, double t) {
    auto it = std::upper_bound(curve.time.begin(), curve.time.end(), t);
    if (it == curve.time.begin()) return curve.start;
    return curve.surv[static_cast<size_t>(it - curve.time.begin()) - 1];
}

Figure km_plot(const KmPlotInput& input) {
    for (const KmCurveInput& curve : input.curves) validate(curve);
    auto shared_input = std::make_shared<const KmPlotInput>(input);
    Layout layout = make_layout(input);
    Figure figure;
    figure.width_pt = input.width_pt;
    figure.height_pt = layout.height;
    figure.draw = [shared_input, layout](cairo_t* cr) { draw_km(cr, *shared_input, layout); };
    return figure;
}

}  // namespace rwe::report
