// An expression written as SQL for the store (Expression::to_sql, store_derivation.hpp).
// The SQL has the expression's meaning to the last bit: numbers are IEEE doubles (every
// number is cast, so that SQLite does not divide integers as integers nor PostgreSQL
// compute in numeric), dates are day numbers, text compares ignoring ASCII case, and a
// missing value is NULL, whose three-valued logic is the language's (docs/protocols.md,
// "Missing values").

#include <cmath>
#include <cstdio>
#include <optional>

#include "rwe/study/expression.hpp"
#include "rwe/study/expression_node.hpp"

namespace rwe::study {

namespace {

using Node = Expression::Node;
using Op = Node::Op;
using Type = Node::Type;

class SqlWriter {
public:
    SqlWriter(const std::function<std::string(std::size_t)>& column, const registry::SqlDialect& dialect, double days_per_unit)
        : column_(column), dialect_(dialect), days_per_unit_(days_per_unit) {}

    bool supported = true;

    std::string number_literal(double value) const { return dialect_.real(real_text(value)); }

    static std::string real_text(double value) {
        char text[40];
        std::snprintf(text, sizeof text, "%.17g", value);
        return text;
    }

    std::string write(const Node& node) {
        switch (node.op) {
            case Op::missing: return "NULL";
            case Op::literal:
                switch (node.type) {
                    case Type::number: return number_literal(node.number);
                    case Type::text: return registry::SqlDialect::literal(node.text);
                    case Type::date: return "(" + std::to_string(node.date) + ")";
                    case Type::boolean: return node.number != 0 ? "TRUE" : "FALSE";
                    case Type::none: return "NULL";
                }
                return "NULL";
            case Op::name: return "(" + column_(node.slot) + ")";
            case Op::negate: return "(-" + write(node.args[0]) + ")";
            case Op::sum: {
                std::string out = "(" + write(node.args[0]);
                for (std::size_t i = 1; i < node.args.size(); ++i) out += (node.inverse[i] ? " - " : " + ") + write(node.args[i]);
                return out + ")";
            }
            case Op::product: {
                // Division by zero is missing (NULLIF), as in the language.
                std::string out = "(" + write(node.args[0]);
                for (std::size_t i = 1; i < node.args.size(); ++i) {
                    out += node.inverse[i] ? " / NULLIF(" + write(node.args[i]) + ", 0)" : " * " + write(node.args[i]);
                }
                return out + ")";
            }
            case Op::logical_and:
            case Op::logical_or: {
                std::string out = "(";
                for (std::size_t i = 0; i < node.args.size(); ++i) {
                    out += (i ? (node.op == Op::logical_and ? " AND " : " OR ") : "") + write(node.args[i]);
                }
                return out + ")";
            }
            case Op::logical_not: return "(NOT " + write(node.args[0]) + ")";
            case Op::compare: return compare(node);
            case Op::in_list: return in_list(node);
            case Op::is_missing: return "(" + write(node.args[0]) + (node.negated ? " IS NOT NULL)" : " IS NULL)");
            case Op::case_when: {
                std::string out = "(CASE";
                std::size_t i = 0;
                for (; i + 1 < node.args.size(); i += 2) out += " WHEN " + write(node.args[i]) + " THEN " + write(node.args[i + 1]);
                if (i < node.args.size()) out += " ELSE " + write(node.args[i]);
                return out + " END)";
            }
            case Op::coalesce: {
                std::string out = "COALESCE(";
                for (std::size_t i = 0; i < node.args.size(); ++i) out += (i ? ", " : "") + write(node.args[i]);
                return out + ")";
            }
            case Op::upper: return dialect_.upper_ascii(write(node.args[0]));
            case Op::lower: return dialect_.lower_ascii(write(node.args[0]));
            case Op::days_between: return dialect_.real("(" + write(node.args[1]) + " - " + write(node.args[0]) + ")");
            case Op::time_between:
                if (!(days_per_unit_ > 0)) return "NULL";
                return "(" + dialect_.real("(" + write(node.args[1]) + " - " + write(node.args[0]) + ")") + " / " +
                       number_literal(days_per_unit_) + ")";
            case Op::years_between: return years_between(write(node.args[0]), write(node.args[1]), dialect_);
            case Op::year: return dialect_.real("CAST(substr(" + dialect_.iso_of(write(node.args[0])) + ", 1, 4) AS INTEGER)");
            case Op::abs: return "abs(" + write(node.args[0]) + ")";
            case Op::round: return round(node);
            case Op::add_days: {
                // The date n days on, n rounded half away from zero (exact: x - trunc(x) is).
                const std::string n = write(node.args[1]);
                const std::string whole = dialect_.truncate(n);
                return "(" + write(node.args[0]) + " + CAST(" + whole + " + (CASE WHEN " + n + " - " + whole +
                       " >= 0.5 THEN 1 WHEN " + n + " - " + whole + " <= -0.5 THEN -1 ELSE 0 END) AS INTEGER))";
            }
            case Op::min:
            case Op::max: {
                // Missing when any argument is: SQLite's min() says so, PostgreSQL's LEAST
                // would skip it.
                std::string any_missing, list;
                for (std::size_t i = 0; i < node.args.size(); ++i) {
                    const std::string arg = write(node.args[i]);
                    any_missing += (i ? " OR " : "") + arg + " IS NULL";
                    list += (i ? ", " : "") + arg;
                }
                const bool sqlite = !dialect_.numbered_placeholders;
                const std::string function = node.op == Op::min ? (sqlite ? "min" : "LEAST") : (sqlite ? "max" : "GREATEST");
                return "(CASE WHEN " + any_missing + " THEN NULL ELSE " + function + "(" + list + ") END)";
            }
        }
        supported = false;
        return "NULL";
    }

private:
    // A number written as a literal (`2`, `-1`), else nullopt.
    static std::optional<double> constant(const Node& node) {
        if (node.op == Op::literal && node.type == Type::number) return node.number;
        if (node.op == Op::negate && node.args[0].op == Op::literal && node.args[0].type == Type::number) return -node.args[0].number;
        return std::nullopt;
    }

