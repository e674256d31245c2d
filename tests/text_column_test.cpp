// TextColumn: a column of text values stored as codes into a dictionary of its distinct
// values (ADSL's text, flag and date variables).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "rwe/study/text_column.hpp"

namespace {

using rwe::study::TextColumn;

// Values looked up by a scan while the dictionary is small and by the hash table once it
// is not: every row reads back its value, each distinct value has one code, and the codes
// number the values in order of first appearance (code 0 the empty string).
TEST(TextColumn, CodesAreTheSameAcrossTheSmallAndLargeDictionary) {
    std::vector<std::string> distinct;
    for (int k = 0; k < 30; ++k) distinct.push_back("level " + std::to_string(k));
    std::mt19937 generator(3);
    std::vector<std::string> rows;
    for (int row = 0; row < 2000; ++row) {
        const auto pick = generator() % (distinct.size() + 1);
        rows.push_back(pick == distinct.size() ? std::string() : distinct[pick]);
    }
    TextColumn column;
    for (const auto& value : rows) column.push_back(value);
    ASSERT_EQ(column.size(), rows.size());
    std::vector<std::string> first_seen{std::string()};
    for (std::size_t row = 0; row < rows.size(); ++row) {
        EXPECT_EQ(column[row], rows[row]) << row;
        if (std::find(first_seen.begin(), first_seen.end(), rows[row]) == first_seen.end()) first_seen.push_back(rows[row]);
    }
    EXPECT_EQ(column.dictionary(), first_seen);
    for (std::size_t row = 0; row < rows.size(); ++row) {
        EXPECT_EQ(column.dictionary()[column.code(row)], rows[row]);
        EXPECT_EQ(column.intern(rows[row]), column.code(row)) << row;
    }
    EXPECT_EQ(column.dictionary(), first_seen);  // intern of known values adds nothing
}

// intern() and push_code() give the rows push_back() gives.
TEST(TextColumn, InternAndPushCodeEqualPushBack) {
    TextColumn pushed, coded;
    for (const char* value : {"2015-01-15", "", "2016-03-01", "2015-01-15", "N", "Y", "N"}) {
        pushed.push_back(value);
        coded.push_code(coded.intern(value));
    }
    ASSERT_EQ(pushed.size(), coded.size());
    for (std::size_t row = 0; row < pushed.size(); ++row) {
        EXPECT_EQ(pushed[row], coded[row]);
        EXPECT_EQ(pushed.code(row), coded.code(row));
    }
    const auto code = coded.intern("new");
    EXPECT_EQ(code, coded.dictionary().size() - 1);
    EXPECT_EQ(coded.dictionary().back(), "new");
    EXPECT_EQ(coded.size(), pushed.size());  // intern adds no row
}

}  // namespace
