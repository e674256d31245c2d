// Lexer, parser and type checker of protocol expressions (docs/protocols.md,
// "Expressions"). A recursive-descent parser, one function per precedence level, lowest
// first; every node is type-checked as it is built, so that an error names the operator
// and the sub-expression it was written in.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "rwe/common/error.hpp"
#include "rwe/study/expression.hpp"
#include "rwe/study/expression_node.hpp"

namespace rwe::study {

namespace {

using Node = Expression::Node;
using Op = Node::Op;
using Type = Node::Type;
using Comparison = Node::Comparison;
using expression_detail::equal_to_lowered;
using expression_detail::lower_ascii;

// Deeper nesting (parentheses, not, unary minus, case, calls) is an error, so that any
// text is parsed and evaluated within a bounded stack.
constexpr std::size_t max_depth = 200;
// Longer sub-expressions are cut in messages.
constexpr std::size_t max_shown = 80;
// Unknown names list the known ones when there are at most this many.
constexpr std::size_t max_listed_names = 20;
constexpr std::size_t max_listed_levels = 30;
constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

enum class Keyword : unsigned char {
    none, and_, or_, not_, in, is, missing, case_, when, then, else_, end, true_, false_, date
};

struct KeywordSpelling {
    std::string_view text;
    Keyword keyword;
};

constexpr KeywordSpelling keywords[] = {
    {"and", Keyword::and_},   {"or", Keyword::or_},     {"not", Keyword::not_},
    {"in", Keyword::in},      {"is", Keyword::is},      {"missing", Keyword::missing},
    {"case", Keyword::case_}, {"when", Keyword::when},  {"then", Keyword::then},
    {"else", Keyword::else_}, {"end", Keyword::end},    {"true", Keyword::true_},
    {"false", Keyword::false_}, {"date", Keyword::date},
};

struct Function {
    std::string_view name;
    Op op;
    std::size_t min_args;
    std::size_t max_args;
};

constexpr Function functions[] = {
    {"abs", Op::abs, 1, 1},
    {"add_days", Op::add_days, 2, 2},
    {"coalesce", Op::coalesce, 2, unlimited},
    {"days_between", Op::days_between, 2, 2},
    {"lower", Op::lower, 1, 1},
    {"max", Op::max, 2, unlimited},
    {"min", Op::min, 2, unlimited},
    {"round", Op::round, 1, 2},
    {"time_between", Op::time_between, 2, 2},
    {"upper", Op::upper, 1, 1},
    {"year", Op::year, 1, 1},
    {"years_between", Op::years_between, 2, 2},
};

struct Token {
    enum class Kind : unsigned char { end, number, text, word, symbol };
    Kind kind = Kind::end;
    Keyword keyword = Keyword::none;  // a word that is a keyword (any case)
    std::size_t begin = 0;            // where it is written in the text
    std::size_t end = 0;
    double number = 0;
    std::string
        value;  // word as written; text unquoted; symbol canonical (`=` is `==`, `<>` is `!=`)
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_word_char(char c) { return is_word_start(c) || is_digit(c); }

std::string type_name(Type type) {
    return type == Type::none ? "missing" : to_string(static_cast<ValueType>(type));
}

std::string join(const std::vector<std::string>& items, std::size_t at_most) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < at_most; ++i) {
        if (i > 0) out += ", ";
        out += items[i];
    }
    if (items.size() > at_most) out += ", ...";
    return out;
}

// Levenshtein distance ignoring case, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitute =
                previous[j - 1] + (lower_ascii(a[i - 1]) == lower_ascii(b[j - 1]) ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

// The known name closest to `name` when it is close: case ignored, at most one edit in
// three characters (at least one edit).
std::optional<std::string> closest(std::string_view name, const std::vector<std::string>& known) {
    if (name.size() > 100) return std::nullopt;
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
    for (const std::string& candidate : known) {
        if (candidate.size() > 100) continue;
        const std::size_t distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

class Parser {
public:
    Parser(const std::string& text, const SourceRef& where, const NameScope& scope)
        : text_(text), where_(where), scope_(scope) {}

    Node parse() {
        tokenize();
        if (tokens_.size() == 1) fail("empty expression");
        Node root = parse_or();
        if (peek().kind != Token::Kind::end)
            unexpected("expected an operator or the end of the expression");
        return root;
    }

    [[noreturn]] void fail(const std::string& problem, const std::string& value = {}) const {
        throw InputError(where_.file, where_.line, where_.key, problem, value);
    }

    // The text of a sub-expression for a message: white space runs made one space, long
    // texts cut (at a UTF-8 character boundary).
    std::string shown(std::size_t begin, std::size_t end) const {
        std::string out;
        bool space = false;
        for (std::size_t i = begin; i < end && i < text_.size(); ++i) {
            if (is_space(text_[i])) {
                space = !out.empty();
                continue;
            }
            if (space) out += ' ';
            space = false;
            out += text_[i];
            if (out.size() > max_shown) break;
        }
        if (out.size() > max_shown) {
            out.resize(max_shown - 3);
            while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
                out.pop_back();
            if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
            out += "...";
        }
        return out;
    }
    std::string shown(const Node& node) const { return shown(node.begin, node.end); }

    std::vector<std::string>& names() { return names_; }

private:
    // ---- lexer ----

    void tokenize() {
        std::size_t at = 0;
        while (true) {
            while (at < text_.size() && is_space(text_[at])) ++at;
            Token token;
            token.begin = at;
            if (at == text_.size()) {
                token.end = at;
                tokens_.push_back(std::move(token));
                return;
            }
            const char c = text_[at];
            if (is_digit(c) || (c == '.' && at + 1 < text_.size() && is_digit(text_[at + 1]))) {
                at = lex_number(token);
            } else if (is_word_start(c)) {
                while (at < text_.size() && is_word_char(text_[at])) ++at;
                token.kind = Token::Kind::word;
                token.value = text_.substr(token.begin, at - token.begin);
                const std::string lowered = lower_ascii(token.value);
                for (const KeywordSpelling& keyword : keywords) {
                    if (keyword.text == lowered) token.keyword = keyword.keyword;
                }
            } else if (c == '\'' || c == '"') {
                at = lex_text(token);
            } else {
                at = lex_symbol(token);
            }
            token.end = at;
            tokens_.push_back(std::move(token));
        }
    }

    // `12`, `2.5`, `.5`, `1e3`, `2.5E-3`; letters or dots run on make it malformed (`1.2.3`,
    // `12abc`).
    std::size_t lex_number(Token& token) const {
        std::size_t at = token.begin;
        const auto digits = [&] {
            while (at < text_.size() && is_digit(text_[at])) ++at;
        };
        digits();
        if (at < text_.size() && text_[at] == '.') {
            ++at;
            digits();
        }
        if (at < text_.size() && (text_[at] == 'e' || text_[at] == 'E')) {
            std::size_t exponent = at + 1;
            if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-'))
                ++exponent;
            if (exponent < text_.size() && is_digit(text_[exponent])) {
                at = exponent;
                digits();
            }
        }
        const std::size_t number_end = at;
        while (at < text_.size() && (is_word_char(text_[at]) || text_[at] == '.')) ++at;
        if (at != number_end) fail("malformed number", shown(token.begin, at));
        const char* first = text_.data() + token.begin;
        const char* last = text_.data() + at;
        const auto [stop, error] = std::from_chars(first, last, token.number);
        if (error == std::errc::result_out_of_range)
            fail("number out of range", shown(token.begin, at));
        if (error != std::errc() || stop != last) fail("malformed number", shown(token.begin, at));
        token.kind = Token::Kind::number;
        return at;
    }

    // 'text' or "text"; the quote doubled inside stands for itself: 'it''s'.
    std::size_t lex_text(Token& token) const {
        const char quote = text_[token.begin];
        std::size_t at = token.begin + 1;
        while (true) {
            if (at >= text_.size())
                fail("text has no closing quote", shown(token.begin, text_.size()));
            if (text_[at] == quote) {
                if (at + 1 < text_.size() && text_[at + 1] == quote) {
                    token.value += quote;
                    at += 2;
                    continue;
                }
                break;
            }
            token.value += text_[at++];
        }
        token.kind = Token::Kind::text;
        return at + 1;
    }

    std::size_t lex_symbol(Token& token) const {
        static constexpr std::pair<std::string_view, std::string_view> symbols[] = {
            {"==", "=="}, {"!=", "!="}, {"<>", "!="}, {"<=", "<="}, {">=", ">="},
            {"(", "("},   {")", ")"},   {",", ","},   {"+", "+"},   {"-", "-"},
            {"*", "*"},   {"/", "/"},   {"=", "=="},  {"<", "<"},   {">", ">"},
        };
        const std::string_view rest = std::string_view(text_).substr(token.begin);
        for (const auto& [spelling, canonical] : symbols) {
            if (rest.starts_with(spelling)) {
                token.kind = Token::Kind::symbol;
                token.value = canonical;
                return token.begin + spelling.size();
            }
        }
        fail_character(token.begin);
    }

    // An unexpected character, shown whole when it is a UTF-8 sequence, with a hint for
    // those that come from other languages or from word processors.
    [[noreturn]] void fail_character(std::size_t at) const {
        const auto byte = static_cast<unsigned char>(text_[at]);
        std::size_t length = 1;
        if (byte >= 0xC0 && byte < 0xE0) length = 2;
        if (byte >= 0xE0 && byte < 0xF0) length = 3;
        if (byte >= 0xF0 && byte < 0xF8) length = 4;
        bool valid = at + length <= text_.size();
        for (std::size_t i = 1; valid && i < length; ++i) {
            valid = (static_cast<unsigned char>(text_[at + i]) & 0xC0) == 0x80;
        }
        std::string character;
        if (byte > 0x20 && byte < 0x7F) {
            character = std::string(1, text_[at]);
        } else if (byte >= 0x80 && length > 1 && valid) {
            character = text_.substr(at, length);
        } else {
            character = fmt::format("\\x{:02X}", byte);
        }
        std::string hint;
        if (character == "&") hint = "write 'and'";
        if (character == "|") hint = "write 'or'";
        if (character == "!") hint = "write 'not', or '!=' for not equal";
        if (character == "\u2018" || character == "\u2019" || character == "\u201C" ||
            character == "\u201D") {
            hint = "write straight quotes ' or \"";
        }
        if (character == "\u2264") hint = "write <=";
        if (character == "\u2265") hint = "write >=";
        if (character == "\u2260") hint = "write !=";
        fail(fmt::format("unexpected character '{}'", character), hint);
    }

    // ---- tokens ----

    const Token& peek(std::size_t ahead = 0) const {
        return tokens_[std::min(position_ + ahead, tokens_.size() - 1)];
    }
    const Token& advance() {
        const Token& token = tokens_[position_];
        if (position_ + 1 < tokens_.size()) ++position_;
        return token;
    }
    bool at(Keyword keyword, std::size_t ahead = 0) const {
        return peek(ahead).kind == Token::Kind::word && peek(ahead).keyword == keyword;
    }
    bool at(std::string_view symbol, std::size_t ahead = 0) const {
        return peek(ahead).kind == Token::Kind::symbol && peek(ahead).value == symbol;
    }
    bool accept(Keyword keyword) {
        if (!at(keyword)) return false;
        advance();
        return true;
    }
    bool accept(std::string_view symbol) {
        if (!at(symbol)) return false;
        advance();
        return true;
    }
    std::string describe(const Token& token) const {
        if (token.kind == Token::Kind::end) return "end of expression";
        if (token.kind == Token::Kind::text)
            return shown(token.begin, token.end);  // quoted already
        return "'" + shown(token.begin, token.end) + "'";
    }
    [[noreturn]] void unexpected(const std::string& expected) const {
        fail("unexpected " + describe(peek()), expected);
    }

    std::optional<Comparison> comparison_at() const {
        if (peek().kind != Token::Kind::symbol) return std::nullopt;
        const std::string& symbol = peek().value;
        if (symbol == "==") return Comparison::equal;
        if (symbol == "!=") return Comparison::not_equal;
        if (symbol == "<") return Comparison::less;
        if (symbol == "<=") return Comparison::less_equal;
        if (symbol == ">") return Comparison::greater;
        if (symbol == ">=") return Comparison::greater_equal;
        return std::nullopt;
    }

    // ---- checks ----

    static Node make(Op op, Type type, std::size_t begin, std::size_t end) {
        Node node;
        node.op = op;
        node.type = type;
        node.begin = begin;
        node.end = end;
        return node;
    }

    // The literal `missing` (or a case or coalesce of nothing else) has no type: it may be a
    // result of case or an argument of coalesce, not an operand. `AGE == missing` is the
    // classic mistake (it is always missing); `is missing` is the test.
    void require_typed(const Node& operand, const Node& within) const {
        if (operand.type == Type::none) {
            fail("'missing' is only a result of case or an argument of coalesce; test for a "
                 "missing value with 'is missing'",
                 shown(within));
        }
    }

    // A text literal compared with a variable of known levels must be one of them.
    void check_level(const Node& name, const Node& literal) const {
        if (name.op != Op::name || literal.op != Op::literal || literal.type != Type::text) return;
        const NameInfo& info = infos_[name.name_index];
        if (info.levels.empty()) return;
        for (const std::string& level : info.levels) {
            if (equal_to_lowered(level, literal.lowered)) return;
        }
        fail(fmt::format("'{}' is not a level of {}", literal.text, names_[name.name_index]),
             "levels: " + join(info.levels, max_listed_levels));
    }

    // ---- grammar, lowest precedence first ----

    // Counts nesting; every recursion of the parser passes through one of these.
    class DepthGuard {
    public:
        explicit DepthGuard(Parser& parser) : parser_(parser) {
            if (++parser_.depth_ > max_depth) {
                parser_.fail("expression is nested too deeply",
                             fmt::format("more than {} levels", max_depth));
            }
        }
        ~DepthGuard() { --parser_.depth_; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;

    private:
        Parser& parser_;
    };

    Node parse_or() {
        const DepthGuard guard(*this);
        return parse_logical(Keyword::or_, Op::logical_or, "or", &Parser::parse_and);
    }

    Node parse_and() {
        return parse_logical(Keyword::and_, Op::logical_and, "and", &Parser::parse_not);
    }

    // `a or b or c` is one node with three operands (likewise `and`), which keeps the tree
    // as shallow as the text is nested.
    Node parse_logical(Keyword keyword, Op op, std::string_view spelling,
                       Node (Parser::*operand)()) {
        Node first = (this->*operand)();
        if (!at(keyword)) return first;
        Node chain = make(op, Type::boolean, first.begin, first.end);
        chain.args.push_back(std::move(first));
        while (accept(keyword)) chain.args.push_back((this->*operand)());
        chain.end = chain.args.back().end;
        for (const Node& arg : chain.args) {
            require_typed(arg, chain);
            if (arg.type != Type::boolean) {
                fail(fmt::format("'{}' needs true/false operands, got {}", spelling,
                                 type_name(arg.type)),
                     shown(chain));
            }
        }
        return chain;
    }

    Node parse_not() {
        if (!at(Keyword::not_)) return parse_comparison();
        const std::size_t begin = advance().begin;
        const DepthGuard guard(*this);
        Node operand = parse_not();
        Node node = make(Op::logical_not, Type::boolean, begin, operand.end);
        require_typed(operand, node);
        if (operand.type != Type::boolean) {
            fail(fmt::format("'not' needs a true/false operand, got {}", type_name(operand.type)),
                 shown(node));
        }
        node.args.push_back(std::move(operand));
        return node;
    }

    bool at_comparison() const {
        return comparison_at() || at(Keyword::in) || at(Keyword::is) ||
               (at(Keyword::not_) && at(Keyword::in, 1));
    }

    Node parse_comparison() {
        Node left = parse_additive();
        Node node;
        if (const std::optional<Comparison> comparison = comparison_at()) {
            const Token& symbol = advance();
            Node right = parse_additive();
            node = make_comparison(*comparison, symbol, std::move(left), std::move(right));
        } else if (at(Keyword::in) || (at(Keyword::not_) && at(Keyword::in, 1))) {
            const bool negated = accept(Keyword::not_);
            advance();
            node = parse_in_list(std::move(left), negated);
        } else if (accept(Keyword::is)) {
            const bool negated = accept(Keyword::not_);
            if (!at(Keyword::missing)) unexpected("expected 'missing' or 'not missing' after 'is'");
            node = make(Op::is_missing, Type::boolean, left.begin, advance().end);
            node.negated = negated;
            require_typed(left, node);
            node.args.push_back(std::move(left));
        } else {
            return left;
        }
        if (at_comparison()) {
            fail("unexpected " + describe(peek()),
                 "comparisons do not chain: join them with 'and', or use parentheses");
        }
        return node;
    }

    Node make_comparison(Comparison comparison, const Token& symbol, Node left, Node right) const {
        Node node = make(Op::compare, Type::boolean, left.begin, right.end);
        require_typed(left, node);
        require_typed(right, node);
        if (left.type != right.type) {
            std::string problem = fmt::format("cannot compare {} with {}", type_name(left.type),
                                              type_name(right.type));
            const Node& text = left.type == Type::text ? left : right;
            const bool date_side = left.type == Type::date || right.type == Type::date;
            if (date_side && text.op == Op::literal && text.type == Type::text &&
                parse_iso_date(text.text)) {
                problem += fmt::format("; write date('{}')", text.text);
            }
            fail(problem, shown(node));
        }
        const bool ordering =
            comparison != Comparison::equal && comparison != Comparison::not_equal;
        if (ordering && (left.type == Type::text || left.type == Type::boolean)) {
            fail(fmt::format("'{}' needs numbers or dates, got {}; {} compares with == and != only",
                             shown(symbol.begin, symbol.end), type_name(left.type),
                             type_name(left.type)),
                 shown(node));
        }
        check_level(left, right);
        check_level(right, left);
        node.operand_type = left.type;
        node.comparison = comparison;
        node.args.push_back(std::move(left));
        node.args.push_back(std::move(right));
        return node;
    }

    // After `in` or `not in`: `(literal, literal, ...)`.
    Node parse_in_list(Node operand, bool negated) {
        if (!accept("(")) unexpected("expected '(' after 'in'");
        std::vector<Node> items;
        do {
            items.push_back(parse_or());
        } while (accept(","));
        if (!at(")")) unexpected("expected ',' or ')'");
        Node node = make(Op::in_list, Type::boolean, operand.begin, advance().end);
        require_typed(operand, node);
        for (const Node& item : items) {
            if (item.op == Op::missing) {
                fail(
                    "'in' list items cannot be missing; test for a missing value with 'is missing'",
                    shown(node));
            }
            if (item.op != Op::literal) fail("'in' list items must be literals", shown(item));
            if (item.type != operand.type) {
                fail(fmt::format("'in' list items must be {} like the value tested, got {}",
                                 type_name(operand.type), type_name(item.type)),
                     shown(item));
            }
            check_level(operand, item);
            switch (item.type) {
                case Type::date: node.dates.push_back(item.date); break;
                case Type::text: node.texts.push_back(item.lowered); break;
                default: node.numbers.push_back(item.number); break;  // number, true/false
            }
        }
        node.operand_type = operand.type;
        node.negated = negated;
        node.args.push_back(std::move(operand));
        return node;
    }

    Node parse_additive() {
        return parse_arithmetic(Op::sum, "+", "-", &Parser::parse_multiplicative);
    }
    Node parse_multiplicative() {
        return parse_arithmetic(Op::product, "*", "/", &Parser::parse_unary);
    }

    // A run of + and - (or * and /) at one level is one node, evaluated left to right.
    Node parse_arithmetic(Op op, std::string_view plus, std::string_view minus,
                          Node (Parser::*operand)()) {
        Node first = (this->*operand)();
        if (!at(plus) && !at(minus)) return first;
        Node node = make(op, Type::number, first.begin, first.end);
        node.args.push_back(std::move(first));
        node.inverse.push_back(0);
        while (at(plus) || at(minus)) {
            const bool inverse = advance().value == minus;
            node.args.push_back((this->*operand)());
            node.inverse.push_back(inverse ? 1 : 0);
        }
        node.end = node.args.back().end;
        const auto dates = std::count_if(node.args.begin(), node.args.end(),
                                         [](const Node& arg) { return arg.type == Type::date; });
        for (std::size_t i = 0; i < node.args.size(); ++i) {
            const Node& arg = node.args[i];
            require_typed(arg, node);
            if (arg.type == Type::number) continue;
            // the operator written next to the operand
            const bool inverse = node.inverse[i == 0 ? 1 : i] != 0;
            std::string problem = fmt::format("'{}' needs numbers, got {}", inverse ? minus : plus,
                                              type_name(arg.type));
            if (arg.type == Type::date && op == Op::sum) {
                problem +=
                    dates >= 2 && inverse
                        ? "; days_between(start, end) gives the days from one date to another"
                        : "; add_days(date, days) moves a date";
            }
            fail(problem, shown(node));
        }
        return node;
    }

    Node parse_unary() {
        if (!at("-")) return parse_primary();
        const std::size_t begin = advance().begin;
        const DepthGuard guard(*this);
        Node operand = parse_unary();
        if (operand.op == Op::literal && operand.type == Type::number) {  // -5 is a literal
            operand.number = -operand.number;
            operand.begin = begin;
            return operand;
        }
        Node node = make(Op::negate, Type::number, begin, operand.end);
        require_typed(operand, node);
        if (operand.type != Type::number) {
            fail(fmt::format("'-' needs a number, got {}", type_name(operand.type)), shown(node));
        }
        node.args.push_back(std::move(operand));
        return node;
    }

    Node parse_primary() {
        const Token& token = peek();
        switch (token.kind) {
            case Token::Kind::number: {
                advance();
                Node node = make(Op::literal, Type::number, token.begin, token.end);
                node.number = token.number;
                return node;
            }
            case Token::Kind::text: {
                advance();
                if (token.value.empty()) {
                    fail("empty text: a value is missing when empty; test for it with 'is missing'",
                         shown(token.begin, token.end));
                }
                Node node = make(Op::literal, Type::text, token.begin, token.end);
                node.text = token.value;
                node.lowered = lower_ascii(token.value);
                return node;
            }
            case Token::Kind::symbol:
                if (token.value == "(") {
                    advance();
                    Node inner = parse_or();
                    if (!at(")")) unexpected("expected ')'");
                    inner.begin = token.begin;
                    inner.end = advance().end;
                    return inner;
                }
                break;
            case Token::Kind::word:
                switch (token.keyword) {
                    case Keyword::true_:
                    case Keyword::false_: {
                        advance();
                        Node node = make(Op::literal, Type::boolean, token.begin, token.end);
                        node.number = token.keyword == Keyword::true_ ? 1 : 0;
                        return node;
                    }
                    case Keyword::missing:
                        advance();
                        return make(Op::missing, Type::none, token.begin, token.end);
                    case Keyword::date: return parse_date();
                    case Keyword::case_: return parse_case();
                    case Keyword::none: return at("(", 1) ? parse_call() : parse_name();
                    default: break;
                }
                break;
            case Token::Kind::end: break;
        }
        unexpected("expected an operand");
    }

    // date('YYYY-MM-DD'), checked now.
    Node parse_date() {
        const std::size_t begin = advance().begin;
        if (!accept("(")) unexpected("expected '(' after 'date'");
        const Token& literal = peek();
        if (literal.kind != Token::Kind::text)
            unexpected("expected a date in quotes, like date('2020-01-31')");
        advance();
        const std::optional<Day> day = parse_iso_date(literal.value);
        if (!day)
            fail("not a valid date, expected date('YYYY-MM-DD')",
                 shown(literal.begin, literal.end));
        if (!at(")")) unexpected("expected ')'");
        Node node = make(Op::literal, Type::date, begin, advance().end);
        node.date = *day;
        return node;
    }

    Node parse_case() {
        const std::size_t begin = advance().begin;
        Node node = make(Op::case_when, Type::none, begin, begin);
        if (!at(Keyword::when)) unexpected("expected 'when'");
        while (accept(Keyword::when)) {
            Node condition = parse_or();
            require_typed(condition, condition);
            if (condition.type != Type::boolean) {
                fail(fmt::format("'when' needs a true/false condition, got {}",
                                 type_name(condition.type)),
                     shown(condition));
            }
            if (!accept(Keyword::then)) unexpected("expected 'then'");
            node.args.push_back(std::move(condition));
            node.args.push_back(parse_or());
        }
        const bool has_else = accept(Keyword::else_);
        if (has_else) node.args.push_back(parse_or());
        if (!at(Keyword::end))
            unexpected(has_else ? "expected 'end'" : "expected 'when', 'else' or 'end'");
        node.end = advance().end;
        for (std::size_t i = 1; i < node.args.size(); i += 2) check_result(node, node.args[i]);
        if (has_else) check_result(node, node.args.back());
        return node;
    }

    // Results of a case (and arguments of coalesce) share one type; `missing` fits any.
    void check_result(Node& node, const Node& result) const {
        if (result.type == Type::none) return;
        if (node.type == Type::none) {
            node.type = result.type;
        } else if (result.type != node.type) {
            const std::string what =
                node.op == Op::case_when ? "case results" : "arguments of 'coalesce'";
            fail(fmt::format("{} must have one type, got {} and {}", what, type_name(node.type),
                             type_name(result.type)),
                 shown(result));
        }
    }

    Node parse_call() {
        const Token& name = advance();
        advance();  // (
        const std::string lowered = lower_ascii(name.value);
        const auto function = std::find_if(std::begin(functions), std::end(functions),
                                           [&](const Function& f) { return f.name == lowered; });
        if (function == std::end(functions)) {
            std::vector<std::string> names;
            for (const Function& f : functions) names.emplace_back(f.name);
            fail_unknown("function", name.value, names, "functions");
        }
        Node node = make(function->op, Type::none, name.begin, name.end);
        if (!at(")")) {
            do {
                node.args.push_back(parse_or());
            } while (accept(","));
        }
        if (!at(")")) unexpected("expected ',' or ')'");
        node.end = advance().end;
        check_call(*function, node);
        return node;
    }

    void check_call(const Function& function, Node& node) const {
        const std::size_t count = node.args.size();
        if (count < function.min_args || count > function.max_args) {
            std::string takes;
            if (function.min_args == function.max_args) {
                takes = fmt::format("{} argument{}", function.min_args,
                                    function.min_args == 1 ? "" : "s");
            } else if (function.max_args == unlimited) {
                takes = fmt::format("{} or more arguments", function.min_args);
            } else {
                takes = fmt::format("{} or {} arguments", function.min_args, function.max_args);
            }
            fail(fmt::format("'{}' takes {}, got {}", function.name, takes, count), shown(node));
        }
        const auto require = [&](std::size_t index, Type type) {
            const Node& arg = node.args[index];
            require_typed(arg, node);
            if (arg.type != type) {
                fail(fmt::format("argument {} of '{}' must be {}, got {}", index + 1, function.name,
                                 type_name(type), type_name(arg.type)),
                     shown(arg));
            }
        };
        switch (function.op) {
            case Op::upper:
            case Op::lower:
                require(0, Type::text);
                node.type = Type::text;
                break;
            case Op::abs:
            case Op::round:
                for (std::size_t i = 0; i < count; ++i) require(i, Type::number);
                node.type = Type::number;
                break;
            case Op::year:
                require(0, Type::date);
                node.type = Type::number;
                break;
            case Op::days_between:
            case Op::time_between:
            case Op::years_between:
                require(0, Type::date);
                require(1, Type::date);
                node.type = Type::number;
                break;
            case Op::add_days:
                require(0, Type::date);
                require(1, Type::number);
                node.type = Type::date;
                break;
            case Op::coalesce:
                for (const Node& arg : node.args) check_result(node, arg);
                break;
            case Op::min:
            case Op::max: {
                require_typed(node.args[0], node);
                const Type type = node.args[0].type;
                if (type != Type::number && type != Type::date) {
                    fail(fmt::format("arguments of '{}' must be numbers or dates, got {}",
                                     function.name, type_name(type)),
                         shown(node.args[0]));
                }
                for (std::size_t i = 1; i < count; ++i) require(i, type);
                node.type = type;
                break;
            }
            default: break;
        }
    }

    Node parse_name() {
        const Token& token = advance();
        Node node = make(Op::name, Type::none, token.begin, token.end);
        const auto seen = std::find(names_.begin(), names_.end(), token.value);
        std::size_t index = static_cast<std::size_t>(seen - names_.begin());
        if (seen == names_.end()) {
            std::optional<NameInfo> info;
            if (scope_.lookup) info = scope_.lookup(token.value);
            if (!info) fail_unknown("name", token.value, scope_.known, "known names");
            names_.push_back(token.value);
            infos_.push_back(std::move(*info));
        }
        node.slot = infos_[index].slot;
        node.type = static_cast<Type>(infos_[index].type);
        node.name_index = index;
        return node;
    }

    // `unknown name (STAGX); did you mean STAGE? known names: AGE, SEX, STAGE`
    [[noreturn]] void fail_unknown(std::string_view what, const std::string& name,
                                   const std::vector<std::string>& known,
                                   std::string_view list) const {
        std::string message = where_what(where_.file, where_.line, where_.key,
                                         fmt::format("unknown {}", what), name);
        const std::optional<std::string> suggestion = closest(name, known);
        if (suggestion) message += fmt::format("; did you mean {}?", *suggestion);
        if (!known.empty() && known.size() <= max_listed_names) {
            message += fmt::format("{} {}: {}", suggestion ? "" : ";", list,
                                   join(known, max_listed_names));
        }
        throw InputError(message);
    }

    const std::string& text_;
    const SourceRef& where_;
    const NameScope& scope_;
    std::vector<Token> tokens_;
    std::size_t position_ = 0;
    std::size_t depth_ = 0;
    std::vector<std::string> names_;
    std::vector<NameInfo> infos_;  // of names_
};

}  // namespace

Expression Expression::parse(const std::string& text, const SourceRef& where,
                             const NameScope& scope, std::optional<ValueType> expected) {
    Parser parser(text, where, scope);
    Node root = parser.parse();
    if (root.type == Type::none) {  // `missing`, or a case of missing results only
        if (!expected) parser.fail("the expression is always missing", parser.shown(root));
        root.type = static_cast<Type>(*expected);
    }
    const auto type = static_cast<ValueType>(root.type);
    if (expected && type != *expected) {
        parser.fail(
            fmt::format("expected a {} expression, got {}", to_string(*expected), to_string(type)),
            parser.shown(root));
    }
    Expression out;
    out.root_ = std::make_shared<const Node>(std::move(root));
    out.text_ = text;
    out.names_ = std::move(parser.names());
    out.type_ = type;
    return out;
}

}  // namespace rwe::study
