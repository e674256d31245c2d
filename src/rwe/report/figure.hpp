#pragma once
// A figure is drawn once, by one function, onto whichever cairo surface is asked for:
// SVG for the HTML page, PDF for manuscripts, PNG at 300 dpi for journals that want
// bitmaps. Sizes are in points (1/72 inch), the unit of the vector surfaces.

#include <cairo.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace rwe::report {

struct Figure {
    double width_pt = 0;
    double height_pt = 0;
    std::function<void(cairo_t*)> draw;  // draws in points, origin top-left
};

// SVG text. Cairo numbers its ids (glyphs, clips, surfaces) from process-wide counters,
// so ids are renamed in order of first appearance, prefixed with `id_prefix`: the same
// figure gives the same bytes whatever was drawn before it, and two figures inlined in
// one HTML page (a single id namespace) do not capture each other's glyphs.
std::string render_svg(const Figure& figure, std::string_view id_prefix = "f");

// PDF bytes with fonts embedded as subsets and a fixed creation date (2000-01-01), so
// the same figure gives the same bytes.
std::string render_pdf(const Figure& figure);

// PNG bytes at `dpi` (pixel size = round(points / 72 * dpi)) with a pHYs chunk that
// records the resolution, which journals' submission checks read.
std::string render_png(const Figure& figure, double dpi = 300);

// A figure drawn as the pixels of its PNG. Drawing uses cairo, whose font caches allow one
// drawing thread at a time; encode() (row filters and deflate, rwe's own code) reads only
// the finished pixels, so it may run on another thread while the next figure is drawn.
class PngImage {
public:
    PngImage(cairo_surface_t* surface, double dpi);  // takes the surface
    PngImage(PngImage&& other) noexcept;
    PngImage(const PngImage&) = delete;
    PngImage& operator=(const PngImage&) = delete;
    PngImage& operator=(PngImage&&) = delete;
    ~PngImage();
    std::string encode() const;  // render_png's bytes

private:
    cairo_surface_t* surface_;
    double dpi_;
};
PngImage draw_png(const Figure& figure, double dpi = 300);

// Writes stem.svg, stem.pdf and stem.png. Each file is written to a temporary name and
// renamed, so a failure never leaves a half-written figure. Throws rwe::IoError.
void write_figure(const Figure& figure, const std::filesystem::path& stem, double dpi = 300);
// write_figure in two parts: draws the three on this thread (cairo) and returns the rest
// (the PNG's encoding and the writing of the files, no cairo call) for any thread to run.
std::function<void()> prepare_figure(const Figure& figure, const std::filesystem::path& stem, double dpi = 300);

// Writes bytes to `path` through a temporary file and a rename. Throws rwe::IoError.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace rwe::report
