#include "rwe/report/drawing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rwe::report {
namespace {

constexpr const char* font_family = "DejaVu Sans";

// A scratch context for measuring text before a figure's surface exists (figure sizes
// depend on label widths).
cairo_t* measuring_context() {
    static cairo_t* cr = [] {
        cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
        cairo_t* context = cairo_create(surface);
        cairo_surface_destroy(surface);
        cairo_font_options_t* options = cairo_font_options_create();
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
        cairo_set_font_options(context, options);
        cairo_font_options_destroy(options);
        return context;
    }();
    return cr;
}

thread_local TextRecorder* text_recorder = nullptr;

}  // namespace

TextRecorder::TextRecorder() : previous_(text_recorder) { text_recorder = this; }
TextRecorder::~TextRecorder() { text_recorder = previous_; }

LineStyle line_style(size_t index) {
    static const LineStyle styles[] = {
        {okabe_ito::blue, {}, Marker::plus},
        {okabe_ito::vermillion, {6, 3}, Marker::cross},
        {okabe_ito::black, {1.5, 2.5}, Marker::vertical_bar},
        {okabe_ito::bluish_green, {7, 2.5, 1.5, 2.5}, Marker::diamond},
        {okabe_ito::reddish_purple, {3, 2}, Marker::circle},
        {okabe_ito::orange, {10, 3}, Marker::triangle},
    };
    return styles[index % std::size(styles)];
}

Rgb fill_colour(size_t index) {
    // Luminance (BT.709) of blue 0.37, orange 0.64, yellow 0.86, black 0: at least 0.22
    // apart, so four stacked categories stay distinct in greyscale. Orange and sky blue
    // (both 0.64) are never neighbours here; from the fifth series on, fills are hatched
    // (see bar_hatched()).
    static const Rgb fills[] = {okabe_ito::blue,         okabe_ito::orange,   okabe_ito::yellow,
                                okabe_ito::black,        okabe_ito::vermillion, okabe_ito::sky_blue,
                                okabe_ito::bluish_green, okabe_ito::reddish_purple};
    return fills[index % std::size(fills)];
}

bool bar_hatched(size_t index) { return index % 8 >= 4; }

double luminance(const Rgb& colour) {
    return 0.2126 * colour.r + 0.7152 * colour.g + 0.0722 * colour.b;
}

void set_colour(cairo_t* cr, const Rgb& colour, double alpha) {
    if (alpha >= 1.0)
        cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
    else
        cairo_set_source_rgba(cr, colour.r, colour.g, colour.b, alpha);
}

void set_font(cairo_t* cr, const Font& font) {
    cairo_select_font_face(cr, font_family,
                           font.italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                           font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, font.size);
}

double text_width(const Font& font, std::string_view text) {
    cairo_t* cr = measuring_context();
    set_font(cr, font);
    std::string copy(text);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, copy.c_str(), &extents);
    return extents.x_advance;
}

double font_ascent(const Font& font) {
    cairo_t* cr = measuring_context();
    set_font(cr, font);
    cairo_font_extents_t extents;
    cairo_font_extents(cr, &extents);
    return extents.ascent;
}

double font_descent(const Font& font) {
    cairo_t* cr = measuring_context();
    set_font(cr, font);
    cairo_font_extents_t extents;
    cairo_font_extents(cr, &extents);
    return extents.descent;
}

void draw_text(cairo_t* cr, const Font& font, std::string_view text, double x, double y,
               HAlign h, VAlign v, double angle) {
    if (text.empty()) return;
    set_font(cr, font);
    std::string copy(text);
    cairo_text_extents_t text_extents;
    cairo_text_extents(cr, copy.c_str(), &text_extents);
    cairo_font_extents_t font_extents;
    cairo_font_extents(cr, &font_extents);
    double dx = 0;
    if (h == HAlign::centre) dx = -text_extents.x_advance / 2;
    if (h == HAlign::right) dx = -text_extents.x_advance;
    double dy = 0;  // offset of the baseline from the anchor
    switch (v) {
        case VAlign::top: dy = font_extents.ascent; break;
        case VAlign::middle: dy = (font_extents.ascent - font_extents.descent) / 2; break;
        case VAlign::baseline: dy = 0; break;
        case VAlign::bottom: dy = -font_extents.descent; break;
    }
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    cairo_move_to(cr, dx, dy);
    cairo_show_text(cr, copy.c_str());
    cairo_restore(cr);
    if (text_recorder != nullptr) {
        // The advance box from ascent to descent, rotated about the anchor, then the box
        // around its corners (in the figure's points: the surface's scale is left out).
        const double c = std::cos(angle), s = std::sin(angle);
        double left = 1e300, right = -1e300, top = 1e300, bottom = -1e300;
        for (double cx : {dx, dx + text_extents.x_advance}) {
            for (double cy : {dy - font_extents.ascent, dy + font_extents.descent}) {
                const double px = x + cx * c - cy * s, py = y + cx * s + cy * c;
                left = std::min(left, px);
                right = std::max(right, px);
                top = std::min(top, py);
                bottom = std::max(bottom, py);
            }
        }
        text_recorder->texts.push_back({copy, Box{left, top, right - left, bottom - top}, angle});
    }
}

