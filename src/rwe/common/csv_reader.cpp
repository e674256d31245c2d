#include "rwe/common/csv_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "rwe/common/error.hpp"

namespace rwe {

// The decompressing reader. A second thread reads (and inflates) the next chunk into a spare
// buffer while the caller parses the current one; the buffers are swapped at each fill.
// Without a thread, chunks are read when asked for.
struct CsvReader::GzHandle {
    gzFile file = nullptr;
    std::thread worker;
    std::mutex mutex;
    std::condition_variable changed;
    bool requested = false, ready = false, stop = false;
    std::vector<char> spare;
    int got = 0;
    std::string error;

    int read_into(std::vector<char>& buffer, std::string& message) {
        const int n = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
        if (n < 0) {
            int code = 0;
            const char* text = gzerror(file, &code);
            message = text != nullptr ? text : "unknown error";
        }
        return n;
    }
    void start(std::size_t chunk_bytes) {
        spare.resize(chunk_bytes);
        try {
            worker = std::thread([this] { run(); });
        } catch (const std::system_error&) {
            return;  // no second thread: read on demand
        }
        request();
    }
    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [this] { return requested || stop; });
            if (stop) return;
            lock.unlock();
            std::string message;
            const int n = read_into(spare, message);
            lock.lock();
            got = n;
            error = std::move(message);
            requested = false;
            ready = true;
            changed.notify_all();
        }
    }
    void request() {
        if (!worker.joinable()) return;
        {
            std::lock_guard guard(mutex);
            requested = true;
            ready = false;
        }
        changed.notify_all();
    }
    // The next chunk, in `buffer` (which becomes the spare); bytes, 0 at the end, -1 on error.
    int take(std::vector<char>& buffer, std::string& message) {
        if (!worker.joinable()) return read_into(buffer, message);
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return ready; });
        ready = false;
        buffer.swap(spare);
        message = error;
        return got;
    }
    ~GzHandle() {
        if (worker.joinable()) {
            {
                std::lock_guard guard(mutex);
                stop = true;
            }
            changed.notify_all();
            worker.join();
        }
        if (file != nullptr) gzclose(file);
    }
};

CsvReader::CsvReader(std::string path, std::size_t chunk_bytes)
    : path_(std::move(path)), file_(std::make_unique<GzHandle>()), buffer_(chunk_bytes) {
    // gzopen reads plain files unchanged ("transparent" mode), so one code path serves both.
    file_->file = gzopen(path_.c_str(), "rb");
    if (file_->file == nullptr) {
        throw IoError(path_ + ": cannot open (" + std::strerror(errno) + ")");
    }
    gzbuffer(file_->file, 1u << 18);
    file_->start(chunk_bytes);
}

CsvReader::~CsvReader() = default;

std::size_t CsvReader::size_hint() const {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path_.c_str(), "rb"), std::fclose);
    if (!in) return 0;
    unsigned char magic[2] = {0, 0};
    const bool gzip = std::fread(magic, 1, 2, in.get()) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (std::fseek(in.get(), 0, SEEK_END) != 0) return 0;
    const long size = std::ftell(in.get());
    if (size < 0) return 0;
    if (!gzip) return static_cast<std::size_t>(size);
    unsigned char trailer[4];
    if (size < 18 || std::fseek(in.get(), size - 4, SEEK_SET) != 0 || std::fread(trailer, 1, 4, in.get()) != 4) {
        return 0;
    }
    return static_cast<std::size_t>(trailer[0]) | static_cast<std::size_t>(trailer[1]) << 8 |
           static_cast<std::size_t>(trailer[2]) << 16 | static_cast<std::size_t>(trailer[3]) << 24;
}

bool CsvReader::fill() {
    if (eof_) return false;
    std::string message;
    const int got = file_->take(buffer_, message);
    if (got < 0) throw IoError(path_ + ": cannot read (" + message + ")");
    if (got == 0) {
        eof_ = true;
        return false;
    }
    file_->request();  // the chunk after this one, while this one is parsed
    pos_ = 0;
    len_ = static_cast<std::size_t>(got);
    if (first_chunk_) {
        first_chunk_ = false;
        if (len_ >= 3 && static_cast<unsigned char>(buffer_[0]) == 0xEF &&
            static_cast<unsigned char>(buffer_[1]) == 0xBB &&
            static_cast<unsigned char>(buffer_[2]) == 0xBF) {
            pos_ = 3;
            // A chunk that held only the mark leaves nothing to read: refill, so that callers
            // never see pos_ == len_ after a successful fill (they would read past the end).
            if (pos_ == len_) return fill();
        }
    }
    consumed_ += len_;
    return true;
}