    // y rounded half away from zero, as std::round (y - trunc(y) is exact).
    std::string round_half_away(const std::string& y) const {
        const std::string whole = dialect_.truncate(y);
        return "(" + whole + " + (CASE WHEN " + y + " - " + whole + " >= 0.5 THEN 1 WHEN " + y + " - " + whole +
               " <= -0.5 THEN -1 ELSE 0 END))";
    }

    // round(x, digits) as expression.cpp's round_to, for digits written as a literal (the
    // scale is then a constant): half away from zero at 10^-digits; x as it is past 2^52
    // once scaled, where a double has no fraction left.
    std::string round(const Node& node) {
        const std::optional<double> digits = node.args.size() > 1 ? constant(node.args[1]) : std::optional<double>(0.0);
        if (!digits) {
            supported = false;  // digits computed per row: not written in SQL
            return "NULL";
        }
        const std::string x = write(node.args[0]);
        const double places = std::round(*digits);
        if (places >= 0) {
            const double scale = std::pow(10.0, places);
            if (!std::isfinite(scale)) return x;
            const std::string scaled = "(" + x + " * " + number_literal(scale) + ")";
            return "(CASE WHEN abs" + scaled + " >= 4503599627370496.0 THEN " + x + " ELSE " + round_half_away(scaled) + " / " +
                   number_literal(scale) + " END)";
        }
        const double scale = std::pow(10.0, -places);
        if (!std::isfinite(scale)) return "(CASE WHEN " + x + " IS NULL THEN NULL ELSE " + number_literal(0) + " END)";
        return "(" + round_half_away("(" + x + " / " + number_literal(scale) + ")") + " * " + number_literal(scale) + ")";
    }

    static const char* comparison(Node::Comparison c) {
        switch (c) {
            case Node::Comparison::equal: return " = ";
            case Node::Comparison::not_equal: return " <> ";
            case Node::Comparison::less: return " < ";
            case Node::Comparison::less_equal: return " <= ";
            case Node::Comparison::greater: return " > ";
            case Node::Comparison::greater_equal: return " >= ";
        }
        return " = ";
    }

    // Text compares ignoring case: literals are lower-cased already.
    std::string text_operand(const Node& node) {
        if (node.op == Op::literal) return registry::SqlDialect::literal(node.lowered);
        return dialect_.lower_ascii(write(node));
    }

    std::string compare(const Node& node) {
        if (node.operand_type == Type::text) {
            return "(" + text_operand(node.args[0]) + comparison(node.comparison) + text_operand(node.args[1]) + ")";
        }
        return "(" + write(node.args[0]) + comparison(node.comparison) + write(node.args[1]) + ")";
    }

    std::string in_list(const Node& node) {
        std::string items;
        switch (node.operand_type) {
            case Type::number:
                for (double value : node.numbers) items += (items.empty() ? "" : ", ") + number_literal(value);
                break;
            case Type::boolean:
                for (double value : node.numbers) items += (items.empty() ? "" : ", ") + std::string(value != 0 ? "TRUE" : "FALSE");
                break;
            case Type::date:
                for (Day value : node.dates) items += (items.empty() ? "" : ", ") + std::to_string(value);
                break;
            case Type::text:
                for (const auto& value : node.texts) items += (items.empty() ? "" : ", ") + registry::SqlDialect::literal(value);
                break;
            case Type::none: return "NULL";
        }
        const std::string operand = node.operand_type == Type::text ? text_operand(node.args[0]) : write(node.args[0]);
        return "(" + operand + (node.negated ? " NOT IN (" : " IN (") + items + "))";
    }

    const std::function<std::string(std::size_t)>& column_;
    const registry::SqlDialect& dialect_;
    double days_per_unit_;
};

}  // namespace

std::string years_between(const std::string& from_day, const std::string& to_day, const registry::SqlDialect& dialect) {
    // Completed years: the difference of the years, less one when the (month, day) of
    // `to` comes before that of `from` (the ISO texts' "MM-DD" compare as dates do).
    const std::string from = dialect.iso_of(from_day), to = dialect.iso_of(to_day);
    return "(CASE WHEN " + from_day + " IS NULL OR " + to_day + " IS NULL THEN NULL ELSE " +
           dialect.real("CAST(substr(" + to + ", 1, 4) AS INTEGER) - CAST(substr(" + from +
                        ", 1, 4) AS INTEGER) - (CASE WHEN substr(" + to + ", 6, 5) < substr(" + from +
                        ", 6, 5) THEN 1 ELSE 0 END)") +
           " END)";
}

std::optional<std::string> Expression::to_sql(const std::function<std::string(std::size_t)>& column,
                                              const registry::SqlDialect& dialect, double days_per_unit) const {
    if (!root_) return std::nullopt;
    SqlWriter writer(column, dialect, days_per_unit);
    std::string sql = writer.write(*root_);
    if (!writer.supported) return std::nullopt;
    return sql;
}

}  // namespace rwe::study
