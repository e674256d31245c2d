// The filter on rwe's standard output and error (cli/terminal_stream.hpp): what reaches the
// terminal holds no control character, and a UTF-8 character split across writes is kept whole.
#include <gtest/gtest.h>

#include <ostream>
#include <sstream>

#include "rwe/cli/terminal_stream.hpp"

using rwe::cli::TerminalStream;
using rwe::cli::terminal_stream_text;

TEST(TerminalStream, PlainTextLineBreaksTabsAndLettersPassUnchanged) {
    EXPECT_EQ(terminal_stream_text("a\tb\nMéd – ≥ 6 cycles 😀\n"), "a\tb\nMéd – ≥ 6 cycles 😀\n");
}

TEST(TerminalStream, ControlCharactersBecomeEscapes) {
    // ESC ] 0 ; … BEL retitles a terminal; ESC [ 2 J clears it; CR could overwrite a line.
    EXPECT_EQ(terminal_stream_text("x\x1b]0;pwned\x07y\r\x1b[2J"), "x\\x1B]0;pwned\\x07y\\x0D\\x1B[2J");
    // DEL, the C1 CSI (U+009B, bytes C2 9B) and invisible format characters as JSON escapes.
    EXPECT_EQ(terminal_stream_text("a\x7f" "b\xc2\x9b" "c\xe2\x80\x8b" "d\xe2\x80\xae" "e\xef\xbb\xbf"),
              "a\\u007Fb\\u009Bc\\u200Bd\\u202Ee\\uFEFF");
    // Bytes that are not UTF-8: a lone continuation byte, an overlong '/', a surrogate.
    EXPECT_EQ(terminal_stream_text("\x80|\xc0\xaf|\xed\xa0\x80"), "\\x80|\\xC0\\xAF|\\xED\\xA0\\x80");
    // A sequence cut by the end of the output is shown byte by byte.
    EXPECT_EQ(terminal_stream_text("ok\xe2\x80"), "ok\\xE2\\x80");
}

TEST(TerminalStream, CharacterSplitAcrossWritesAndFlushesIsKeptWhole) {
    std::ostringstream target;
    {
        TerminalStream filter(target.rdbuf());
        std::ostream out(&filter);
        out << "median \xe2" << std::flush;  // first byte of an en dash, then a flush
        EXPECT_EQ(target.str(), "median ");
        out << "\x80\x93 12.3" << std::flush;
        EXPECT_EQ(target.str(), "median – 12.3");
        // A long write flushed in the middle of a character.
        std::string long_text(4095, 'a');
        long_text += "é\n";
        out << long_text << std::flush;
        EXPECT_EQ(target.str(), "median – 12.3" + long_text);
        out << "\xe2\x80";  // cut at the end: written as bytes when the filter is flushed for good
    }
    EXPECT_EQ(target.str().substr(target.str().size() - 8), "\\xE2\\x80");
}
