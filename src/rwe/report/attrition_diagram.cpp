#include "rwe/report/attrition_diagram.hpp"

#include <algorithm>
#include <memory>

#include "rwe/common/error.hpp"
#include "rwe/report/drawing.hpp"

namespace rwe::report {
namespace {

const Font box_font{9};
const Font box_bold{9, true};
constexpr double margin = 4;
constexpr double line_height = 12;
constexpr double padding = 6;
constexpr double min_gap = 26;

// No-break spaces keep "(n = 5)" on one line when a box wraps.
std::string count_text(long n) { return "(n\u00a0=\u00a0" + std::to_string(n) + ")"; }

struct TextBox {
    double x = 0, y = 0, width = 0, height = 0;
    std::vector<std::string> lines;
    std::vector<double> offsets;  // hanging indent of wrapped bullet lines
    size_t bold_lines = 0;        // leading lines drawn bold
};

const std::string bullet = "• ";

TextBox make_box(std::vector<std::string> lines, size_t bold_lines, double width) {
    TextBox box;
    box.width = width;
    for (size_t i = 0; i < lines.size(); ++i) {
        const Font& font = i < bold_lines ? box_bold : box_font;
        // A bullet's continuation lines align with its text, not with the bullet.
        const bool bulleted = lines[i].rfind(bullet, 0) == 0;
        const double hang = bulleted ? text_width(font, bullet) : 0;
        std::string text = bulleted ? lines[i].substr(bullet.size()) : lines[i];
        std::vector<std::string> wrapped = wrap_text(font, text, width - 2 * padding - hang);
        for (size_t k = 0; k < wrapped.size(); ++k) {
            box.lines.push_back(bulleted && k == 0 ? bullet + wrapped[k] : wrapped[k]);
            box.offsets.push_back(bulleted && k > 0 ? hang : 0);
            if (i < bold_lines) ++box.bold_lines;
        }
    }
    box.height = 2 * padding + line_height * static_cast<double>(box.lines.size()) - 2;
    return box;
}

struct Layout {
    std::vector<TextBox> main;
    std::vector<TextBox> side;  // side[i] belongs below main[i]; empty lines = none
    std::vector<TextBox> groups;
    double centre = 0, height = 0;
};

Layout make_layout(const AttritionInput& input) {
    Layout layout;
    const double width = input.width_pt;
    const double main_width = std::min(220.0, width * 0.46);
    layout.centre = margin + main_width / 2 + (input.final_groups.empty() ? 0 : 0);
    const double side_x = margin + main_width + 30;
    const double side_width = width - margin - side_x;
    double y = margin;
    for (size_t i = 0; i < input.steps.size(); ++i) {
        const AttritionStep& step = input.steps[i];
        TextBox box = make_box({step.label, count_text(step.n)}, 0, main_width);
        box.x = margin;
        box.y = y;
        y += box.height;
        layout.main.push_back(box);
        TextBox side;
        if (!step.excluded.empty() && i + 1 < input.steps.size()) {
            long total = 0;
            std::vector<std::string> lines{""};
            for (const AttritionCount& reason : step.excluded) {
                total += reason.n;
                lines.push_back(bullet + reason.label + " " + count_text(reason.n));
            }
            lines[0] = "Excluded " + count_text(total);
            side = make_box(lines, 1, side_width);
            side.x = side_x;
            side.y = y + 12;
            y = side.y + side.height + 12;
        } else if (i + 1 < input.steps.size()) {
            y += min_gap;
        }
        layout.side.push_back(side);
    }
    if (!input.final_groups.empty()) {
        y += 30;
        const size_t count = input.final_groups.size();
        const double gap = 10;
        const double group_width = std::min(160.0, (width - 2 * margin - gap * static_cast<double>(count - 1)) / static_cast<double>(count));
        const double total_width = group_width * static_cast<double>(count) + gap * static_cast<double>(count - 1);
        double x = std::max(margin, layout.centre - total_width / 2);
        double tallest = 0;
        for (const AttritionCount& group : input.final_groups) {
            TextBox box = make_box({group.label, count_text(group.n)}, 0, group_width);
            box.x = x;
            box.y = y;
            x += group_width + gap;
            tallest = std::max(tallest, box.height);
            layout.groups.push_back(box);
        }
        for (TextBox& box : layout.groups) box.height = tallest;
        y += tallest;
    }
    layout.height = y + margin;
    return layout;
}

void draw_box(cairo_t* cr, const TextBox& box, bool centred) {
    cairo_rectangle(cr, box.x, box.y, box.width, box.height);
    set_colour(cr, {1, 1, 1});
    cairo_fill_preserve(cr);
    set_colour(cr, {0.1, 0.1, 0.1});
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    for (size_t i = 0; i < box.lines.size(); ++i) {
        double y = box.y + padding + line_height * static_cast<double>(i);
        if (centred)
            draw_text(cr, i < box.bold_lines ? box_bold : box_font, box.lines[i], box.x + box.width / 2, y,
                      HAlign::centre, VAlign::top);
        else
            draw_text(cr, i < box.bold_lines ? box_bold : box_font, box.lines[i],
                      box.x + padding + box.offsets[i], y, HAlign::left, VAlign::top);
    }
}

void arrow(cairo_t* cr, double x0, double y0, double x1, double y1) {
    set_colour(cr, {0.1, 0.1, 0.1});
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    // Arrow head pointing along the segment (vertical or horizontal only).
    const double size = 5;
    double dx = x1 > x0 ? 1 : x1 < x0 ? -1 : 0;
    double dy = y1 > y0 ? 1 : y1 < y0 ? -1 : 0;
    cairo_move_to(cr, x1, y1);
    cairo_line_to(cr, x1 - dx * size - dy * size * 0.5, y1 - dy * size - dx * size * 0.5);
    cairo_line_to(cr, x1 - dx * size + dy * size * 0.5, y1 - dy * size + dx * size * 0.5);
    cairo_close_path(cr);
    cairo_fill(cr);
}

void draw_diagram(cairo_t* cr, const Layout& layout) {
    for (size_t i = 0; i < layout.main.size(); ++i) {
        const TextBox& box = layout.main[i];
        const double x = box.x + box.width / 2;
        if (i + 1 < layout.main.size())
            arrow(cr, x, box.y + box.height, x, layout.main[i + 1].y);
        const TextBox& side = layout.side[i];
        if (!side.lines.empty())
            arrow(cr, x, side.y + std::min(side.height / 2, 14.0), side.x, side.y + std::min(side.height / 2, 14.0));
    }
    if (!layout.groups.empty()) {
        const TextBox& last = layout.main.back();
        const double x = last.x + last.width / 2;
        const double branch_y = last.y + last.height + 15;
        set_colour(cr, {0.1, 0.1, 0.1});
        cairo_set_line_width(cr, 0.8);
        cairo_move_to(cr, x, last.y + last.height);
        cairo_line_to(cr, x, branch_y);
        cairo_stroke(cr);
        const TextBox& first_group = layout.groups.front();
        const TextBox& last_group = layout.groups.back();
        cairo_move_to(cr, std::min(x, first_group.x + first_group.width / 2), branch_y);
        cairo_line_to(cr, std::max(x, last_group.x + last_group.width / 2), branch_y);
        cairo_stroke(cr);
        for (const TextBox& group : layout.groups)
            arrow(cr, group.x + group.width / 2, branch_y, group.x + group.width / 2, group.y);
    }
    for (size_t i = 0; i < layout.main.size(); ++i) {
        draw_box(cr, layout.main[i], true);
        if (!layout.side[i].lines.empty()) draw_box(cr, layout.side[i], false);
    }
    for (const TextBox& group : layout.groups) draw_box(cr, group, true);
}

}  // namespace

Figure attrition_diagram(const AttritionInput& input) {
    for (size_t i = 0; i + 1 < input.steps.size(); ++i) {
        long excluded = 0;
        for (const AttritionCount& reason : input.steps[i].excluded) excluded += reason.n;
        if (input.steps[i].n - excluded != input.steps[i + 1].n)
            throw UsageError("attrition_diagram: '" + input.steps[i].label + "' (" +
                             std::to_string(input.steps[i].n) + ") minus " + std::to_string(excluded) +
                             " excluded is not '" + input.steps[i + 1].label + "' (" +
                             std::to_string(input.steps[i + 1].n) + ")");
    }
    if (!input.final_groups.empty() && !input.steps.empty()) {
        long total = 0;
        for (const AttritionCount& group : input.final_groups) total += group.n;
        if (total != input.steps.back().n)
            throw UsageError("attrition_diagram: groups sum to " + std::to_string(total) + ", not " +
                             std::to_string(input.steps.back().n));
    }
    Layout layout = make_layout(input);
    Figure figure;
    figure.width_pt = input.width_pt;
    figure.height_pt = layout.height;
    figure.draw = [layout](cairo_t* cr) { draw_diagram(cr, layout); };
    return figure;
}

}  // namespace rwe::report
