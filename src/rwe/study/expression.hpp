#pragma once
// Expressions of the protocol language (docs/protocols.md, "Expressions"): criteria,
// derived variables and analysis populations are written as expressions over variables,
// e.g. `ECOG <= 1 and (STAGE == 'IV' or AGE >= 65)`.
//
// An expression is parsed once, when the protocol is read: every name is resolved to a
// slot of the row it will be evaluated on and every operator is type-checked, so that an
// error names the protocol's file, line and key before any data is read. Evaluation is
// then a walk of a small tree over a row of values, with SQL's three-valued logic: a
// comparison or arithmetic with a missing operand is missing; `and`/`or` follow Kleene
// (false and missing = false, true or missing = true); `is missing` is never missing.
// Text compares case-insensitively, like the registry's codes.

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rwe/registry/sql_dialect.hpp"
#include "rwe/study/date.hpp"

namespace rwe::study {

enum class ValueType { number, text, date, boolean };

std::string to_string(ValueType type);  // "number", "text", "date", "true/false"

// One value of a row: missing, or a value of one of the four types.
struct Value {
    enum class Kind : unsigned char { missing, number, text, date, boolean };
    Kind kind = Kind::missing;
    double number = 0;  // number; also the truth of a boolean (1 or 0)
    Day date = 0;
    std::string text;

    static Value missing_value() { return {}; }
    static Value of_number(double value);  // NaN gives missing
    static Value of_text(std::string value);  // empty gives missing
    static Value of_date(Day value);
    static Value of_boolean(bool value);
    bool is_missing() const { return kind == Kind::missing; }
    bool is_true() const { return kind == Kind::boolean && number != 0; }  // false when missing
};

// What a name in an expression refers to: its slot in the row and its type. `levels`
// lists the values a text variable can take when they are known (codes, bands, case
// results): a text literal compared with such a variable must be one of them
// (case-insensitively), else the expression is rejected ("'postive' is not a level of HR").
struct NameInfo {
    std::size_t slot = 0;
    ValueType type = ValueType::number;
    std::vector<std::string> levels;  // empty: unknown (free codes)
};

// Resolves a name; nullopt when the name is unknown (the error then lists `known`).
struct NameScope {
    std::function<std::optional<NameInfo>(const std::string&)> lookup;
    std::vector<std::string> known;  // for the message of an unknown name
};

// Where an expression was written, for error messages: `file:line: key: problem (value)`.
struct SourceRef {
    std::string file;
    std::size_t line = 0;
    std::string key;  // e.g. "criteria[2].include", "variables.ELDERLY.expr"
};

// What evaluation needs beyond the row.
struct EvaluationContext {
    double days_per_unit = days_per_month;  // time_between() in the protocol's time unit
};

class Expression {
public:
    // Parses and checks `text`. Throws InputError at `where` naming the problem and the
    // offending token, e.g. `p.toml:31: criteria[1].include: unknown name (ECGO)` or
    // `...: 'and' needs true/false operands, got number (AGE and SEX)`.
    // `expected`, when given, is the type the whole expression must have.
    static Expression parse(const std::string& text, const SourceRef& where, const NameScope& scope,
                            std::optional<ValueType> expected = std::nullopt);

    Expression();
    ~Expression();
    Expression(Expression&&) noexcept;
    Expression& operator=(Expression&&) noexcept;
    Expression(const Expression&);
    Expression& operator=(const Expression&);

    ValueType type() const;
    const std::string& text() const;
    // Names the expression reads, each once, in order of first appearance.
    const std::vector<std::string>& names() const;
    // Text values the expression can produce when they are all known (a `case` whose
    // results are text literals, or a text literal): the levels of a derived variable,
    // in order of appearance. Empty otherwise.
    std::vector<std::string> result_levels() const;

    Value evaluate(std::span<const Value> row, const EvaluationContext& context = {}) const;
    // The expression as SQL in `dialect` (expression_sql.cpp), with the same value for
    // every row: `column(slot)` is the SQL of the variable in that slot (a number as a
    // double, a date as its day number, text NULL when missing, true/false the dialect's
    // truth). nullopt when the expression uses what has no SQL form yet (`round` with
    // digits that are not a number written out).
    std::optional<std::string> to_sql(const std::function<std::string(std::size_t)>& column,
                                      const registry::SqlDialect& dialect, double days_per_unit) const;

    struct Node;

private:
    std::shared_ptr<const Node> root_;
    std::string text_;
    std::vector<std::string> names_;
    ValueType type_ = ValueType::boolean;
};

// Completed years from `from` to `to`, as ages are counted (the expression function
// `years_between` and the `age` derivation): the difference of the years, less one when
// the (month, day) of `from` has not yet come in the final year.
double completed_years(Day from, Day to);
// The same in SQL, from two day numbers to a double (NULL when either is).
std::string years_between(const std::string& from_day, const std::string& to_day, const registry::SqlDialect& dialect);

}  // namespace rwe::study
