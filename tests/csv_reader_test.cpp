// CSV reading: RFC 4180 quoting, line ends, BOM, gzip, and errors that name the line.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"

namespace {

std::string write_temp(const std::string& name, const std::string& bytes) {
    auto path = std::filesystem::temp_directory_path() / ("rwe_csv_test_" + name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
}

std::vector<std::vector<std::string>> read_all(const std::string& path, std::size_t chunk = 7) {
    rwe::CsvReader reader(path, chunk);
    std::vector<std::string_view> fields;
    std::vector<std::vector<std::string>> rows;
    while (reader.next(fields)) rows.emplace_back(fields.begin(), fields.end());
    return rows;
}

TEST(CsvReader, QuotesCommasNewlinesBomAndCrlf) {
    // Small chunks force records and quoted fields across buffer boundaries.
    auto path = write_temp("quotes.csv",
                           "\xEF\xBB\xBFid,note\r\n1,\"a, \"\"b\"\"\r\nc\"\r\n\r\n2,\r\n3,plain");
    auto rows = read_all(path);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "note"}));
    EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "a, \"b\"\r\nc"}));
    EXPECT_EQ(rows[2], (std::vector<std::string>{"2", ""}));
    EXPECT_EQ(rows[3], (std::vector<std::string>{"3", "plain"}));
}

TEST(CsvReader, LineNumbersCountLineBreaksInsideQuotes) {
    auto path = write_temp("lines.csv", "a,b\n1,\"x\ny\"\n2,z\n");
    rwe::CsvReader reader(path, 3);
    std::vector<std::string_view> fields;
    ASSERT_TRUE(reader.next(fields));
    EXPECT_EQ(reader.line(), 1u);
    ASSERT_TRUE(reader.next(fields));
    EXPECT_EQ(reader.line(), 2u);
    ASSERT_TRUE(reader.next(fields));
    EXPECT_EQ(reader.line(), 4u);
    EXPECT_FALSE(reader.next(fields));
}

TEST(CsvReader, UnterminatedQuoteNamesTheLine) {
    auto path = write_temp("open.csv", "a,b\n1,2\n3,\"open\n");
    try {
        read_all(path);
        FAIL() << "no error";
    } catch (const rwe::InputError& error) {
        EXPECT_NE(std::string(error.what()).find("open.csv:3: unterminated quoted field"),
                  std::string::npos)
            << error.what();
    }
}

TEST(CsvReader, StrayQuoteIsAnError) {
    EXPECT_THROW(read_all(write_temp("stray.csv", "a\nab\"c\n")), rwe::InputError);
    EXPECT_THROW(read_all(write_temp("after.csv", "a\n\"ab\"c\n")), rwe::InputError);
}

TEST(CsvReader, ReadsGzipByContent) {
    auto path = (std::filesystem::temp_directory_path() / "rwe_csv_test_gz.csv.gz").string();
    gzFile out = gzopen(path.c_str(), "wb");
    const std::string text = "time,status\n5,1\n8,0\n";
    gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
    gzclose(out);
    auto rows = read_all(path);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[2], (std::vector<std::string>{"8", "0"}));
}

TEST(CsvReader, MissingFileIsAnIoError) {
    EXPECT_THROW(rwe::CsvReader("/nonexistent/rwe.csv"), rwe::IoError);
}

TEST(ReadTable, NumericAndCategoricalColumns) {
    auto path = write_temp("table.csv", "time,status,group\n5,1,10\n8,NA,2\n,0,10\n3,1,\n");
    auto table = rwe::read_table(path, {{"time"}, {"status"}, {"group", rwe::ColumnRequest::Kind::categorical}});
    ASSERT_EQ(table.rows, 4u);
    const auto& time = table.numbers("time");
    EXPECT_EQ(time[0], 5);
    EXPECT_TRUE(std::isnan(time[2]));
    EXPECT_TRUE(std::isnan(table.numbers("status")[1]));
    const auto& group = table.category("group");
    EXPECT_TRUE(group.numeric);
    // Numeric levels sort as numbers: 2 before 10.
    EXPECT_EQ(group.levels, (std::vector<std::string>{"2", "10"}));
    EXPECT_EQ(group.codes, (std::vector<std::int32_t>{1, 0, 1, -1}));
}

