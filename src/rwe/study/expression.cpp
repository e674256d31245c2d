// Evaluation of protocol expressions (docs/protocols.md, "Expressions"); the lexer and
// parser, which build and type-check the tree, are in expression_parser.cpp.
#include "rwe/study/expression.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "rwe/study/expression_node.hpp"

namespace rwe::study {

std::string to_string(ValueType type) {
    switch (type) {
        case ValueType::number: return "number";
        case ValueType::text: return "text";
        case ValueType::date: return "date";
        case ValueType::boolean: return "true/false";
    }
    return "number";
}

Value Value::of_number(double value) {
    Value out;
    if (!std::isnan(value)) {
        out.kind = Kind::number;
        out.number = value;
    }
    return out;
}

Value Value::of_text(std::string value) {
    Value out;
    if (!value.empty()) {
        out.kind = Kind::text;
        out.text = std::move(value);
    }
    return out;
}

Value Value::of_date(Day value) {
    Value out;
    out.kind = Kind::date;
    out.date = value;
    return out;
}

Value Value::of_boolean(bool value) {
    Value out;
    out.kind = Kind::boolean;
    out.number = value ? 1 : 0;
    return out;
}

namespace {

using Node = Expression::Node;
using Op = Node::Op;
using Type = Node::Type;
using Row = std::span<const Value>;
using expression_detail::equal_to_lowered;
using expression_detail::lower_ascii;

// Each type has its own evaluator so that numbers, dates and truth values never pass
// through a Value: a missing number is NaN, a missing date nullopt, missing text nullptr.
enum class Truth : unsigned char { no, yes, unknown };
constexpr double missing_number = std::numeric_limits<double>::quiet_NaN();

double number_of(const Node& node, Row row, const EvaluationContext& context);
std::optional<Day> date_of(const Node& node, Row row, const EvaluationContext& context);
Truth truth_of(const Node& node, Row row, const EvaluationContext& context);
// Text results point into the row, into the tree (literals) or, for upper() and lower(),
// into `scratch`, which the caller owns: no allocation unless a function changes the text.
const std::string* text_of(const Node& node, Row row, const EvaluationContext& context,
                           std::string& scratch);

const Value* cell(const Node& node, Row row) {
    assert(node.slot < row.size() &&
           "the row is shorter than the scope the expression was parsed in");
    return node.slot < row.size() ? &row[node.slot] : nullptr;
}

// The result chosen by a case: the first `when` that is true (missing is not true), else
// the `else` result, else none (missing). args: when, then, when, then, ..., [else].
const Node* case_result(const Node& node, Row row, const EvaluationContext& context) {
    const std::size_t whens = node.args.size() / 2;
    for (std::size_t when = 0; when < whens; ++when) {
        if (truth_of(node.args[2 * when], row, context) == Truth::yes)
            return &node.args[2 * when + 1];
    }
    return node.args.size() % 2 == 1 ? &node.args.back() : nullptr;
}

bool equal_ignoring_case(std::string_view left, std::string_view right) {
    if (left.size() != right.size()) return false;
    for (std::size_t i = 0; i < left.size(); ++i) {
        if (lower_ascii(left[i]) != lower_ascii(right[i])) return false;
    }
    return true;
}

// Dates that functions of the calendar accept: years 0000 to 9999, as parse_iso_date.
const Day first_day = days_from_civil(0, 1, 1);
const Day last_day = days_from_civil(9999, 12, 31);

bool in_calendar(Day day) { return day >= first_day && day <= last_day; }

struct CivilDate {
    int year = 0;
    int month = 0;
    int day = 0;
};

// The calendar is written once, in date.cpp, as days_from_civil; its inverse here is a
// search over it (a year estimate corrected by at most a step, then the month) rather than a
// second copy of the calendar: about 20 integer operations, no allocation (format_iso_date
// holds the closed-form inverse but formats text). Only for days in_calendar().
CivilDate civil_of(Day day) {
    CivilDate out;
    out.year = 1970 + static_cast<int>(std::floor(day / 365.2425));
    while (days_from_civil(out.year, 1, 1) > day) --out.year;
    while (days_from_civil(out.year + 1, 1, 1) <= day) ++out.year;
    const Day new_year = days_from_civil(out.year, 1, 1);
    unsigned month = 1 + static_cast<unsigned>(day - new_year) / 31;  // at most one short
    if (month < 12 && days_from_civil(out.year, month + 1, 1) <= day) ++month;
    out.month = static_cast<int>(month);
    out.day = day - days_from_civil(out.year, month, 1) + 1;
    return out;
}

// Completed years from `from` to `to`, as ages are counted: the difference of the years,
// less one when the birthday (month, day) has not yet come in the final year. Someone born
// on 29 February completes a year on 1 March of a common year. Negative when `to` is
// before `from`: -(completed years from `to` to `from`).
double years_between(Day from, Day to) {
    if (to < from) return -years_between(to, from);
    const CivilDate start = civil_of(from);
    const CivilDate stop = civil_of(to);
    int years = stop.year - start.year;
    if (stop.month < start.month || (stop.month == start.month && stop.day < start.day)) --years;
    return years;
}

// Rounds half away from zero to `digits` decimal places (negative: tens, hundreds, ...).
double round_to(double value, double digits) {
    if (std::isnan(value) || std::isnan(digits)) return missing_number;
    if (std::isinf(value)) return value;
    const double places = std::round(digits);
    if (places >= 0) {
        const double scale = std::pow(10.0, places);
        const double scaled = value * scale;
        // Past 2^52 a double has no fraction left to round.
        if (!std::isfinite(scaled) || std::fabs(scaled) >= 4503599627370496.0) return value;
        return std::round(scaled) / scale;
    }
    const double scale = std::pow(10.0, -places);
    if (!std::isfinite(scale)) return 0.0;
    return std::round(value / scale) * scale;
}

std::optional<Day> add_days(std::optional<Day> start, double days) {
    if (!start || std::isnan(days)) return std::nullopt;
    const double moved = static_cast<double>(*start) + std::round(days);
    if (!(moved >= first_day && moved <= last_day)) return std::nullopt;
    return static_cast<Day>(moved);
}

double days_between(const Node& node, Row row, const EvaluationContext& context) {
    const std::optional<Day> start = date_of(node.args[0], row, context);
    const std::optional<Day> stop = date_of(node.args[1], row, context);
    if (!start || !stop) return missing_number;
    return static_cast<double>(*stop) - static_cast<double>(*start);
}

double number_of(const Node& node, Row row, const EvaluationContext& context) {
    switch (node.op) {
        case Op::literal: return node.number;
        case Op::name: {
            const Value* value = cell(node, row);
            return value != nullptr && value->kind == Value::Kind::number ? value->number
                                                                          : missing_number;
        }
        case Op::negate: return -number_of(node.args[0], row, context);
        case Op::sum: {
            // NaN carries a missing operand through; inf - inf is NaN too, hence missing.
            double total = number_of(node.args[0], row, context);
            for (std::size_t i = 1; i < node.args.size(); ++i) {
                const double term = number_of(node.args[i], row, context);
                total = node.inverse[i] ? total - term : total + term;
            }
            return total;
        }
        case Op::product: {
            double total = number_of(node.args[0], row, context);
            for (std::size_t i = 1; i < node.args.size(); ++i) {
                const double factor = number_of(node.args[i], row, context);
                if (!node.inverse[i]) {
                    total *= factor;
                } else if (factor == 0) {
                    return missing_number;
                } else {
                    total /= factor;
                }
            }
            return total;
        }
        case Op::case_when: {
            const Node* result = case_result(node, row, context);
            return result != nullptr ? number_of(*result, row, context) : missing_number;
        }
        case Op::coalesce:
            for (const Node& arg : node.args) {
                const double value = number_of(arg, row, context);
                if (!std::isnan(value)) return value;
            }
            return missing_number;
        case Op::days_between: return days_between(node, row, context);
        case Op::time_between:
            if (!(context.days_per_unit > 0)) return missing_number;
            return days_between(node, row, context) / context.days_per_unit;
        case Op::years_between: {
            const std::optional<Day> start = date_of(node.args[0], row, context);
            const std::optional<Day> stop = date_of(node.args[1], row, context);
            if (!start || !stop || !in_calendar(*start) || !in_calendar(*stop))
                return missing_number;
            return years_between(*start, *stop);
        }
        case Op::year: {
            const std::optional<Day> day = date_of(node.args[0], row, context);
            if (!day || !in_calendar(*day)) return missing_number;
            return civil_of(*day).year;
        }
        case Op::abs: return std::fabs(number_of(node.args[0], row, context));
        case Op::round:
            return round_to(number_of(node.args[0], row, context),
                            node.args.size() > 1 ? number_of(node.args[1], row, context) : 0.0);
        case Op::min:
        case Op::max: {
            double best = number_of(node.args[0], row, context);
            if (std::isnan(best)) return missing_number;
            for (std::size_t i = 1; i < node.args.size(); ++i) {
                const double value = number_of(node.args[i], row, context);
                if (std::isnan(value)) return missing_number;
                best = node.op == Op::min ? std::min(best, value) : std::max(best, value);
            }
            return best;
        }
        default: return missing_number;  // `missing`, and types the parser rules out
    }
}

std::optional<Day> date_of(const Node& node, Row row, const EvaluationContext& context) {
    switch (node.op) {
        case Op::literal: return node.date;
        case Op::name: {
            const Value* value = cell(node, row);
            if (value == nullptr || value->kind != Value::Kind::date) return std::nullopt;
            return value->date;
        }
        case Op::case_when: {
            const Node* result = case_result(node, row, context);
            return result != nullptr ? date_of(*result, row, context) : std::nullopt;
        }
        case Op::coalesce:
            for (const Node& arg : node.args) {
                if (const std::optional<Day> value = date_of(arg, row, context)) return value;
            }
            return std::nullopt;
        case Op::add_days:
            return add_days(date_of(node.args[0], row, context),
                            number_of(node.args[1], row, context));
        case Op::min:
        case Op::max: {
            std::optional<Day> best = date_of(node.args[0], row, context);
            if (!best) return std::nullopt;
            for (std::size_t i = 1; i < node.args.size(); ++i) {
                const std::optional<Day> value = date_of(node.args[i], row, context);
                if (!value) return std::nullopt;
                best = node.op == Op::min ? std::min(*best, *value) : std::max(*best, *value);
            }
            return best;
        }
        default: return std::nullopt;
    }
}

const std::string* text_of(const Node& node, Row row, const EvaluationContext& context,
                           std::string& scratch) {
    switch (node.op) {
        case Op::literal: return &node.text;
        case Op::name: {
            const Value* value = cell(node, row);
            if (value == nullptr || value->kind != Value::Kind::text || value->text.empty())
                return nullptr;
            return &value->text;
        }
        case Op::case_when: {
            const Node* result = case_result(node, row, context);
            return result != nullptr ? text_of(*result, row, context, scratch) : nullptr;
        }
        case Op::coalesce:
            for (const Node& arg : node.args) {
                if (const std::string* value = text_of(arg, row, context, scratch)) return value;
            }
            return nullptr;
        case Op::upper:
        case Op::lower: {
            const std::string* value = text_of(node.args[0], row, context, scratch);
            if (value == nullptr) return nullptr;
            if (value != &scratch) scratch.assign(*value);
            for (char& c : scratch) {
                c = node.op == Op::lower ? lower_ascii(c) : expression_detail::upper_ascii(c);
            }
            return &scratch;
        }
        default: return nullptr;
    }
}

Truth truth(bool value) { return value ? Truth::yes : Truth::no; }

Truth truth_of_comparison(Node::Comparison comparison, int order) {
    switch (comparison) {
        case Node::Comparison::equal: return truth(order == 0);
        case Node::Comparison::not_equal: return truth(order != 0);
        case Node::Comparison::less: return truth(order < 0);
        case Node::Comparison::less_equal: return truth(order <= 0);
        case Node::Comparison::greater: return truth(order > 0);
        case Node::Comparison::greater_equal: return truth(order >= 0);
    }
    return Truth::unknown;
}

template <typename T>
int order_of(T left, T right) {
    return left < right ? -1 : (right < left ? 1 : 0);
}

Truth compare(const Node& node, Row row, const EvaluationContext& context) {
    const Node& left = node.args[0];
    const Node& right = node.args[1];
    switch (node.operand_type) {
        case Type::number: {
            const double a = number_of(left, row, context);
            const double b = number_of(right, row, context);
            if (std::isnan(a) || std::isnan(b)) return Truth::unknown;
            return truth_of_comparison(node.comparison, order_of(a, b));
        }
        case Type::date: {
            const std::optional<Day> a = date_of(left, row, context);
            const std::optional<Day> b = date_of(right, row, context);
            if (!a || !b) return Truth::unknown;
            return truth_of_comparison(node.comparison, order_of(*a, *b));
        }
        case Type::boolean: {  // == and != only
            const Truth a = truth_of(left, row, context);
            const Truth b = truth_of(right, row, context);
            if (a == Truth::unknown || b == Truth::unknown) return Truth::unknown;
            return truth_of_comparison(node.comparison, a == b ? 0 : 1);
        }
        case Type::text: {  // == and != only, ignoring case; literals are lower-cased already
            std::string left_scratch;
            std::string right_scratch;
            const std::string* a = text_of(left, row, context, left_scratch);
            if (a == nullptr) return Truth::unknown;
            const std::string* b = text_of(right, row, context, right_scratch);
            if (b == nullptr) return Truth::unknown;
            const bool same = right.op == Op::literal  ? equal_to_lowered(*a, right.lowered)
                              : left.op == Op::literal ? equal_to_lowered(*b, left.lowered)
                                                       : equal_ignoring_case(*a, *b);
            return truth_of_comparison(node.comparison, same ? 0 : 1);
        }
        case Type::none: break;
    }
    return Truth::unknown;
}

Truth in_list(const Node& node, Row row, const EvaluationContext& context) {
    const Node& operand = node.args[0];
    bool found = false;
    switch (node.operand_type) {
        case Type::number:
        case Type::boolean: {  // a boolean is 1 or 0 in `numbers`
            double value = 0;
            if (node.operand_type == Type::number) {
                value = number_of(operand, row, context);
                if (std::isnan(value)) return Truth::unknown;
            } else {
                const Truth operand_truth = truth_of(operand, row, context);
                if (operand_truth == Truth::unknown) return Truth::unknown;
                value = operand_truth == Truth::yes ? 1 : 0;
            }
            found =
                std::find(node.numbers.begin(), node.numbers.end(), value) != node.numbers.end();
            break;
        }
        case Type::date: {
            const std::optional<Day> value = date_of(operand, row, context);
            if (!value) return Truth::unknown;
            found = std::find(node.dates.begin(), node.dates.end(), *value) != node.dates.end();
            break;
        }
        case Type::text: {
            std::string scratch;
            const std::string* value = text_of(operand, row, context, scratch);
            if (value == nullptr) return Truth::unknown;
            found = std::any_of(node.texts.begin(), node.texts.end(), [&](const std::string& item) {
                return equal_to_lowered(*value, item);
            });
            break;
        }
        case Type::none: return Truth::unknown;
    }
    return truth(found != node.negated);
}

bool is_missing(const Node& node, Row row, const EvaluationContext& context) {
    switch (node.type) {
        case Type::number: return std::isnan(number_of(node, row, context));
        case Type::date: return !date_of(node, row, context).has_value();
        case Type::boolean: return truth_of(node, row, context) == Truth::unknown;
        case Type::text: {
            std::string scratch;
            return text_of(node, row, context, scratch) == nullptr;
        }
        case Type::none: break;
    }
    return true;
}

Truth truth_of(const Node& node, Row row, const EvaluationContext& context) {
    switch (node.op) {
        case Op::literal: return truth(node.number != 0);
        case Op::name: {
            const Value* value = cell(node, row);
            if (value == nullptr || value->kind != Value::Kind::boolean) return Truth::unknown;
            return truth(value->number != 0);
        }
        case Op::logical_and: {  // Kleene: false wins, then missing
            bool unknown = false;
            for (const Node& arg : node.args) {
                const Truth value = truth_of(arg, row, context);
                if (value == Truth::no) return Truth::no;
                unknown = unknown || value == Truth::unknown;
            }
            return unknown ? Truth::unknown : Truth::yes;
        }
        case Op::logical_or: {  // Kleene: true wins, then missing
            bool unknown = false;
            for (const Node& arg : node.args) {
                const Truth value = truth_of(arg, row, context);
                if (value == Truth::yes) return Truth::yes;
                unknown = unknown || value == Truth::unknown;
            }
            return unknown ? Truth::unknown : Truth::no;
        }
        case Op::logical_not: {
            const Truth value = truth_of(node.args[0], row, context);
            if (value == Truth::unknown) return Truth::unknown;
            return value == Truth::yes ? Truth::no : Truth::yes;
        }
        case Op::compare: return compare(node, row, context);
        case Op::in_list: return in_list(node, row, context);
        case Op::is_missing: return truth(is_missing(node.args[0], row, context) != node.negated);
        case Op::case_when: {
            const Node* result = case_result(node, row, context);
            return result != nullptr ? truth_of(*result, row, context) : Truth::unknown;
        }
        case Op::coalesce:
            for (const Node& arg : node.args) {
                const Truth value = truth_of(arg, row, context);
                if (value != Truth::unknown) return value;
            }
            return Truth::unknown;
        default: return Truth::unknown;
    }
}

// Text values a node can produce, when all are literals: false when one is not.
bool collect_levels(const Node& node, std::vector<std::string>& levels) {
    switch (node.op) {
        case Op::missing: return true;
        case Op::literal: {
            if (node.type != Type::text) return false;
            const bool seen = std::any_of(
                levels.begin(), levels.end(),
                [&](const std::string& level) { return equal_to_lowered(level, node.lowered); });
            if (!seen) levels.push_back(node.text);
            return true;
        }
        case Op::case_when: {
            const std::size_t whens = node.args.size() / 2;
            for (std::size_t when = 0; when < whens; ++when) {
                if (!collect_levels(node.args[2 * when + 1], levels)) return false;
            }
            return node.args.size() % 2 == 0 || collect_levels(node.args.back(), levels);
        }
        default: return false;
    }
}

}  // namespace

Expression::Expression() = default;
Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
// The tree is immutable once parsed: copies share it.
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;

ValueType Expression::type() const { return type_; }
const std::string& Expression::text() const { return text_; }
const std::vector<std::string>& Expression::names() const { return names_; }

std::vector<std::string> Expression::result_levels() const {
    std::vector<std::string> levels;
    if (!root_ || type_ != ValueType::text || !collect_levels(*root_, levels)) return {};
    return levels;
}

Value Expression::evaluate(std::span<const Value> row, const EvaluationContext& context) const {
    if (!root_) return {};
    switch (type_) {
        case ValueType::number: return Value::of_number(number_of(*root_, row, context));
        case ValueType::date: {
            const std::optional<Day> day = date_of(*root_, row, context);
            return day ? Value::of_date(*day) : Value{};
        }
        case ValueType::boolean: {
            const Truth value = truth_of(*root_, row, context);
            return value == Truth::unknown ? Value{} : Value::of_boolean(value == Truth::yes);
        }
        case ValueType::text: {
            std::string scratch;
            const std::string* value = text_of(*root_, row, context, scratch);
            if (value == nullptr) return {};
            return Value::of_text(value == &scratch ? std::move(scratch) : *value);
        }
    }
    return {};
}

double completed_years(Day from, Day to) { return years_between(from, to); }

}  // namespace rwe::study
