#include "rwe/report/figure.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
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

void put_big_endian(std::string& out, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

// PNG chunk layout (ISO/IEC 15948 §5.3): length, type, data, CRC-32 of type and data.
void put_chunk(std::string& out, const char* type, std::string_view data) {
    put_big_endian(out, static_cast<uint32_t>(data.size()));
    const std::size_t start = out.size();
    out += type;
    out.append(data);
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start), static_cast<uInt>(out.size() - start));
    put_big_endian(out, static_cast<uint32_t>(crc));
}

// An opaque image surface as an 8-bit RGB PNG (ISO/IEC 15948) with its physical size
// (pHYs, pixels per metre): each row with filter type 1 (Sub: the difference from the pixel
// to its left, which is 0 across a figure's flat areas), deflated at zlib's level 6. The
// pixels are cairo's ARGB32, opaque (the figure is drawn on white), so no alpha channel.
std::string encode_png(const unsigned char* data, int width, int height, int stride, double dpi) {
    const std::size_t row_bytes = 1 + 3 * static_cast<std::size_t>(width);
    std::string raw(row_bytes * static_cast<std::size_t>(height), '\0');
    for (int y = 0; y < height; ++y) {
        const auto* pixel = reinterpret_cast<const uint32_t*>(data + static_cast<std::size_t>(y) * static_cast<std::size_t>(stride));
        char* row = raw.data() + static_cast<std::size_t>(y) * row_bytes;
        row[0] = 1;  // Sub
        unsigned char left[3] = {0, 0, 0};
        for (int x = 0; x < width; ++x) {
            const unsigned char rgb[3] = {static_cast<unsigned char>(pixel[x] >> 16), static_cast<unsigned char>(pixel[x] >> 8),
                                          static_cast<unsigned char>(pixel[x])};
            for (int c = 0; c < 3; ++c) {
                row[1 + 3 * x + c] = static_cast<char>(static_cast<unsigned char>(rgb[c] - left[c]));
                left[c] = rgb[c];
            }
        }
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string deflated(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                  static_cast<uLong>(raw.size()), 6) != Z_OK) {
        throw IoError("cannot write PNG: compression failed");
    }
    deflated.resize(size);
    std::string out("\x89PNG\r\n\x1a\n", 8);
    std::string header;
    put_big_endian(header, static_cast<uint32_t>(width));
    put_big_endian(header, static_cast<uint32_t>(height));
    header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, filtering 0, no interlace
    put_chunk(out, "IHDR", header);
    std::string physical;
    const auto pixels_per_metre = static_cast<uint32_t>(std::lround(dpi / 0.0254));
    put_big_endian(physical, pixels_per_metre);
    put_big_endian(physical, pixels_per_metre);
    physical += '\x01';  // unit: metre
    put_chunk(out, "pHYs", physical);
    put_chunk(out, "IDAT", deflated);
    put_chunk(out, "IEND", "");
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

PngImage::PngImage(cairo_surface_t* surface, double dpi) : surface_(surface), dpi_(dpi) {}

PngImage::PngImage(PngImage&& other) noexcept : surface_(other.surface_), dpi_(other.dpi_) { other.surface_ = nullptr; }

PngImage::~PngImage() {
    if (surface_ != nullptr) cairo_surface_destroy(surface_);
}

std::string PngImage::encode() const {
    return encode_png(cairo_image_surface_get_data(surface_), cairo_image_surface_get_width(surface_),
                      cairo_image_surface_get_height(surface_), cairo_image_surface_get_stride(surface_), dpi_);
}

PngImage draw_png(const Figure& figure, double dpi) {
    const double scale = dpi / 72.0;
    auto width = static_cast<int>(std::lround(figure.width_pt * scale));
    auto height = static_cast<int>(std::lround(figure.height_pt * scale));
    cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    check_surface(surface, "PNG");
    PngImage image(surface, dpi);
    {
        // Opaque white background: journals reject transparent figures.
        cairo_t* cr = cairo_create(surface);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_destroy(cr);
    }
    draw_on(surface, figure, scale);
    const cairo_status_t status = cairo_surface_status(surface);
    if (status != CAIRO_STATUS_SUCCESS) throw IoError(std::string("cannot write PNG: ") + cairo_status_to_string(status));
    cairo_surface_flush(surface);  // the pixels are final: encode() reads them only
    return image;
}

std::string render_png(const Figure& figure, double dpi) { return draw_png(figure, dpi).encode(); }

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

std::function<void()> prepare_figure(const Figure& figure, const std::filesystem::path& stem, double dpi) {
    // Draw all three before writing any, so a drawing failure writes nothing.
    auto svg = std::make_shared<std::string>(render_svg(figure));
    auto pdf = std::make_shared<std::string>(render_pdf(figure));
    auto png = std::make_shared<PngImage>(draw_png(figure, dpi));
    return [svg, pdf, png, stem] {
        const std::string png_bytes = png->encode();
        auto with_extension = [&](const char* extension) {
            std::filesystem::path path = stem;
            path += extension;
            return path;
        };
        write_file_atomic(with_extension(".svg"), *svg);
        write_file_atomic(with_extension(".pdf"), *pdf);
        write_file_atomic(with_extension(".png"), png_bytes);
    };
}

void write_figure(const Figure& figure, const std::filesystem::path& stem, double dpi) { prepare_figure(figure, stem, dpi)(); }

}  // namespace rwe::report
