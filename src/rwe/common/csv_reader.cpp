#include "rwe/common/csv_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
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

namespace {
// Longer records are refused (a binary file or a runaway quote would otherwise be read
// into memory whole).
constexpr std::size_t max_record_bytes = std::size_t{64} << 20;
}  // namespace

// The decompressing reader. A second thread reads (and inflates) the next chunk into a spare
// buffer while the caller parses the current one; the buffers are swapped at each fill.
// Without a thread, chunks are read when asked for.
//
// gzip is inflated here rather than with gzread, which ignores bytes after the last member
// and reports a stream cut short only to a caller that asks gzerror: both are errors here
// ("truncated", "trailing data"), so a damaged download is never read as a shorter file.
struct CsvReader::GzHandle {
    int fd = -1;
    bool gzip = false;
    z_stream stream{};
    bool inflating = false;     // stream initialised
    bool member_done = false;   // between two gzip members (or after the last one)
    bool raw_eof = false;
    std::vector<unsigned char> input;
    std::thread worker;
    std::mutex mutex;
    std::condition_variable changed;
    bool requested = false, ready = false, stop = false;
    std::vector<char> spare;
    int got = 0;
    std::string error;

    // Raw bytes into `input`; false at the end of the file.
    bool read_raw(std::string& message) {
        for (;;) {
            const ssize_t n = ::read(fd, input.data(), input.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                message = std::strerror(errno);
                return false;
            }
            if (n == 0) raw_eof = true;
            stream.next_in = input.data();
            stream.avail_in = static_cast<uInt>(n);
            return n > 0;
        }
    }
    int read_into(std::vector<char>& buffer, std::string& message) {
        if (!gzip) {
            for (;;) {
                const ssize_t n = ::read(fd, buffer.data(), buffer.size());
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) message = std::strerror(errno);
                return n < 0 ? -1 : static_cast<int>(n);
            }
        }
        stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
        stream.avail_out = static_cast<uInt>(buffer.size());
        while (stream.avail_out > 0) {
            if (stream.avail_in == 0 && !raw_eof) {
                if (!read_raw(message) && !message.empty()) return -1;
            }
            if (member_done) {
                if (stream.avail_in == 0) break;  // the end of the file after a whole member
                if (stream.next_in[0] != 0x1f || (stream.avail_in > 1 && stream.next_in[1] != 0x8b)) {
                    message = "trailing bytes after the gzip data: a damaged or appended file";
                    return -1;
                }
                inflateReset(&stream);
                member_done = false;
                continue;
            }
            if (stream.avail_in == 0 && raw_eof) {
                message = "gzip data truncated: the file ends inside the compressed stream";
                return -1;
            }
            const int status = inflate(&stream, Z_NO_FLUSH);
            if (status == Z_STREAM_END) {
                member_done = true;
            } else if (status != Z_OK && !(status == Z_BUF_ERROR && stream.avail_in == 0)) {
                message = std::string("not valid gzip data (") + (stream.msg != nullptr ? stream.msg : "inflate failed") + ")";
                return -1;
            }
        }
        return static_cast<int>(buffer.size() - stream.avail_out);
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
        if (inflating) inflateEnd(&stream);
        if (fd >= 0) ::close(fd);
    }
};

CsvReader::CsvReader(std::string path, std::size_t chunk_bytes)
    : path_(std::move(path)), file_(std::make_unique<GzHandle>()), buffer_(chunk_bytes) {
    // Only regular files: a FIFO would block the reader forever, a device never ends.
    struct stat info{};
    if (::stat(path_.c_str(), &info) != 0) throw IoError(path_ + ": cannot open (" + std::strerror(errno) + ")");
    if (!S_ISREG(info.st_mode)) throw IoError(path_ + ": not a regular file (a folder, pipe or device)");
    file_->fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (file_->fd < 0) throw IoError(path_ + ": cannot open (" + std::strerror(errno) + ")");
    if (::fstat(file_->fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        throw IoError(path_ + ": not a regular file (a folder, pipe or device)");
    }
    ::fcntl(file_->fd, F_SETFL, ::fcntl(file_->fd, F_GETFL) & ~O_NONBLOCK);
    // gzip is recognised by its magic bytes; anything else is read as it is.
    unsigned char magic[2] = {0, 0};
    const ssize_t head = ::pread(file_->fd, magic, 2, 0);
    file_->gzip = head == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (file_->gzip) {
        file_->input.resize(1u << 18);
        if (inflateInit2(&file_->stream, 16 + MAX_WBITS) != Z_OK) throw IoError(path_ + ": cannot start inflating");
        file_->inflating = true;
    }
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
            if (pos_ == len_ && storage_.size() > max_record_bytes) {
                throw InputError(path_, record_line_, "",
                                 "a record longer than 64 MiB: not a CSV file, or a quote left open", "");
            }
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
