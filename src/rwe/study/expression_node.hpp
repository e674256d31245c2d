#pragma once
// The tree of a parsed expression, shared by the parser (expression_parser.cpp) and the
// evaluator (expression.cpp); not part of the interface.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/study/expression.hpp"

namespace rwe::study {

struct Expression::Node {
    // The four types of the language and `none`: the type of the literal `missing` until a
    // case or coalesce around it, or the expected type of the whole expression, gives it one.
    // The first four are in the order of ValueType.
    enum class Type : unsigned char { number, text, date, boolean, none };
    enum class Op : unsigned char {
        missing,  // the literal `missing`
        literal,
        name,
        negate,  // number
        sum,
        product,
        logical_and,  // true/false
        logical_or,
        logical_not,
        compare,
        in_list,
        is_missing,
        case_when,  // any type
        coalesce,
        upper,  // text
        lower,
        days_between,  // number
        time_between,
        years_between,
        year,
        abs,
        round,
        add_days,  // date
        min,       // number or date
        max,
    };
    enum class Comparison : unsigned char {
        equal,
        not_equal,
        less,
        less_equal,
        greater,
        greater_equal
    };

    Op op = Op::missing;
    Type type = Type::none;
    Type operand_type = Type::none;  // compare, in_list: the type of the values compared
    Comparison comparison = Comparison::equal;
    bool negated = false;            // `not in`, `is not missing`
    std::size_t slot = 0;            // name: its slot in the row
    std::size_t name_index = 0;      // name: its index in names(), for checks while parsing
    std::size_t begin = 0;           // where the node is written in the text, for messages
    std::size_t end = 0;
    double number = 0;               // number literal; boolean literal (1 or 0)
    Day date = 0;                    // date literal
    std::string text;                // text literal as written (unquoted)
    std::string lowered;             // text literal lower-cased: text compares ignoring case
    std::vector<Node> args;          // operands; case: when, then, when, then, ..., [else]
    std::vector<unsigned char> inverse;  // sum: argument i is subtracted; product: divided by
    std::vector<double> numbers;     // in_list items: numbers, or true/false as 1/0
    std::vector<Day> dates;          // in_list items: dates
    std::vector<std::string> texts;  // in_list items: texts, lower-cased
};

namespace expression_detail {

// Text compares ignoring ASCII case, like the registry's codes; other bytes compare as they are.
inline char lower_ascii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
inline char upper_ascii(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

inline std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = lower_ascii(c);
    return out;
}

// `text` equals `lowered` (already lower-cased) ignoring case.
inline bool equal_to_lowered(std::string_view text, std::string_view lowered) {
    if (text.size() != lowered.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (lower_ascii(text[i]) != lowered[i]) return false;
    }
    return true;
}

}  // namespace expression_detail

}  // namespace rwe::study