// Each row's physical line, past empty lines and line breaks inside quotes; and columns
// sized from the input's size once 4096 rows are read (plain and gzip), without changing
// what is read.
TEST(ReadTable, LineOfEachRowAndSizedColumns) {
    auto path = write_temp("lines.csv", "t,note\n1,a\n\n2,\"two\nlines\"\n3,b\n\n\n4,c\n");
    auto table = rwe::read_table(path, {{"t"}});
    ASSERT_EQ(table.rows, 4u);
    EXPECT_EQ(table.line(0), 2u);
    EXPECT_EQ(table.line(1), 4u);
    EXPECT_EQ(table.line(2), 6u);
    EXPECT_EQ(table.line(3), 9u);
    std::string many = "t\n";
    for (int i = 0; i < 10000; ++i) many += std::to_string(i) + "\n";
    auto plain = rwe::read_table(write_temp("many.csv", many), {{"t"}});
    ASSERT_EQ(plain.rows, 10000u);
    EXPECT_EQ(plain.numbers("t")[9999], 9999);
    EXPECT_EQ(plain.line(9999), 10001u);
    EXPECT_LE(plain.numbers("t").capacity(), 11000u);  // sized, not doubled past the rows
    const auto gz = std::filesystem::temp_directory_path() / "rwe_csv_test_many.csv.gz";
    gzFile out = gzopen(gz.string().c_str(), "wb");
    gzwrite(out, many.data(), static_cast<unsigned>(many.size()));
    gzclose(out);
    auto packed = rwe::read_table(gz.string(), {{"t"}});
    ASSERT_EQ(packed.rows, 10000u);
    EXPECT_EQ(packed.numbers("t")[5000], 5000);
    EXPECT_LE(packed.numbers("t").capacity(), 11000u);
}

TEST(ReadTable, NonNumberNamesLineColumnAndValue) {
    auto path = write_temp("bad.csv", "time,status\n5,1\nfive,0\n");
    try {
        rwe::read_table(path, {{"time"}, {"status"}});
        FAIL() << "no error";
    } catch (const rwe::InputError& error) {
        EXPECT_NE(std::string(error.what()).find("bad.csv:3: time: not a number (five)"),
                  std::string::npos)
            << error.what();
    }
}

TEST(ReadTable, UnknownColumnIsAUsageError) {
    auto path = write_temp("cols.csv", "time,status\n5,1\n");
    EXPECT_THROW(rwe::read_table(path, {{"tme"}}), rwe::UsageError);
}

TEST(ReadTable, WrongFieldCountNamesTheLine) {
    auto path = write_temp("count.csv", "time,status\n5,1\n6\n");
    EXPECT_THROW(rwe::read_table(path, {{"time"}}), rwe::InputError);
}

}  // namespace

namespace {

// Whole records in a large buffer take the reader's copy-free fast path; tiny chunks take the
// full parser. Both must give the same fields and the same line numbers.
TEST(CsvReader, FastPathAgreesWithFullParserAtEveryChunkSize) {
    const std::string bytes =
        "\xEF\xBB\xBFtime,status,group\n1,0,a\r\n\n2,1,\"b,c\"\n3,,\"x\ny\"\r\n\r\n"
        "4,1,lone\r5,0,NA\n6,1, sp ace \n\"7\",1,q\"\"\n" "8,0,last";
    // (the line with q"" is an error in both paths: a quote inside an unquoted field)
    const auto path = write_temp("fastpath.csv", bytes.substr(0, bytes.find("\"7\"")) + "8,0,last");
    auto read = [&](std::size_t chunk) {
        rwe::CsvReader reader(path, chunk);
        std::vector<std::string_view> fields;
        std::vector<std::pair<std::size_t, std::vector<std::string>>> rows;
        while (reader.next(fields)) rows.push_back({reader.line(), {fields.begin(), fields.end()}});
        return rows;
    };
    // (Chunks of at least 3 bytes: the byte-order mark is recognised within the first chunk.)
    const auto reference = read(3);
    ASSERT_EQ(reference.size(), 8u);
    EXPECT_EQ(reference[0].second, (std::vector<std::string>{"time", "status", "group"}));
    EXPECT_EQ(reference[2].second, (std::vector<std::string>{"2", "1", "b,c"}));
    EXPECT_EQ(reference[3].second, (std::vector<std::string>{"3", "", "x\ny"}));
    EXPECT_EQ(reference[7].first, 11u);
    for (std::size_t chunk : {4u, 5u, 7u, 16u, 64u, 1u << 20}) {
        EXPECT_EQ(read(chunk), reference) << "chunk " << chunk;
    }
    // A file that is only a byte-order mark (or whose first chunk is only the mark).
    const auto bom = write_temp("bom_only.csv", "\xEF\xBB\xBF");
    EXPECT_TRUE(read_all(bom, 1u << 20).empty());
    EXPECT_TRUE(read_all(bom, 3).empty());
    const auto bad = write_temp("fastpath_bad.csv", "a,b\n1,q\"\"\n");
    EXPECT_THROW(read_all(bad, 1u << 20), rwe::InputError);
}

}  // namespace

TEST(CsvReader, CrlfInsideQuotesCountsOneLineAtEveryChunkBoundary) {
    // The quoted CRLF sits at every possible position relative to the buffer end.
    auto path = write_temp("crlf_quoted.csv", "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n");
    for (std::size_t chunk = 1; chunk <= 20; ++chunk) {
        rwe::CsvReader reader(path, chunk);
        std::vector<std::string_view> fields;
        ASSERT_TRUE(reader.next(fields));
        ASSERT_TRUE(reader.next(fields));
        EXPECT_EQ(reader.line(), 2u) << "chunk " << chunk;
        ASSERT_TRUE(reader.next(fields));
        EXPECT_EQ(reader.line(), 4u) << "chunk " << chunk;
        EXPECT_EQ(fields[1], "z");
    }
}
