#include "rwe/report/figure.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <system_error>

#include "rwe/common/error.hpp"

namespace rwe::report {
namespace {

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

void check_surface(cairo_surface_t* surface, const char* what) {
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        std::string message = std::string("cannot draw ") + what + ": " +
                              cairo_status_to_string(cairo_surface_status(surface));
        cairo_surface_destroy(surface);
        throw IoError(message);
    }
}

void draw_on(cairo_surface_t* surface, const Figure& figure, double scale) {
    cairo_t* cr = cairo_create(surface);
    cairo_scale(cr, scale, scale);
    // Unhinted metrics: text is measured identically on every surface and resolution,
    // so labels placed by measurement line up in the SVG, the PDF and the PNG alike.
    cairo_font_options_t* options = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, options);
    cairo_font_options_destroy(options);
    if (figure.draw) figure.draw(cr);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status != CAIRO_STATUS_SUCCESS)
        throw IoError(std::string("cannot draw figure: ") + cairo_status_to_string(status));
}

// Renames every id="…" in order of first appearance and rewrites the references to it
// (href="#…" and url(#…)).
std::string renumber_svg_ids(const std::string& svg, std::string_view prefix) {
    std::map<std::string, std::string> renamed;
    const std::string id_attr = " id=\"";
    for (size_t at = svg.find(id_attr); at != std::string::npos; at = svg.find(id_attr, at + 1)) {
        size_t begin = at + id_attr.size();
        size_t end = svg.find('"', begin);
        if (end == std::string::npos) break;
        std::string id = svg.substr(begin, end - begin);
        if (!renamed.count(id))
            renamed.emplace(id, std::string(prefix) + std::to_string(renamed.size() + 1));
    }
    std::string out;
    out.reserve(svg.size());
    size_t pos = 0;
    while (pos < svg.size()) {
        // Each reference form ends its id with a known delimiter.
        struct Form {
            const char* open;
            char close;
        };
        static constexpr Form forms[] = {{" id=\"", '"'}, {"href=\"#", '"'}, {"url(#", ')'}};
        size_t next = std::string::npos;
        const Form* form = nullptr;
        for (const Form& candidate : forms) {
            size_t found = svg.find(candidate.open, pos);
            if (found < next) {
                next = found;
                form = &candidate;
            }
        }
        if (!form) {
            out.append(svg, pos, std::string::npos);
            break;
        }
        size_t begin = next + std::char_traits<char>::length(form->open);
        size_t end = svg.find(form->close, begin);
        if (end == std::string::npos) {
            out.append(svg, pos, std::string::npos);
            break;
        }
        out.append(svg, pos, begin - pos);
        std::string id = svg.substr(begin, end - begin);
        auto it = renamed.find(id);
        out += it != renamed.end() ? it->second : id;
        pos = end;
    }
    return out;
}

uint32_t big_endian(const unsigned char* bytes) {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
           uint32_t{bytes[3]};
}

void put_big_endian(std::string& out, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

// PNG chunk layout (ISO/IEC 15948 §5.3): length, type, data, CRC-32 of type and data.
std::string with_physical_size(const std::string& png, double dpi) {
    const size_t ihdr_end = 8 + 4 + 4 + 13 + 4;
    if (png.size() < ihdr_end ||
        big_endian(reinterpret_cast<const unsigned char*>(png.data()) + 8) != 13)
        throw IoError("cannot draw PNG: unexpected header from cairo");
    auto pixels_per_metre = static_cast<uint32_t>(std::lround(dpi / 0.0254));
    std::string chunk = "pHYs";
    put_big_endian(chunk, pixels_per_metre);
    put_big_endian(chunk, pixels_per_metre);
    chunk += '\x01';  // unit: metre
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(chunk.data()),
                      static_cast<uInt>(chunk.size()));
    std::string out = png.substr(0, ihdr_end);
    put_big_endian(out, 9);
    out += chunk;
    put_big_endian(out, static_cast<uint32_t>(crc));
    out.append(png, ihdr_end, std::string::npos);
    return out;
}

}  // namespace

std::string render_svg(const Figure& figure, std::string_view id_prefix) {
    std::string svg;
    cairo_surface_t* surface = cairo_svg_surface_create_for_stream(
        append_to_string, &svg, figure.width_pt, figure.height_pt);
    check_surface(surface, "SVG");
    cairo_svg_surface_restrict_to_version(surface, CAIRO_SVG_VERSION_1_1);
    cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT);
    draw_on(surface, figure, 1.0);
    cairo_surface_finish(surface);
    cairo_status_t status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS)
        throw IoError(std::string("cannot write SVG: ") + cairo_status_to_string(status));
    return renumber_svg_ids(svg, id_prefix);
}

std::string render_pdf(const Figure& figure) {
    std::string pdf;
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(
        append_to_string, &pdf, figure.width_pt, figure.height_pt);
    check_surface(surface, "PDF");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                   "2000-01-01T00:00:00Z");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "rwe " RWE_VERSION);
    draw_on(surface, figure, 1.0);
    cairo_surface_finish(surface);
    cairo_status_t status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS)
        throw IoError(std::string("cannot write PDF: ") + cairo_status_to_string(status));
    return pdf;
}

std::string render_png(const Figure& figure, double dpi) {
    const double scale = dpi / 72.0;
    auto width = static_cast<int>(std::lround(figure.width_pt * scale));
    auto height = static_cast<int>(std::lround(figure.height_pt * scale));
    cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    check_surface(surface, "PNG");
    {
        // Opaque white background: journals reject transparent figures.
        cairo_t* cr = cairo_create(surface);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_destroy(cr);
    }
    draw_on(surface, figure, scale);
    std::string png;
    cairo_status_t status = cairo_surface_write_to_png_stream(surface, append_to_string, &png);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS)
        throw IoError(std::string("cannot write PNG: ") + cairo_status_to_string(status));
    return with_physical_size(png, dpi);
}

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
    std::filesystem::path temporary = path;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError("cannot write " + path.string() + ": cannot open for writing");
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw IoError("cannot write " + path.string() + ": write failed");
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw IoError("cannot write " + path.string() + ": " + error.message());
    }
}

void write_figure(const Figure& figure, const std::filesystem::path& stem, double dpi) {
    // Render all three before writing any, so a drawing failure writes nothing.
    std::string svg = render_svg(figure);
    std::string pdf = render_pdf(figure);
    std::string png = render_png(figure, dpi);
    auto with_extension = [&](const char* extension) {
        std::filesystem::path path = stem;
        path += extension;
        return path;
    };
    write_file_atomic(with_extension(".svg"), svg);
    write_file_atomic(with_extension(".pdf"), pdf);
    write_file_atomic(with_extension(".png"), png);
}

}  // namespace rwe::report
