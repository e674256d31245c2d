#include "rwe/report/bar_chart.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "rwe/common/error.hpp"
#include "rwe/report/axis.hpp"
#include "rwe/report/drawing.hpp"

namespace rwe::report {
namespace {

const Font tick_font{8.5};
const Font label_font{9.5};
const Font value_font{7.5};
const Font legend_font{8.5};
const Rgb axis_grey{0.15, 0.15, 0.15};
constexpr double margin = 4;
constexpr double swatch = 9;

// Lines of `text` no wider than `width`: wrapped at spaces, a word still too wide after
// its hyphens, and a part still too wide between characters (UTF-8 sequences kept whole).
std::vector<std::string> wrap_hard(const Font& font, const std::string& text, double width) {
    std::vector<std::string> out;
    // A piece too wide, broken between characters; else as it is.
    auto emit = [&](const std::string& piece) {
        if (piece.empty()) return;
        if (text_width(font, piece) <= width) {
            out.push_back(piece);
            return;
        }
        std::string chunk;
        for (size_t i = 0; i < piece.size();) {
            const auto lead = static_cast<unsigned char>(piece[i]);
            const size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            const std::string character = piece.substr(i, length);
            if (!chunk.empty() && text_width(font, chunk + character) > width) {
                out.push_back(chunk);
                chunk.clear();
            }
            chunk += character;
            i += length;
        }
        if (!chunk.empty()) out.push_back(chunk);
    };
    for (const std::string& line : wrap_text(font, text, width)) {
        if (text_width(font, line) <= width) {
            out.push_back(line);
            continue;
        }
        std::vector<std::string> parts{""};
        for (char c : line) {
            parts.back() += c;
            if (c == '-') parts.emplace_back();
        }
        std::string piece;
        for (const std::string& part : parts) {
            if (!piece.empty() && text_width(font, piece + part) > width) {
                emit(piece);
                piece.clear();
            }
            piece += part;
        }
        emit(piece);
    }
    return out;
}

bool all_fit(const Font& font, const std::vector<std::string>& texts, double width) {
    for (const std::string& text : texts)
        for (const std::string& line : wrap_text(font, text, width))
            if (text_width(font, line) > width) return false;
    return true;
}

struct Layout {
    double width = 0;
    double panel_left = 0, panel_right = 0, panel_top = 0, panel_bottom = 0;
    double legend_x = 0, height = 0, y_max = 100, y_step = 20;
    double slot = 0, bar_width = 0;
    int category_lines = 1;
    Font category_font = tick_font;
    Font note_font{8, false, false};
    double line_height = 11;
    std::vector<std::vector<std::string>> category_text;  // wrapped, one list per category
    std::vector<std::vector<std::string>> note_text;
    int note_lines = 0;
    double y_of(double value) const {
        return panel_bottom - value / y_max * (panel_bottom - panel_top);
    }
};

Layout make_layout(const BarChartInput& input) {
    Layout layout;
    double data_max = 0;
    for (size_t c = 0; c < input.categories.size(); ++c) {
        double total = 0;
        for (const BarSeries& series : input.series) {
            double value = std::isfinite(series.values[c]) ? series.values[c] : 0;
            total += value;
            data_max = std::max(data_max, value);
        }
        if (input.stacked) data_max = std::max(data_max, total);
    }
    layout.y_max = input.y_max > 0 ? input.y_max
                   : input.stacked ? std::max(100.0, std::ceil(data_max / 10 - 1e-9) * 10)
                                   : std::max(10.0, std::ceil(data_max * 1.08 / 10) * 10);
    for (double step : {1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0}) {
        layout.y_step = step;
        if (layout.y_max / step <= 6) break;
    }
    double tick_width = 0;
    for (double v = 0; v <= layout.y_max + 1e-9; v += layout.y_step)
        tick_width = std::max(tick_width, text_width(tick_font, tick_label(v)));
    const double label_height = font_ascent(label_font) + font_descent(label_font);
    layout.panel_left = margin + label_height + 6 + tick_width + 6;
    // One series needs no legend: the axis label names it.
    double legend_width = 0;
    if (input.series.size() > 1)
        for (const BarSeries& series : input.series)
            legend_width = std::max(legend_width, swatch + 5 + text_width(legend_font, series.label));
    // A long legend widens the figure rather than squeeze the bars below 50 pt each.
    const double min_panel = std::max(120.0, 50.0 * static_cast<double>(input.categories.size()) *
                                                 (input.stacked ? 1.0 : 0.6 * static_cast<double>(input.series.size())));
    layout.width = std::max(input.width_pt, layout.panel_left + min_panel + 14 + legend_width + margin);
    layout.legend_x = layout.width - margin - legend_width;
    layout.panel_right = layout.legend_x - (legend_width > 0 ? 14 : 0);
    layout.panel_top = margin + 8;
    layout.panel_bottom = layout.panel_top + input.panel_height_pt;
    layout.slot = (layout.panel_right - layout.panel_left) / std::max<double>(1, static_cast<double>(input.categories.size()));
    const double group_width = layout.slot * 0.7;
    layout.bar_width = input.stacked ? std::min(group_width, 60.0)
                                     : std::min(group_width / std::max<double>(1, static_cast<double>(input.series.size())), 40.0);
    // Labels that never overlap (bar_chart.hpp): smaller until every wrapped line fits.
    const double room = layout.slot - 4;
    for (double size = tick_font.size; size >= 6.5 - 1e-9; size -= 0.5) {
        layout.category_font = Font{size};
        if (all_fit(layout.category_font, input.categories, room) && all_fit(Font{std::min(8.0, size)}, input.category_notes, room)) break;
    }
    layout.note_font = Font{std::min(8.0, layout.category_font.size)};
    layout.line_height = 11 * layout.category_font.size / tick_font.size;
    for (const std::string& category : input.categories) {
        layout.category_text.push_back(wrap_hard(layout.category_font, category, room));
        layout.category_lines = std::max(layout.category_lines, static_cast<int>(layout.category_text.back().size()));
    }
    for (const std::string& note : input.category_notes) {
        layout.note_text.push_back(wrap_hard(layout.note_font, note, room));
        layout.note_lines = std::max(layout.note_lines, static_cast<int>(layout.note_text.back().size()));
    }
    layout.height = layout.panel_bottom + 6 + layout.line_height * layout.category_lines +
                    (input.category_notes.empty() ? 0 : 11.0 * layout.note_font.size / 8 * layout.note_lines) + 2 + margin;
    return layout;
}

Rgb series_fill(const BarChartInput& input, size_t s) { return s < input.colours.size() ? input.colours[s] : fill_colour(s); }

void draw_bars(cairo_t* cr, const BarChartInput& input, const Layout& layout) {
    cairo_set_line_width(cr, 0.5);
    for (size_t c = 0; c < input.categories.size(); ++c) {
        const double centre = layout.panel_left + layout.slot * (static_cast<double>(c) + 0.5);
        double base = 0;
        for (size_t s = 0; s < input.series.size(); ++s) {
            double value = input.series[s].values[c];
            if (!std::isfinite(value)) continue;
            double left = input.stacked ? centre - layout.bar_width / 2
                                        : centre - layout.bar_width * static_cast<double>(input.series.size()) / 2 +
                                              layout.bar_width * static_cast<double>(s);
            double bottom = input.stacked ? base : 0;
            double top = bottom + value;
            const Rgb fill = series_fill(input, s);
            cairo_rectangle(cr, left, layout.y_of(top), layout.bar_width, layout.y_of(bottom) - layout.y_of(top));
            set_colour(cr, fill);
            cairo_fill_preserve(cr);
            if (bar_hatched(s)) {
                cairo_save(cr);
                cairo_clip_preserve(cr);
                set_colour(cr, {1, 1, 1});
                cairo_set_line_width(cr, 0.9);
                const double y0 = layout.y_of(top), y1 = layout.y_of(bottom);
                for (double x = left - (y1 - y0); x < left + layout.bar_width; x += 4) {
                    cairo_move_to(cr, x, y1);
                    cairo_line_to(cr, x + (y1 - y0), y0);
                }
                cairo_stroke(cr);
                cairo_restore(cr);
            }
            set_colour(cr, {1, 1, 1});  // white separators keep stacked segments apart in greyscale
            cairo_set_line_width(cr, 0.5);
            cairo_stroke(cr);
            if (input.value_decimals >= 0 && value > 0) {
                std::string text = format_fixed(value, input.value_decimals) + input.value_suffix;
                double height = layout.y_of(bottom) - layout.y_of(top);
                double width = text_width(value_font, text);
                if (input.stacked) {
                    if (height >= 10 && width <= layout.bar_width - 2) {
                        set_colour(cr, luminance(fill) < 0.45 ? Rgb{1, 1, 1} : Rgb{0, 0, 0});
                        draw_text(cr, value_font, text, left + layout.bar_width / 2,
                                  (layout.y_of(bottom) + layout.y_of(top)) / 2, HAlign::centre, VAlign::middle);
                    }
                } else {
                    set_colour(cr, okabe_ito::black);
                    // Narrow bars get their label turned upright.
                    if (width <= layout.bar_width + 4)
                        draw_text(cr, value_font, text, left + layout.bar_width / 2, layout.y_of(top) - 2,
                                  HAlign::centre, VAlign::bottom);
                    else
                        draw_text(cr, value_font, text, left + layout.bar_width / 2, layout.y_of(top) - 2,
                                  HAlign::left, VAlign::middle, -M_PI / 2);
                }
            }
            base = top;
        }
    }
}

void draw_chart(cairo_t* cr, const BarChartInput& input, const Layout& layout) {
    draw_bars(cr, input, layout);
    set_colour(cr, axis_grey);
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, layout.panel_left, layout.panel_top);
    cairo_line_to(cr, layout.panel_left, layout.panel_bottom);
    cairo_line_to(cr, layout.panel_right, layout.panel_bottom);
    cairo_stroke(cr);
    for (double v = 0; v <= layout.y_max + 1e-9; v += layout.y_step) {
        double y = layout.y_of(v);
        cairo_move_to(cr, layout.panel_left, y);
        cairo_line_to(cr, layout.panel_left - 4, y);
        cairo_stroke(cr);
        draw_text(cr, tick_font, tick_label(v), layout.panel_left - 6, y, HAlign::right, VAlign::middle);
    }
    for (size_t c = 0; c < input.categories.size(); ++c) {
        const double centre = layout.panel_left + layout.slot * (static_cast<double>(c) + 0.5);
        double y = layout.panel_bottom + 6;
        for (const std::string& line : layout.category_text[c]) {
            draw_text(cr, layout.category_font, line, centre, y, HAlign::centre, VAlign::top);
            y += layout.line_height;
        }
        if (c < layout.note_text.size()) {
            y = layout.panel_bottom + 6 + layout.line_height * layout.category_lines;
            for (const std::string& line : layout.note_text[c]) {
                draw_text(cr, layout.note_font, line, centre, y, HAlign::centre, VAlign::top);
                y += 11.0 * layout.note_font.size / 8;
            }
        }
    }
    draw_text(cr, label_font, input.y_label, margin + font_ascent(label_font),
              (layout.panel_top + layout.panel_bottom) / 2, HAlign::centre, VAlign::baseline, -M_PI / 2);
    // Legend in stack order: the top segment's series first.
    double y = layout.panel_top + 4;
    for (size_t k = 0; k < input.series.size() && input.series.size() > 1; ++k) {
        size_t s = input.stacked ? input.series.size() - 1 - k : k;
        cairo_rectangle(cr, layout.legend_x, y, swatch, swatch);
        set_colour(cr, series_fill(input, s));
        cairo_fill_preserve(cr);
        if (bar_hatched(s)) {
            cairo_save(cr);
            cairo_clip_preserve(cr);
            set_colour(cr, {1, 1, 1});
            cairo_set_line_width(cr, 0.9);
            for (double x = layout.legend_x - swatch; x < layout.legend_x + swatch; x += 4) {
                cairo_move_to(cr, x, y + swatch);
                cairo_line_to(cr, x + swatch, y);
            }
            cairo_stroke(cr);
            cairo_restore(cr);
        }
        set_colour(cr, axis_grey);
        cairo_set_line_width(cr, 0.4);
        cairo_stroke(cr);
        set_colour(cr, okabe_ito::black);
        draw_text(cr, legend_font, input.series[s].label, layout.legend_x + swatch + 5, y + swatch / 2,
                  HAlign::left, VAlign::middle);
        y += 14;
    }
}

}  // namespace

Figure bar_chart(const BarChartInput& input) {
    for (const BarSeries& series : input.series)
        if (series.values.size() != input.categories.size())
            throw UsageError("bar_chart: series '" + series.label + "' has " +
                             std::to_string(series.values.size()) + " values for " +
                             std::to_string(input.categories.size()) + " categories");
    auto shared_input = std::make_shared<const BarChartInput>(input);
    Layout layout = make_layout(input);
    Figure figure;
    figure.width_pt = layout.width;
    figure.height_pt = layout.height;
    figure.draw = [shared_input, layout](cairo_t* cr) { draw_chart(cr, *shared_input, layout); };
    return figure;
}

}  // namespace rwe::report