bool CsvReader::next(std::vector<std::string_view>& fields) {
    enum class State { field_start, unquoted, quoted, after_quote };
    for (;;) {
        // Fast path for the common record: whole in the buffer, no quote, no lone CR. Its
        // fields are views into the buffer (valid until the next call, which is when the
        // buffer may be refilled), so nothing is copied. One pass over the bytes finds the
        // commas and the end of the record; anything unusual falls through to the full parser.
        if (!skip_lf_ && pos_ < len_) {
            const char* const begin = buffer_.data() + pos_;
            const char* const limit = buffer_.data() + len_;
            const char* field = begin;
            const char* end = nullptr;   // end of the record's text
            const char* after = nullptr; // first byte of the next record
            fields.clear();
            for (const char* p = begin; p < limit; ++p) {
                const char c = *p;
                if (c > '"' && c != ',') continue;  // the common byte: digits, letters, '.', '-'
                if (c == ',') {
                    fields.emplace_back(field, static_cast<std::size_t>(p - field));
                    field = p + 1;
                } else if (c == '\n') {
                    end = p;
                    after = p + 1;
                    break;
                } else if (c == '\r' && p + 1 < limit && p[1] == '\n') {
                    end = p;
                    after = p + 2;
                    break;
                } else if (c == '"' || c == '\r') {
                    break;  // quoted field or lone CR
                }
            }
            if (end != nullptr) {
                record_line_ = line_++;
                pos_ = static_cast<std::size_t>(after - buffer_.data());
                if (end == begin) continue;  // an empty line
                fields.emplace_back(field, static_cast<std::size_t>(end - field));
                return true;
            }
        }
        storage_.clear();
        ends_.clear();
        fields.clear();
        State state = State::field_start;
        bool any_char = false;  // the record has at least one byte (so it is not an empty line)
        bool done = false;
        record_line_ = line_;
        while (!done) {
            if (pos_ == len_ && !fill()) {
                if (state == State::quoted) {
                    throw InputError(path_, record_line_, "", "unterminated quoted field", "");
                }
                if (!any_char) return false;
                ends_.push_back(storage_.size());
                break;
            }
            const char c = buffer_[pos_++];
            if (skip_lf_) {
                skip_lf_ = false;
                if (c == '\n') continue;
            }
            switch (state) {
                case State::field_start:
                case State::unquoted:
                    if (c == ',') {
                        ends_.push_back(storage_.size());
                        state = State::field_start;
                        any_char = true;
                    } else if (c == '\n' || c == '\r') {
                        ++line_;
                        skip_lf_ = (c == '\r');
                        ends_.push_back(storage_.size());
                        done = true;
                    } else if (c == '"') {
                        if (state == State::unquoted) {
                            throw InputError(path_, record_line_, "",
                                             "quote inside an unquoted field", "");
                        }
                        state = State::quoted;
                        any_char = true;
                    } else {
                        // Fast path: copy the run of plain bytes up to the next delimiter.
                        std::size_t end = pos_;
                        while (end < len_) {
                            const char d = buffer_[end];
                            if (d == ',' || d == '\n' || d == '\r' || d == '"') break;
                            ++end;
                        }
                        storage_.push_back(c);
                        storage_.append(buffer_.data() + pos_, end - pos_);
                        pos_ = end;
                        state = State::unquoted;
                        any_char = true;
                    }
                    break;
                case State::quoted:
                    if (c == '"') {
                        state = State::after_quote;
                    } else {
                        // CR, LF and CRLF each end one line; the LF of a CRLF is not
                        // counted again, even when the pair straddles two buffer fills.
                        if (c == '\r' || (c == '\n' && storage_.empty()) ||
                            (c == '\n' && storage_.back() != '\r')) {
                            ++line_;
                        }
                        storage_.push_back(c);
                    }
                    break;
                case State::after_quote:
                    if (c == '"') {
                        storage_.push_back('"');
                        state = State::quoted;
                    } else if (c == ',') {
                        ends_.push_back(storage_.size());
                        state = State::field_start;
                    } else if (c == '\n' || c == '\r') {
                        ++line_;
                        skip_lf_ = (c == '\r');
                        ends_.push_back(storage_.size());
                        done = true;
                    } else {
                        throw InputError(path_, record_line_, "",
                                         "text after the closing quote of a field", "");
                    }
                    break;
            }
        }
        if (!any_char) continue;  // an empty line
        std::size_t begin = 0;
        fields.reserve(ends_.size());
        for (std::size_t end : ends_) {
            fields.emplace_back(storage_.data() + begin, end - begin);
            begin = end;
        }
        return true;
    }
}

bool parse_double(std::string_view cell, double& value) {
    if (cell.empty()) return false;
    const char* first = cell.data();
    const char* last = first + cell.size();
    if (*first == '+') ++first;  // from_chars rejects a leading plus
    if (first == last) return false;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) return false;
    return ec == std::errc() && ptr == last;
}

}  // namespace rwe
