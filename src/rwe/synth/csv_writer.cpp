#include "rwe/synth/csv_writer.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "rwe/common/cleanup.hpp"
#include "rwe/common/error.hpp"
#include "rwe/synth/civil_date.hpp"

namespace rwe::synth {

CsvWriter::CsvWriter(std::string path, const std::vector<std::string_view>& header,
                     std::size_t buffer_bytes)
    : path_(std::move(path)), temp_path_(path_ + ".partial"), buffer_(buffer_bytes) {
    file_ = std::fopen(temp_path_.c_str(), "wb");
    if (file_ == nullptr) {
        throw IoError(temp_path_ + ": cannot create (" + std::strerror(errno) + ")");
    }
    remove_on_signal_ = std::make_unique<RemoveOnSignal>(temp_path_);
    for (std::string_view column : header) text(column);
    end_row();
    rows_ = 0;
}

CsvWriter::~CsvWriter() {
    if (file_ != nullptr) std::fclose(file_);
    if (!committed_) {
        std::error_code ignored;
        std::filesystem::remove(temp_path_, ignored);
    }
}

void CsvWriter::put_slow(std::string_view s) {
    while (!s.empty()) {
        if (used_ == buffer_.size()) flush();
        const std::size_t n = std::min(s.size(), buffer_.size() - used_);
        std::memcpy(buffer_.data() + used_, s.data(), n);
        used_ += n;
        s.remove_prefix(n);
    }
}

void CsvWriter::text(std::string_view value) {
    separator();
    // One pass over the (short) field; find_first_of would scan it once per character.
    bool plain = true;
    for (char c : value) plain &= c != ',' && c != '"' && c != '\n' && c != '\r';
    if (plain) {
        put(value);
        return;
    }
    put('"');
    for (char c : value) {
        if (c == '"') put('"');
        put(c);
    }
    put('"');
}

void CsvWriter::integer(std::int64_t value) {
    separator();
    char digits[24];
    auto result = std::to_chars(digits, digits + sizeof digits, value);
    put(std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
}

void CsvWriter::date(int day_number) {
    separator();
    put(iso_date(day_number));
}

void CsvWriter::fixed(double value, int decimals) {
    separator();
    char digits[48];
    auto result = std::to_chars(digits, digits + sizeof digits, value, std::chars_format::fixed,
                                decimals);
    put(std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
}

void CsvWriter::end_row() {
    put('\n');
    first_field_ = true;
    ++rows_;
}

void CsvWriter::flush() {
    if (used_ == 0) return;
    if (std::fwrite(buffer_.data(), 1, used_, file_) != used_) {
        throw IoError(temp_path_ + ": cannot write (" + std::strerror(errno) + ")");
    }
    used_ = 0;
}

void CsvWriter::close() {
    if (file_ == nullptr) return;
    flush();
    const int status = std::fclose(file_);
    file_ = nullptr;
    if (status != 0) throw IoError(temp_path_ + ": cannot write (" + std::strerror(errno) + ")");
}

void CsvWriter::commit() {
    close();
    std::error_code error;
    std::filesystem::rename(temp_path_, path_, error);
    if (error) throw IoError(path_ + ": cannot rename from " + temp_path_ + " (" + error.message() + ")");
    committed_ = true;
}

}  // namespace rwe::synth