std::vector<std::string> wrap_text(const Font& font, std::string_view text, double max_width) {
    std::vector<std::string> lines;
    size_t paragraph_start = 0;
    while (paragraph_start <= text.size()) {
        size_t paragraph_end = text.find('\n', paragraph_start);
        if (paragraph_end == std::string_view::npos) paragraph_end = text.size();
        std::string_view paragraph = text.substr(paragraph_start, paragraph_end - paragraph_start);
        std::string line;
        size_t word_start = 0;
        bool any_word = false;
        while (word_start < paragraph.size()) {
            size_t word_end = paragraph.find(' ', word_start);
            if (word_end == std::string_view::npos) word_end = paragraph.size();
            std::string_view word = paragraph.substr(word_start, word_end - word_start);
            word_start = word_end + 1;
            if (word.empty()) continue;
            std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
            if (!line.empty() && text_width(font, candidate) > max_width) {
                lines.push_back(line);
                line = std::string(word);
            } else {
                line = candidate;
            }
            any_word = true;
        }
        if (any_word || paragraph.empty()) lines.push_back(line);
        paragraph_start = paragraph_end + 1;
    }
    return lines;
}

void draw_marker(cairo_t* cr, Marker marker, double x, double y, double size) {
    const double half = size / 2;
    switch (marker) {
        case Marker::plus:
            cairo_move_to(cr, x - half, y);
            cairo_line_to(cr, x + half, y);
            cairo_move_to(cr, x, y - half);
            cairo_line_to(cr, x, y + half);
            break;
        case Marker::cross:
            cairo_move_to(cr, x - half * 0.8, y - half * 0.8);
            cairo_line_to(cr, x + half * 0.8, y + half * 0.8);
            cairo_move_to(cr, x - half * 0.8, y + half * 0.8);
            cairo_line_to(cr, x + half * 0.8, y - half * 0.8);
            break;
        case Marker::vertical_bar:
            cairo_move_to(cr, x, y - half * 1.2);
            cairo_line_to(cr, x, y + half * 1.2);
            break;
        case Marker::diamond:
            cairo_move_to(cr, x, y - half);
            cairo_line_to(cr, x + half * 0.8, y);
            cairo_line_to(cr, x, y + half);
            cairo_line_to(cr, x - half * 0.8, y);
            cairo_close_path(cr);
            break;
        case Marker::circle:
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, half * 0.75, 0, 2 * M_PI);
            break;
        case Marker::triangle:
            cairo_move_to(cr, x, y - half);
            cairo_line_to(cr, x + half, y + half * 0.7);
            cairo_line_to(cr, x - half, y + half * 0.7);
            cairo_close_path(cr);
            break;
    }
}

std::string format_fixed(double value, int decimals) {
    if (std::isnan(value)) return "NA";
    if (std::isinf(value)) return value > 0 ? "∞" : "−∞";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    std::string text = buffer;
    if (text[0] == '-') {
        bool all_zero = text.find_first_not_of("-0.") == std::string::npos;
        text = all_zero ? text.substr(1) : "−" + text.substr(1);
    }
    return text;
}

std::string format_p_number(double p) {
    if (std::isnan(p)) return "NA";
    if (p < 0.001) return "<0.001";
    if (p >= 0.995) return ">0.99";
    // Two significant digits: decimals = 1 − floor(log10 p); one fewer when rounding
    // carries into the next power of ten (0.0996 → 0.10, not 0.100).
    int decimals = 1 - static_cast<int>(std::floor(std::log10(p)));
    const double scale = std::pow(10.0, decimals);
    if (std::round(p * scale) >= std::pow(10.0, 2)) --decimals;
    return format_fixed(p, decimals);
}

std::string format_p_value(double p) {
    const std::string number = format_p_number(p);
    if (number.front() == '<' || number.front() == '>') return std::string("p ") + number.front() + " " + number.substr(1);
    return "p = " + number;
}

}  // namespace rwe::report
