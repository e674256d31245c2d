#pragma once
// Drawing vocabulary shared by the figures: the palette, line styles, markers and text
// placement. Every figure uses DejaVu Sans (Debian's fonts-dejavu-core), embedded by
// cairo into the SVG and PDF as glyph outlines, so a figure looks the same everywhere.

#include <cairo.h>

#include <string>
#include <string_view>
#include <vector>

#include "rwe/report/layout.hpp"

namespace rwe::report {

struct Rgb {
    double r = 0, g = 0, b = 0;
};

// Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour
// vision deficiencies. Lines also differ by dash pattern and marker, so they survive
// greyscale printing too; see line_style().
namespace okabe_ito {
inline constexpr Rgb black{0, 0, 0};
inline constexpr Rgb orange{0xE6 / 255.0, 0x9F / 255.0, 0x00 / 255.0};
inline constexpr Rgb sky_blue{0x56 / 255.0, 0xB4 / 255.0, 0xE9 / 255.0};
inline constexpr Rgb bluish_green{0x00 / 255.0, 0x9E / 255.0, 0x73 / 255.0};
inline constexpr Rgb yellow{0xF0 / 255.0, 0xE4 / 255.0, 0x42 / 255.0};
inline constexpr Rgb blue{0x00 / 255.0, 0x72 / 255.0, 0xB2 / 255.0};
inline constexpr Rgb vermillion{0xD5 / 255.0, 0x5E / 255.0, 0x00 / 255.0};
inline constexpr Rgb reddish_purple{0xCC / 255.0, 0x79 / 255.0, 0xA7 / 255.0};
}  // namespace okabe_ito

enum class Marker { plus, cross, vertical_bar, diamond, circle, triangle };

struct LineStyle {
    Rgb colour;
    std::vector<double> dash;  // empty = solid; lengths in points
    Marker censor_mark;
};

// Style of the i-th line series: blue solid, vermillion dashed, black dotted, green
// dash-dot, … (cycling after six).
LineStyle line_style(size_t index);

// Fill of the i-th bar series: blue, orange, yellow, black (luminances 0.37, 0.64, 0.86,
// 0: distinct in greyscale), then vermillion, sky blue, green, purple drawn hatched.
Rgb fill_colour(size_t index);
bool bar_hatched(size_t index);

// Relative luminance (ITU-R BT.709 weights), used to pick black or white text on a fill.
double luminance(const Rgb& colour);

struct Font {
    double size = 9;  // points
    bool bold = false;
    bool italic = false;
};

enum class HAlign { left, centre, right };
enum class VAlign { top, middle, baseline, bottom };

void set_colour(cairo_t* cr, const Rgb& colour, double alpha = 1.0);
void set_font(cairo_t* cr, const Font& font);

// Advance width of `text` in points (unhinted metrics, identical on every surface).
double text_width(const Font& font, std::string_view text);
// Ascent and descent of the font in points.
double font_ascent(const Font& font);
double font_descent(const Font& font);

// Draws `text` anchored at (x, y); with `angle` (radians) the anchor box is rotated.
void draw_text(cairo_t* cr, const Font& font, std::string_view text, double x, double y,
               HAlign h = HAlign::left, VAlign v = VAlign::baseline, double angle = 0);

// Text drawn by draw_text() on this thread while a recorder is alive, with the box it
// covers in figure points (rotated text: the box around the rotated box). Figures draw
// text as glyph outlines, so this is how tests read what a figure says and where.
struct DrawnText {
    std::string text;
    Box box;
    double angle = 0;
};
class TextRecorder {
public:
    TextRecorder();
    ~TextRecorder();
    TextRecorder(const TextRecorder&) = delete;
    TextRecorder& operator=(const TextRecorder&) = delete;
    std::vector<DrawnText> texts;
private:
    TextRecorder* previous_;
};

// Splits text at spaces into lines no wider than max_width (a single word wider than
// max_width gets a line of its own). Explicit '\n' starts a new line.
std::vector<std::string> wrap_text(const Font& font, std::string_view text, double max_width);

// Adds the marker's outline to the current path; the caller strokes (once for many
// markers, which keeps SVG and PDF files small).
void draw_marker(cairo_t* cr, Marker marker, double x, double y, double size);

// Number formatting for figure labels: fixed decimals, a real minus sign, no "-0".
std::string format_fixed(double value, int decimals);
// p-values as journals print them, to two significant digits: "<0.001", "0.0043", "0.043",
// "0.21", ">0.99"; "NA" when not a number. For a table's p column.
std::string format_p_number(double p);
// The same in running text and figure annotations: "p < 0.001", "p = 0.043", "p > 0.99".
std::string format_p_value(double p);

}  // namespace rwe::report
