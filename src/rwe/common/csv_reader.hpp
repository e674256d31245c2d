#pragma once
// Streaming RFC 4180 reader for plain or gzip-compressed CSV files.
//
// - comma separated, `"` quoting, `""` for a quote inside a quoted field;
// - records end with LF, CRLF or a lone CR; quoted fields may hold commas, quotes and
//   line breaks;
// - a UTF-8 byte-order mark at the start is skipped; empty lines are skipped;
// - gzip input is recognised by its magic bytes (not its name) and decompressed on the fly,
//   one chunk ahead on a second thread while the current chunk is parsed.
// Memory is bounded by two chunks and the longest record (at most 64 MiB), not by the file
// size. Only regular files are read (a FIFO or a device is an IoError); a gzip stream cut
// short or followed by other bytes is an IoError.
//
// A quote inside an unquoted field, text after a closing quote, and a quoted field that
// is still open at end of file are InputErrors naming the file and line.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rwe {

class CsvReader {
public:
    // Opens `path` ("-" is not supported); throws IoError when it cannot be read.
    explicit CsvReader(std::string path, std::size_t chunk_bytes = std::size_t{1} << 20);
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    // Reads the next record into `fields` (views valid until the next call). Returns false
    // at end of file. The first record of a file is normally its header.
    bool next(std::vector<std::string_view>& fields);

    // Physical line (1-based) on which the last record returned by next() starts.
    std::size_t line() const noexcept { return record_line_; }
    // Bytes of (decompressed) input consumed so far, for progress reports.
    std::size_t bytes_read() const noexcept { return consumed_; }
    // Bytes of (decompressed) input before the next record.
    std::size_t position() const noexcept { return consumed_ - (len_ - pos_); }
    // The decompressed size of the whole input, for sizing what is read into (0 when
    // unknown): a plain file's size, or the size a gzip file records in its last four
    // bytes (exact for one gzip member under 4 GiB, a hint otherwise).
    std::size_t size_hint() const;
    const std::string& path() const noexcept { return path_; }

private:
    bool fill();

    std::string path_;
    struct GzHandle;
    std::unique_ptr<GzHandle> file_;
    std::vector<char> buffer_;
    std::size_t pos_ = 0;
    std::size_t len_ = 0;
    std::size_t consumed_ = 0;
    std::size_t line_ = 1;
    std::size_t record_line_ = 0;
    bool eof_ = false;
    bool first_chunk_ = true;
    bool skip_lf_ = false;
    std::string storage_;
    std::vector<std::size_t> ends_;
};

// True for the values that mean "missing" in a CSV cell: empty, or R's `NA`.
inline bool is_missing_cell(std::string_view cell) { return cell.empty() || cell == "NA"; }

// Parses a whole cell as a finite or infinite double; false when it is not a number.
bool parse_double(std::string_view cell, double& value);

}  // namespace rwe
