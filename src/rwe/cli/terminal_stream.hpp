#pragma once
// Everything rwe prints on standard output passes through this filter (main.cpp installs it
// on std::cout): a registry value that holds ESC could otherwise retitle or clear the
// user's terminal when it is printed as a group level or a covariate name, and a value with
// bidirectional or zero-width characters could be shown as something it is not.
//
// Shown as escapes: control characters other than line break and tab, and bytes that are
// not UTF-8, as \xHH (as in rwe's messages); DEL, C1 controls and invisible format
// characters (byte-order mark, zero-width and direction marks) as \uHHHH. The second form is
// a valid JSON escape of the same character, so `--format json` stays valid JSON with the
// same values (JSON output never holds raw C0 controls or invalid UTF-8: the writer escapes
// or rejects them).

#include <streambuf>
#include <string>

namespace rwe::cli {

class TerminalStream : public std::streambuf {
public:
    explicit TerminalStream(std::streambuf* target) : target_(target) {}
    TerminalStream(const TerminalStream&) = delete;
    TerminalStream& operator=(const TerminalStream&) = delete;
    ~TerminalStream() override { flush_pending(true); }

    // Writes what is pending, escaped; a UTF-8 sequence cut at the end waits for its rest
    // unless `final`.
    void flush_pending(bool final);

protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* data, std::streamsize size) override;
    int sync() override;

private:
    std::streambuf* target_;
    std::string pending_;
};

// The escaped form of `text` as TerminalStream writes it, for tests.
std::string terminal_stream_text(const std::string& text);

}  // namespace rwe::cli
