#pragma once
// Buffered RFC 4180 CSV writer: a fixed buffer per file, flushed when full, so writing a
// million patients needs no memory that grows with the registry. Text fields are quoted
// only when they hold a comma, a quote or a line break (a quote doubled inside).
//
// The file is written under a temporary name and renamed by commit(), so a registry is
// never left half-written: a writer destroyed without commit() removes its file.

#include <cassert>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rwe {
class RemoveOnSignal;
}

namespace rwe::synth {

class CsvWriter {
public:
    CsvWriter(std::string path, const std::vector<std::string_view>& header,
              std::size_t buffer_bytes = std::size_t{1} << 20);
    ~CsvWriter();
    CsvWriter(const CsvWriter&) = delete;
    CsvWriter& operator=(const CsvWriter&) = delete;

    // Any text: quoted when it holds a comma, a quote or a line break.
    void text(std::string_view value);
    // A value that cannot hold those characters (the generator's own codes, ids and
    // numbers): written as is, without scanning. Precondition checked by assert.
    void code(std::string_view value) {
        assert(value.find_first_of(",\"\r\n") == std::string_view::npos);
        separator();
        put(value);
    }
    void integer(std::int64_t value);
    void date(int day_number);
    // A number with exactly `decimals` decimals (value >= 0), e.g. an ISH ratio 2.35.
    void fixed(double value, int decimals);
    void empty() { separator(); }
    void end_row();

    std::int64_t rows() const noexcept { return rows_; }
    const std::string& path() const noexcept { return path_; }

    // Flushes and closes the temporary file (throws IoError on failure).
    void close();
    // Renames the closed temporary file to its final path.
    void commit();

private:
    void separator() {
        if (!first_field_) put(',');
        first_field_ = false;
    }
    void put(char c) {
        if (used_ == buffer_.size()) flush();
        buffer_[used_++] = c;
    }
    void put(std::string_view s) {
        if (s.size() <= buffer_.size() - used_) {  // the common case: fits in the buffer
            std::memcpy(buffer_.data() + used_, s.data(), s.size());
            used_ += s.size();
        } else {
            put_slow(s);
        }
    }
    void put_slow(std::string_view s);
    void flush();

    std::string path_;
    std::string temp_path_;
    std::unique_ptr<RemoveOnSignal> remove_on_signal_;  // the .partial file, on SIGINT/SIGTERM/SIGHUP
    std::FILE* file_ = nullptr;
    std::vector<char> buffer_;
    std::size_t used_ = 0;
    bool first_field_ = true;
    bool committed_ = false;
    std::int64_t rows_ = 0;
};

}  // namespace rwe::synth
