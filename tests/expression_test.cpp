// The protocol expression language (docs/protocols.md, "Expressions"). Expected values are
// worked by hand in the comments: Kleene's three-valued logic as SQL has it, calendar
// arithmetic checked on a calendar.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/study/expression.hpp"

namespace {

using rwe::study::Day;
using rwe::study::EvaluationContext;
using rwe::study::Expression;
using rwe::study::NameInfo;
using rwe::study::NameScope;
using rwe::study::SourceRef;
using rwe::study::Value;
using rwe::study::ValueType;

struct Variable {
    std::string name;
    ValueType type;
    std::vector<std::string> levels;
};

const std::vector<Variable>& variables() {
    static const std::vector<Variable> all = {
        {"AGE", ValueType::number, {}},
        {"SEX", ValueType::text, {}},
        {"HR", ValueType::text, {"negative", "positive", "unknown"}},
        {"HER2IHC", ValueType::text, {"0", "1+", "2+", "3+"}},
        {"HER2ISH", ValueType::number, {}},
        {"DX_DATE", ValueType::date, {}},
        {"BIRTH_DATE", ValueType::date, {}},
        {"A", ValueType::boolean, {}},
        {"B", ValueType::boolean, {}},
        {"C", ValueType::boolean, {}},
        {"STAGE", ValueType::text, {}},
        {"X", ValueType::number, {}},
        {"Y", ValueType::number, {}},
    };
    return all;
}

const std::string known_names =
    "AGE, SEX, HR, HER2IHC, HER2ISH, DX_DATE, BIRTH_DATE, A, B, C, STAGE, X, Y";

NameScope scope() {
    NameScope out;
    out.lookup = [](const std::string& name) -> std::optional<NameInfo> {
        for (std::size_t slot = 0; slot < variables().size(); ++slot) {
            const Variable& variable = variables()[slot];
            if (variable.name == name) return NameInfo{slot, variable.type, variable.levels};
        }
        return std::nullopt;
    };
    for (const Variable& variable : variables()) out.known.push_back(variable.name);
    return out;
}

const SourceRef where{"p.toml", 31, "criteria[1].include"};
const std::string place = "p.toml:31: criteria[1].include: ";

Expression parse(const std::string& text, std::optional<ValueType> expected = std::nullopt) {
    return Expression::parse(text, where, scope(), expected);
}

using Cells = std::vector<std::pair<std::string, Value>>;

std::vector<Value> row(const Cells& cells) {
    std::vector<Value> out(variables().size());
    for (const auto& [name, value] : cells) {
        for (std::size_t slot = 0; slot < variables().size(); ++slot) {
            if (variables()[slot].name == name) out[slot] = value;
        }
    }
    return out;
}

Value number(double value) { return Value::of_number(value); }
Value text(std::string value) { return Value::of_text(std::move(value)); }
Value date(const char* iso) { return Value::of_date(*rwe::study::parse_iso_date(iso)); }
const Value yes = Value::of_boolean(true);
const Value no = Value::of_boolean(false);
const Value missing = Value::missing_value();

std::string show(const Value& value) {
    switch (value.kind) {
        case Value::Kind::missing: return "missing";
        case Value::Kind::number: return fmt::format("{}", value.number);
        case Value::Kind::text: return "'" + value.text + "'";
        case Value::Kind::date: return rwe::study::format_iso_date(value.date);
        case Value::Kind::boolean: return value.number != 0 ? "true" : "false";
    }
    return "?";
}

std::string evaluate(const std::string& text, const Cells& cells = {},
                     const EvaluationContext& context = {}) {
    const std::vector<Value> values = row(cells);
    return show(parse(text).evaluate(values, context));
}

// The message of the InputError that parsing throws, without the place (checked once below).
std::string error_of(const std::string& text, std::optional<ValueType> expected = std::nullopt) {
    try {
        parse(text, expected);
    } catch (const rwe::InputError& error) {
        const std::string message = error.what();
        if (!message.starts_with(place)) return "(place missing) " + message;
        return message.substr(place.size());
    }
    return "(no error)";
}

struct Example {
    std::string text;
    Cells cells;
    std::string expected;
};

void check(const std::vector<Example>& examples, const EvaluationContext& context = {}) {
    for (const Example& example : examples) {
        EXPECT_EQ(evaluate(example.text, example.cells, context), example.expected) << example.text;
    }
}

// ---- three-valued logic ----

TEST(Expression, AndOrFollowKleene) {
    // Kleene's strong three-valued logic (SQL): false and anything is false, true or
    // anything is true, otherwise a missing operand makes the result missing.
    struct Case {
        Value a, b;
        std::string a_and_b, a_or_b;
    };
    const Case table[] = {
        {yes, yes, "true", "true"},         {yes, no, "false", "true"},
        {yes, missing, "missing", "true"},  {no, yes, "false", "true"},
        {no, no, "false", "false"},         {no, missing, "false", "missing"},
        {missing, yes, "missing", "true"},  {missing, no, "false", "missing"},
        {missing, missing, "missing", "missing"},
    };
    const Expression conjunction = parse("A and B");
    const Expression disjunction = parse("A or B");
    for (const Case& c : table) {
        const std::vector<Value> values = row({{"A", c.a}, {"B", c.b}});
        EXPECT_EQ(show(conjunction.evaluate(values)), c.a_and_b)
            << show(c.a) << " and " << show(c.b);
        EXPECT_EQ(show(disjunction.evaluate(values)), c.a_or_b) << show(c.a) << " or " << show(c.b);
    }
}

TEST(Expression, NotOfMissingIsMissing) {
    check({
        {"not A", {{"A", yes}}, "false"},
        {"not A", {{"A", no}}, "true"},
        {"not A", {}, "missing"},
        {"not not A", {{"A", yes}}, "true"},
        {"not (AGE > 50)", {}, "missing"},
    });
}

TEST(Expression, ChainsOfAndOrKeepKleene) {
    check({
        {"A and B and C", {{"A", yes}, {"C", no}}, "false"},  // true, missing, false
        {"A and B and C", {{"A", yes}, {"C", yes}}, "missing"},
        {"A or B or C", {{"A", no}, {"C", yes}}, "true"},  // false, missing, true
        {"A or B or C", {{"A", no}, {"C", no}}, "missing"},
    });
}

TEST(Expression, IsMissingIsNeverMissing) {
    check({
        {"A is missing", {}, "true"},
        {"A is missing", {{"A", no}}, "false"},
        {"A is not missing", {}, "false"},
        {"A is not missing", {{"A", no}}, "true"},
        {"AGE is missing", {{"AGE", number(0)}}, "false"},
        {"SEX is missing", {{"SEX", text("")}}, "true"},  // empty text is missing
        {"DX_DATE is not missing", {{"DX_DATE", date("2020-01-01")}}, "true"},
        {"AGE + 1 is missing", {}, "true"},
        {"AGE / 0 is missing", {{"AGE", number(1)}}, "true"},
        {"upper(SEX) is missing", {{"SEX", text("f")}}, "false"},
        {"(AGE > 1) is missing", {}, "true"},
    });
}

// ---- precedence ----

TEST(Expression, NotBindsTighterThanAndThanOr) {
    // not A and B or C = ((not A) and B) or C. With A true, B false, C true the other
    // readings differ: not (A and B or C) = false, (not A) and (B or C) = false.
    const Expression expression = parse("not A and B or C");
    const Expression explicit_form = parse("((not A) and B) or C");
    EXPECT_EQ(show(expression.evaluate(row({{"A", yes}, {"B", no}, {"C", yes}}))), "true");
    EXPECT_EQ(show(expression.evaluate(row({{"A", no}, {"B", yes}, {"C", no}}))), "true");
    EXPECT_EQ(show(expression.evaluate(row({{"A", yes}, {"B", yes}, {"C", no}}))), "false");
    const Value values[] = {yes, no, missing};
    for (const Value& a : values) {
        for (const Value& b : values) {
            for (const Value& c : values) {
                const std::vector<Value> cells = row({{"A", a}, {"B", b}, {"C", c}});
                EXPECT_EQ(show(expression.evaluate(cells)), show(explicit_form.evaluate(cells)));
            }
        }
    }
    // A or B and C = A or (B and C): true with A true, C false.
    check({{"A or B and C", {{"A", yes}, {"B", no}, {"C", no}}, "true"}});
}

TEST(Expression, ArithmeticPrecedenceAndAssociativity) {
    check({
        {"1 + 2 * 3", {}, "7"},
        {"(1 + 2) * 3", {}, "9"},
        {"10 - 4 - 3", {}, "3"},  // (10 - 4) - 3
        {"12 / 3 / 2", {}, "2"},  // (12 / 3) / 2
        {"2 * 3 / 4", {}, "1.5"},
        {"-2 * 3", {}, "-6"},
        {"2 * -3", {}, "-6"},
        {"1 - -1", {}, "2"},
        {"- AGE + 1", {{"AGE", number(5)}}, "-4"},
        {"-(AGE + 1)", {{"AGE", number(5)}}, "-6"},
        {"1 + 2 * 3 == 7 and 2 > 1", {}, "true"},
        {"not AGE > 50", {{"AGE", number(60)}}, "false"},  // not (AGE > 50)
        {"AGE + 1 in (51)", {{"AGE", number(50)}}, "true"},
    });
}

// ---- literals and keywords ----

TEST(Expression, Literals) {
    check({
        {"12", {}, "12"},
        {"2.5", {}, "2.5"},
        {"1e3", {}, "1000"},
        {"2.5E-1", {}, "0.25"},
        {".5", {}, "0.5"},
        {"-7", {}, "-7"},
        {"'3+'", {}, "'3+'"},
        {"\"de novo\"", {}, "'de novo'"},
        {"'it''s'", {}, "'it's'"},
        {"\"say \"\"hi\"\"\"", {}, "'say \"hi\"'"},
        {"true", {}, "true"},
        {"false", {}, "false"},
        {"date('2020-01-31')", {}, "2020-01-31"},
        {"date('2000-02-29')", {}, "2000-02-29"},
    });
    const Expression always_missing = parse("missing", ValueType::number);
    EXPECT_EQ(always_missing.type(), ValueType::number);
    EXPECT_EQ(show(always_missing.evaluate(row({}))), "missing");
}

TEST(Expression, KeywordsIgnoreCaseNamesDoNot) {
    check({
        {"A AND NOT B", {{"A", yes}, {"B", no}}, "true"},
        {"A Or B", {{"A", no}, {"B", yes}}, "true"},
        {"TRUE", {}, "true"},
        {"CASE WHEN A THEN 'x' ELSE 'y' END", {{"A", no}}, "'y'"},
        {"AGE IS NOT MISSING", {{"AGE", number(1)}}, "true"},
        {"AGE NOT IN (1, 2)", {{"AGE", number(3)}}, "true"},
        {"DX_DATE = Date('2020-01-01')", {{"DX_DATE", date("2020-01-01")}}, "true"},
        {"UPPER('a')", {}, "'A'"},
    });
    EXPECT_EQ(error_of("age > 1"),
              "unknown name (age); did you mean AGE? known names: " + known_names);
}

// ---- comparisons ----

TEST(Expression, NumberComparisons) {
    const Cells fifty = {{"AGE", number(50)}};
    check({
        {"AGE == 50", fifty, "true"},
        {"AGE = 50", fifty, "true"},
        {"AGE != 50", fifty, "false"},
        {"AGE <> 50", fifty, "false"},
        {"AGE < 50", fifty, "false"},
        {"AGE <= 50", fifty, "true"},
        {"AGE > 49.5", fifty, "true"},
        {"AGE >= 51", fifty, "false"},
        {"50 == AGE", fifty, "true"},
        {"AGE == X", {{"AGE", number(2)}, {"X", number(2)}}, "true"},
    });
    for (const char* op : {"==", "!=", "<", "<=", ">", ">="}) {
        EXPECT_EQ(evaluate(fmt::format("AGE {} 50", op)), "missing") << op;
        EXPECT_EQ(evaluate(fmt::format("50 {} AGE", op)), "missing") << op;
    }
}

TEST(Expression, DateComparisons) {
    const Cells cells = {{"DX_DATE", date("2020-03-15")}, {"BIRTH_DATE", date("1960-05-10")}};
    check({
        {"DX_DATE > date('2020-01-01')", cells, "true"},
        {"DX_DATE == date('2020-03-15')", cells, "true"},
        {"DX_DATE <= date('2020-03-14')", cells, "false"},
        {"DX_DATE < BIRTH_DATE", cells, "false"},
        {"DX_DATE != BIRTH_DATE", cells, "true"},
        {"DX_DATE > date('2020-01-01')", {}, "missing"},
    });
}

TEST(Expression, TextComparesIgnoringCase) {
    const Cells cells = {{"SEX", text("Female")}, {"STAGE", text("FEMALE")}};
    check({
        {"SEX == 'female'", cells, "true"},
        {"SEX == 'FEMALE'", cells, "true"},
        {"'fEmAlE' == SEX", cells, "true"},
        {"SEX != 'male'", cells, "true"},
        {"SEX != 'Female'", cells, "false"},
        {"SEX == STAGE", cells, "true"},  // two variables
        {"upper(SEX) == lower(STAGE)", cells, "true"},
        {"SEX == 'female'", {}, "missing"},
        {"SEX != 'female'", {}, "missing"},
        {"SEX == 'Fem'", cells, "false"},
    });
}

TEST(Expression, BooleanComparisons) {
    check({
        {"A == true", {{"A", yes}}, "true"},
        {"A != B", {{"A", yes}, {"B", no}}, "true"},
        {"A == B", {{"A", no}, {"B", no}}, "true"},
        {"A == true", {}, "missing"},
        {"(AGE > 1) == (X > 1)", {{"AGE", number(2)}, {"X", number(0)}}, "false"},
    });
}

TEST(Expression, InAndNotIn) {
    check({
        {"AGE in (40, 50, 60)", {{"AGE", number(50)}}, "true"},
        {"AGE in (1, 2)", {{"AGE", number(50)}}, "false"},
        {"AGE not in (1, 2)", {{"AGE", number(50)}}, "true"},
        {"AGE not in (50)", {{"AGE", number(50)}}, "false"},
        {"AGE in (-1, 2)", {{"AGE", number(-1)}}, "true"},
        {"AGE in (1, 2)", {}, "missing"},
        {"AGE not in (1, 2)", {}, "missing"},
        {"SEX in ('MALE', 'female')", {{"SEX", text("Female")}}, "true"},
        {"SEX not in ('MALE', 'female')", {{"SEX", text("Female")}}, "false"},
        {"SEX in ('x')", {}, "missing"},
        {"HR in ('Positive', 'unknown')", {{"HR", text("POSITIVE")}}, "true"},
        {"DX_DATE in (date('2020-03-15'), date('2021-01-01'))",
         {{"DX_DATE", date("2020-03-15")}},
         "true"},
        {"A in (true)", {{"A", yes}}, "true"},
        {"A in (true)", {{"A", no}}, "false"},
        {"A in (true)", {}, "missing"},
    });
}

// ---- arithmetic ----

TEST(Expression, Arithmetic) {
    const Cells cells = {{"AGE", number(50)}, {"X", number(3)}};
    check({
        {"AGE + 1", cells, "51"},
        {"AGE - 1", cells, "49"},
        {"AGE * 2", cells, "100"},
        {"AGE / 4", cells, "12.5"},
        {"-AGE", cells, "-50"},
        {"AGE / 0", cells, "missing"},  // division by zero
        {"AGE / (X - X)", cells, "missing"},
        {"0 / 0", {}, "missing"},
        {"AGE + Y", cells, "missing"},
        {"Y * 0", cells, "missing"},
        {"-Y", cells, "missing"},
        {"AGE / Y", cells, "missing"},
    });
}

// ---- functions ----

TEST(Expression, TextFunctions) {
    check({
        {"upper('abc')", {}, "'ABC'"},
        {"upper(SEX)", {{"SEX", text("Female")}}, "'FEMALE'"},
        {"lower(SEX)", {{"SEX", text("Female")}}, "'female'"},
        {"upper(lower(SEX))", {{"SEX", text("a rather long text past the short buffer")}},
         "'A RATHER LONG TEXT PAST THE SHORT BUFFER'"},
        {"upper(SEX)", {}, "missing"},
        {"lower(SEX)", {}, "missing"},
    });
}

TEST(Expression, Coalesce) {
    check({
        {"coalesce(AGE, X, 0)", {{"X", number(3)}}, "3"},
        {"coalesce(AGE, X, 0)", {{"AGE", number(1)}, {"X", number(3)}}, "1"},
        {"coalesce(AGE, X, 0)", {}, "0"},
        {"coalesce(AGE, X)", {}, "missing"},
        {"coalesce(SEX, 'unknown')", {}, "'unknown'"},
        {"coalesce(upper(SEX), 'unknown')", {{"SEX", text("f")}}, "'F'"},
        {"coalesce(A, false)", {}, "false"},
        {"coalesce(A, false)", {{"A", yes}}, "true"},
        {"coalesce(DX_DATE, date('2000-01-01'))", {}, "2000-01-01"},
        {"coalesce(missing, AGE)", {{"AGE", number(4)}}, "4"},
    });
}

TEST(Expression, DateFunctions) {
    const Cells cells = {{"DX_DATE", date("2020-03-15")}, {"BIRTH_DATE", date("1960-05-10")}};
    check({
        // 2020 is a leap year: 31 days of January and 29 of February
        {"days_between(date('2020-01-01'), date('2020-03-01'))", {}, "60"},
        {"days_between(date('2020-03-01'), date('2020-01-01'))", {}, "-60"},
        {"days_between(BIRTH_DATE, DX_DATE)", cells, "21859"},  // 59 years (21,549 days) and 310
        {"days_between(BIRTH_DATE, DX_DATE)", {}, "missing"},
        {"days_between(BIRTH_DATE, date('2020-01-01'))", {}, "missing"},
        {"add_days(date('2020-02-28'), 1)", {}, "2020-02-29"},
        {"add_days(date('2020-03-01'), -1)", {}, "2020-02-29"},
        {"add_days(date('2019-12-31'), 366)", {}, "2020-12-31"},
        {"add_days(DX_DATE, 1.6)", cells, "2020-03-17"},  // whole days: 1.6 rounds to 2
        {"add_days(DX_DATE, 1e9)", cells, "missing"},     // past year 9999
        {"add_days(DX_DATE, X)", cells, "missing"},
        {"add_days(BIRTH_DATE, 1)", {}, "missing"},
        {"year(date('2020-12-31'))", {}, "2020"},
        {"year(date('0001-01-01'))", {}, "1"},
        {"year(DX_DATE)", cells, "2020"},
        {"year(DX_DATE)", {}, "missing"},
        {"min(DX_DATE, BIRTH_DATE)", cells, "1960-05-10"},
        {"max(DX_DATE, BIRTH_DATE, date('2021-01-01'))", cells, "2021-01-01"},
        {"max(DX_DATE, BIRTH_DATE)", {{"DX_DATE", date("2020-03-15")}}, "missing"},
    });
}

TEST(Expression, TimeBetweenUsesTheProtocolsUnit) {
    // 2020-01-01 to 2021-01-01 is 366 days.
    const std::vector<Value> empty = row({});
    const Expression expression = parse("time_between(date('2020-01-01'), date('2021-01-01'))");
    EXPECT_DOUBLE_EQ(expression.evaluate(empty).number, 366 / 30.4375);  // months by default
    EXPECT_DOUBLE_EQ(expression.evaluate(empty, EvaluationContext{365.25}).number, 366 / 365.25);
    EXPECT_DOUBLE_EQ(expression.evaluate(empty, EvaluationContext{7}).number, 366 / 7.0);
    EXPECT_DOUBLE_EQ(expression.evaluate(empty, EvaluationContext{1}).number, 366);
    EXPECT_EQ(evaluate("time_between(DX_DATE, date('2021-01-01'))"), "missing");
}

TEST(Expression, YearsBetweenCountsBirthdays) {
    check({
        // born on a leap day: the first birthday is completed on 1 March of 2001
        {"years_between(date('2000-02-29'), date('2001-02-28'))", {}, "0"},
        {"years_between(date('2000-02-29'), date('2001-03-01'))", {}, "1"},
        {"years_between(date('2000-02-29'), date('2004-02-28'))", {}, "3"},
        {"years_between(date('2000-02-29'), date('2004-02-29'))", {}, "4"},
        // the day before and on the 60th birthday
        {"years_between(date('1960-05-10'), date('2020-05-09'))", {}, "59"},
        {"years_between(date('1960-05-10'), date('2020-05-10'))", {}, "60"},
        {"years_between(date('1960-05-10'), date('1960-05-10'))", {}, "0"},
        {"years_between(date('2019-12-31'), date('2020-01-01'))", {}, "0"},
        // backwards: minus the completed years forwards
        {"years_between(date('2001-03-01'), date('2000-02-29'))", {}, "-1"},
        {"years_between(date('2020-05-09'), date('1960-05-10'))", {}, "-59"},
        {"years_between(BIRTH_DATE, DX_DATE)", {{"BIRTH_DATE", date("1960-05-10")}}, "missing"},
    });
}

TEST(Expression, CalendarFunctionsAgreeWithIsoDates) {
    // Every day of 1896-2104: year() is the year of its ISO date; years_between counts n on
    // the n-th anniversary, written as ISO text, and n - 1 on the day before.
    const Expression year = parse("year(DX_DATE)");
    const Expression years = parse("years_between(BIRTH_DATE, DX_DATE)");
    const Day first = *rwe::study::parse_iso_date("1896-01-01");
    const Day last = *rwe::study::parse_iso_date("2104-12-31");
    std::vector<Value> values = row({});
    Value& birth = values[6];  // BIRTH_DATE
    Value& diagnosis = values[5];  // DX_DATE
    for (Day day = first; day <= last; ++day) {
        const std::string iso = rwe::study::format_iso_date(day);
        const int calendar_year = std::stoi(iso.substr(0, 4));
        diagnosis = Value::of_date(day);
        ASSERT_EQ(year.evaluate(values).number, calendar_year) << iso;
        const int n = 1 + (day - first) % 7;
        const std::optional<Day> anniversary =
            rwe::study::parse_iso_date(fmt::format("{:04d}{}", calendar_year + n, iso.substr(4)));
        if (!anniversary) continue;  // 29 February to a common year: YearsBetweenCountsBirthdays
        birth = Value::of_date(day);
        diagnosis = Value::of_date(*anniversary);
        ASSERT_EQ(years.evaluate(values).number, n) << iso;
        diagnosis = Value::of_date(*anniversary - 1);
        ASSERT_EQ(years.evaluate(values).number, n - 1) << iso;
    }
}

TEST(Expression, NumberFunctions) {
    check({
        {"min(3, 1, 2)", {}, "1"},
        {"max(3, 1, 2)", {}, "3"},
        {"min(AGE, 10)", {}, "missing"},  // missing if any is missing
        {"max(AGE, X)", {{"AGE", number(4)}, {"X", number(-4)}}, "4"},
        {"abs(-2.5)", {}, "2.5"},
        {"abs(AGE)", {{"AGE", number(3)}}, "3"},
        {"abs(AGE)", {}, "missing"},
        // half away from zero
        {"round(2.5, 0)", {}, "3"},
        {"round(-2.5, 0)", {}, "-3"},
        {"round(2.4)", {}, "2"},
        {"round(1.25, 1)", {}, "1.3"},  // 12.5 is exact in binary
        {"round(1234.5678, 2)", {}, "1234.57"},
        {"round(1234.5678, -2)", {}, "1200"},
        {"round(1234.5678, 400)", {}, "1234.5678"},
        {"round(1234.5678, -400)", {}, "0"},
        {"round(AGE, 1)", {}, "missing"},
        {"round(1.5, X)", {}, "missing"},
    });
}

// ---- case ----

TEST(Expression, CaseTakesTheFirstTrueWhen) {
    const std::string bands =
        "case when AGE < 40 then '<40' when AGE < 60 then '40-59' else '60+' end";
    check({
        {bands, {{"AGE", number(30)}}, "'<40'"},
        {bands, {{"AGE", number(50)}}, "'40-59'"},
        {bands, {{"AGE", number(70)}}, "'60+'"},
        {bands, {}, "'60+'"},  // missing conditions are not true
        {"case when A then 1 end", {{"A", yes}}, "1"},
        {"case when A then 1 end", {{"A", no}}, "missing"},  // no else
        {"case when A then 1 end", {}, "missing"},
        {"case when A then missing else 2 end", {{"A", yes}}, "missing"},
        {"case when A then missing else 2 end", {{"A", no}}, "2"},
        {"case when A then DX_DATE else date('2000-01-01') end", {}, "2000-01-01"},
        {"case when A then B else not B end", {{"A", no}, {"B", no}}, "true"},
        {"case when A then case when B then 'b' else 'c' end else 'a' end", {{"A", yes}}, "'c'"},
        {"case when AGE > 1 then AGE * 2 else 0 end + 1", {{"AGE", number(5)}}, "11"},
    });
}

// ---- levels ----

TEST(Expression, TextLiteralsMustBeLevelsOfTheVariable) {
    check({
        {"HR == 'POSITIVE'", {{"HR", text("positive")}}, "true"},
        {"'Negative' != HR", {{"HR", text("positive")}}, "true"},
        {"HER2IHC == '3+' or (HER2IHC == '2+' and HER2ISH > 2.0)",
         {{"HER2IHC", text("2+")}, {"HER2ISH", number(2.2)}},
         "true"},
        {"SEX == 'anything'", {{"SEX", text("x")}}, "false"},  // no levels known
    });
    const std::string levels = " (levels: negative, positive, unknown)";
    EXPECT_EQ(error_of("HR == 'postive'"), "'postive' is not a level of HR" + levels);
    EXPECT_EQ(error_of("'postive' = HR"), "'postive' is not a level of HR" + levels);
    EXPECT_EQ(error_of("HR != 'postive'"), "'postive' is not a level of HR" + levels);
    EXPECT_EQ(error_of("HR in ('positive', 'negtive')"), "'negtive' is not a level of HR" + levels);
    EXPECT_EQ(error_of("HR not in ('x')"), "'x' is not a level of HR" + levels);
}

// ---- errors ----

TEST(Expression, ErrorNamesFileLineKeyAndIsAnInputError) {
    try {
        parse("HER2IHX == '3+'");
        FAIL() << "no error";
    } catch (const rwe::InputError& error) {
        EXPECT_EQ(error.kind(), rwe::ErrorKind::input);
        EXPECT_EQ(std::string(error.what()),
                  "p.toml:31: criteria[1].include: unknown name (HER2IHX); did you mean HER2IHC? "
                  "known names: " +
                      known_names);
    }
}

TEST(Expression, UnknownNamesListKnownOnesWhenFew) {
    EXPECT_EQ(error_of("FOO > 1"), "unknown name (FOO); known names: " + known_names);
    NameScope many;
    many.lookup = [](const std::string&) { return std::nullopt; };
    for (int i = 0; i < 30; ++i) many.known.push_back(fmt::format("VAR{}", i));
    const auto message = [&](const std::string& text) {
        try {
            Expression::parse(text, where, many);
        } catch (const rwe::InputError& error) {
            return std::string(error.what()).substr(place.size());
        }
        return std::string("(no error)");
    };
    EXPECT_EQ(message("VAR_12"), "unknown name (VAR_12); did you mean VAR12?");
    EXPECT_EQ(message("SOMETHING"), "unknown name (SOMETHING)");
    NameScope none;  // no lookup at all
    EXPECT_THROW(Expression::parse("AGE", where, none), rwe::InputError);
}

TEST(Expression, SyntaxErrorMessages) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "empty expression"},
        {"  \n ", "empty expression"},
        {"A and then", "unexpected 'then' (expected an operand)"},
        {"AGE >", "unexpected end of expression (expected an operand)"},
        {"not", "unexpected end of expression (expected an operand)"},
        {"(AGE > 1", "unexpected end of expression (expected ')')"},
        {"AGE > 1)", "unexpected ')' (expected an operator or the end of the expression)"},
        {"A B", "unexpected 'B' (expected an operator or the end of the expression)"},
        {"AGE not 5", "unexpected 'not' (expected an operator or the end of the expression)"},
        {"AGE > 1 > 0",
         "unexpected '>' (comparisons do not chain: join them with 'and', or use parentheses)"},
        {"AGE > 1 is missing",
         "unexpected 'is' (comparisons do not chain: join them with 'and', or use parentheses)"},
        {"AGE in 1", "unexpected '1' (expected '(' after 'in')"},
        {"AGE in (1 2)", "unexpected '2' (expected ',' or ')')"},
        {"AGE is 5", "unexpected '5' (expected 'missing' or 'not missing' after 'is')"},
        {"date(AGE)", "unexpected 'AGE' (expected a date in quotes, like date('2020-01-31'))"},
        {"date '2020-01-01'", "unexpected '2020-01-01' (expected '(' after 'date')"},
        {"case A then 1 end", "unexpected 'A' (expected 'when')"},
        {"case when A 1 end", "unexpected '1' (expected 'then')"},
        {"case when A then 1", "unexpected end of expression (expected 'when', 'else' or 'end')"},
        {"case when A then 1 else 2", "unexpected end of expression (expected 'end')"},
        {"upper(SEX", "unexpected end of expression (expected ',' or ')')"},
        {"SEX == 'F", "text has no closing quote ('F)"},
        {"1.2.3", "malformed number (1.2.3)"},
        {"12abc", "malformed number (12abc)"},
        {"1e999", "number out of range (1e999)"},
        {"AGE # 2", "unexpected character '#'"},
        {"A && B", "unexpected character '&' (write 'and')"},
        {"A || B", "unexpected character '|' (write 'or')"},
        {"! A", "unexpected character '!' (write 'not', or '!=' for not equal)"},
        {"AGE \u2265 50", "unexpected character '\u2265' (write >=)"},
        {"SEX == \u2018F\u2019", "unexpected character '\u2018' (write straight quotes ' or \")"},
        {"AGE \x01", "unexpected character '\\x01'"},
        {"AGE \xff", "unexpected character '\\xFF'"},
        {"SEX == ''",
         "empty text: a value is missing when empty; test for it with 'is missing' ('')"},
        {"date('2020-02-30')", "not a valid date, expected date('YYYY-MM-DD') ('2020-02-30')"},
        {"date('31/01/2020')", "not a valid date, expected date('YYYY-MM-DD') ('31/01/2020')"},
        {"missing", "the expression is always missing (missing)"},
    };
    for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(Expression, TypeErrorMessages) {
    const std::string use_is_missing =
        "'missing' is only a result of case or an argument of coalesce; test for a missing value "
        "with 'is missing'";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"AGE and SEX", "'and' needs true/false operands, got number (AGE and SEX)"},
        {"A or 1", "'or' needs true/false operands, got number (A or 1)"},
        {"A and B and (AGE + 1)",
         "'and' needs true/false operands, got number (A and B and (AGE + 1))"},
        {"not AGE", "'not' needs a true/false operand, got number (not AGE)"},
        {"AGE == 'old'", "cannot compare number with text (AGE == 'old')"},
        {"A == 1", "cannot compare true/false with number (A == 1)"},
        {"DX_DATE > '2020-01-01'",
         "cannot compare date with text; write date('2020-01-01') (DX_DATE > '2020-01-01')"},
        {"SEX < 'M'",
         "'<' needs numbers or dates, got text; text compares with == and != only (SEX < 'M')"},
        {"A >= B",
         "'>=' needs numbers or dates, got true/false; true/false compares with == and != only (A "
         ">= B)"},
        {"DX_DATE - BIRTH_DATE > 0",
         "'-' needs numbers, got date; days_between(start, end) gives the days from one date to "
         "another "
         "(DX_DATE - BIRTH_DATE)"},
        {"DX_DATE + 30",
         "'+' needs numbers, got date; add_days(date, days) moves a date (DX_DATE + 30)"},
        {"30 + DX_DATE",
         "'+' needs numbers, got date; add_days(date, days) moves a date (30 + DX_DATE)"},
        {"SEX * 2", "'*' needs numbers, got text (SEX * 2)"},
        {"2 / A", "'/' needs numbers, got true/false (2 / A)"},
        {"-SEX", "'-' needs a number, got text (-SEX)"},
        {"AGE == missing", use_is_missing + " (AGE == missing)"},
        {"missing + 1", use_is_missing + " (missing + 1)"},
        {"upper(missing)", use_is_missing + " (upper(missing))"},
        {"missing is missing", use_is_missing + " (missing is missing)"},
        {"AGE in (1, AGE)", "'in' list items must be literals (AGE)"},
        {"AGE in (1, 1 + 1)", "'in' list items must be literals (1 + 1)"},
        {"AGE in (1, '2')", "'in' list items must be number like the value tested, got text ('2')"},
        {"AGE in (1, missing)",
         "'in' list items cannot be missing; test for a missing value with 'is missing' (AGE in "
         "(1, missing))"},
        {"case when AGE then 1 end", "'when' needs a true/false condition, got number (AGE)"},
        {"case when A then 1 else 'x' end",
         "case results must have one type, got number and text ('x')"},
        {"case when A then missing when B then 'x' else 2 end",
         "case results must have one type, got text and number (2)"},
        {"uper(SEX)",
         "unknown function (uper); did you mean upper? functions: abs, add_days, coalesce, "
         "days_between, lower, "
         "max, min, round, time_between, upper, year, years_between"},
        {"upper(SEX, SEX)", "'upper' takes 1 argument, got 2 (upper(SEX, SEX))"},
        {"year()", "'year' takes 1 argument, got 0 (year())"},
        {"days_between(DX_DATE)",
         "'days_between' takes 2 arguments, got 1 (days_between(DX_DATE))"},
        {"coalesce(AGE)", "'coalesce' takes 2 or more arguments, got 1 (coalesce(AGE))"},
        {"round(AGE, 1, 2)", "'round' takes 1 or 2 arguments, got 3 (round(AGE, 1, 2))"},
        {"upper(AGE)", "argument 1 of 'upper' must be text, got number (AGE)"},
        {"days_between(DX_DATE, '2020-01-01')",
         "argument 2 of 'days_between' must be date, got text ('2020-01-01')"},
        {"add_days(DX_DATE, DX_DATE)",
         "argument 2 of 'add_days' must be number, got date (DX_DATE)"},
        {"year(AGE)", "argument 1 of 'year' must be date, got number (AGE)"},
        {"abs(SEX)", "argument 1 of 'abs' must be number, got text (SEX)"},
        {"coalesce(AGE, SEX)",
         "arguments of 'coalesce' must have one type, got number and text (SEX)"},
        {"min(SEX, 'a')", "arguments of 'min' must be numbers or dates, got text (SEX)"},
        {"max(AGE, DX_DATE)", "argument 2 of 'max' must be number, got date (DX_DATE)"},
        {"min(missing, 1)", use_is_missing + " (min(missing, 1))"},
    };
    for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(Expression, ExpectedType) {
    EXPECT_EQ(error_of("AGE + 1", ValueType::boolean),
              "expected a true/false expression, got number (AGE + 1)");
    EXPECT_EQ(error_of("AGE", ValueType::text), "expected a text expression, got number (AGE)");
    EXPECT_EQ(error_of("A", ValueType::date), "expected a date expression, got true/false (A)");
    EXPECT_EQ(error_of("'x'", ValueType::number), "expected a number expression, got text ('x')");
    EXPECT_EQ(parse("A and B", ValueType::boolean).type(), ValueType::boolean);
    EXPECT_EQ(parse("case when A then missing end", ValueType::text).type(), ValueType::text);
}

TEST(Expression, LongSubExpressionsAreCutInMessages) {
    std::string chain = "AGE";
    for (int i = 0; i < 40; ++i) chain += " + AGE";
    const std::string message = error_of(chain + " and A");
    // the first 77 characters and "..."
    EXPECT_EQ(message,
              "'and' needs true/false operands, got number "
              "(AGE + AGE + AGE + AGE + AGE + AGE + AGE + AGE + AGE + AGE + AGE + AGE + AGE +...)");
}

// ---- nesting and robustness ----

TEST(Expression, DeepNestingIsAnErrorNotACrash) {
    const std::string too_deep = "expression is nested too deeply (more than 200 levels)";
    const auto nested = [](const std::string& open, const std::string& inner,
                           const std::string& close, int n) {
        std::string out;
        for (int i = 0; i < n; ++i) out += open;
        out += inner;
        for (int i = 0; i < n; ++i) out += close;
        return out;
    };
    EXPECT_EQ(error_of(nested("(", "A", ")", 10000)), too_deep);
    EXPECT_EQ(error_of(nested("(", "A", "", 10000)), too_deep);  // unclosed too
    EXPECT_EQ(error_of(nested("not ", "A", "", 10000)), too_deep);
    EXPECT_EQ(error_of(nested("-", "1", "", 10000)), too_deep);
    EXPECT_EQ(error_of(nested("upper(", "SEX", ")", 10000)), too_deep);
    EXPECT_EQ(error_of(nested("case when A then ", "1", " end", 10000)), too_deep);
    EXPECT_EQ(error_of(nested("AGE in (", "1", ")", 10000)), too_deep);
    // 199 parentheses (and the expression itself) are the 200 levels allowed
    EXPECT_EQ(evaluate(nested("(", "A", ")", 199), {{"A", yes}}), "true");
    EXPECT_EQ(error_of(nested("(", "A", ")", 200)), too_deep);
    EXPECT_EQ(evaluate(nested("not ", "A", "", 150), {{"A", yes}}), "true");
    EXPECT_EQ(evaluate(nested("-", "AGE", "", 151), {{"AGE", number(2)}}), "-2");
}

TEST(Expression, LongChainsStayShallow) {
    // 100,000 terms at one level are one node each, not 100,000 levels.
    std::string sum = "1";
    std::string conjunction = "A";
    std::string product = "AGE";
    for (int i = 1; i < 100000; ++i) {
        sum += " + 1";
        conjunction += " and A";
        product += " * 1";
    }
    EXPECT_EQ(evaluate(sum), "100000");
    EXPECT_EQ(evaluate(conjunction, {{"A", yes}}), "true");
    EXPECT_EQ(evaluate(product, {{"AGE", number(3)}}), "3");
}

// A random expression of the grammar, of type b (true/false), n (number), t (text) or
// d (date): templates whose {b}, {n}, {t}, {d} are filled with random expressions.
std::string random_expression(std::mt19937& random, char type, int depth) {
    static const std::map<char, std::vector<std::string>> leaves = {
        {'b', {"A", "B", "true", "C"}},
        {'n', {"AGE", "X", "12", "-2.5", "0", "HER2ISH"}},
        {'t', {"SEX", "HR", "'positive'", "STAGE"}},
        {'d', {"DX_DATE", "BIRTH_DATE", "date('2020-02-29')"}},
    };
    static const std::map<char, std::vector<std::string>> templates = {
        {'b',
         {"({b}) and {b}", "{b} or {b}", "not {b}", "{n} > {n}", "{n} == {n}", "{t} == {t}",
          "{d} <= {d}", "{n} in (1, 2.5, -3)", "{t} not in ('positive', '3+')", "{n} is missing",
          "{t} is not missing", "case when {b} then {b} else {b} end", "coalesce({b}, false)",
          "{b} != {b}"}},
        {'n',
         {"{n} + {n}", "{n} * {n} - {n}", "{n} / {n}", "-{n}", "({n})", "abs({n})", "round({n}, 1)",
          "min({n}, {n})", "max({n}, {n}, {n})", "days_between({d}, {d})", "time_between({d}, {d})",
          "years_between({d}, {d})", "year({d})", "coalesce({n}, missing, {n})",
          "case when {b} then {n} when {b} then missing end"}},
        {'t',
         {"upper({t})", "lower({t})", "coalesce({t}, 'x')", "case when {b} then {t} else 'x' end"}},
        {'d',
         {"add_days({d}, {n})", "min({d}, {d})", "max({d}, {d})", "coalesce({d}, DX_DATE)",
          "case when {b} then {d} end"}},
    };
    const auto pick = [&](const std::vector<std::string>& from) {
        return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
    };
    if (depth == 0 || random() % 3 == 0) return pick(leaves.at(type));
    const std::string pattern = pick(templates.at(type));
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}') {
            out += random_expression(random, pattern[i + 1], depth - 1);
            i += 2;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

// Random and garbled texts: parsing throws InputError or succeeds, and what succeeds
// evaluates on rows of random values. Anything else (a crash, another exception) fails.
TEST(Expression, FuzzedTextsThrowOnlyInputErrors) {
    const std::vector<std::string> vocabulary = {
        "AGE",
        "SEX",
        "HR",
        "HER2IHC",
        "HER2ISH",
        "DX_DATE",
        "BIRTH_DATE",
        "A",
        "B",
        "C",
        "X",
        "Y",
        "NOPE",
        "and",
        "or",
        "not",
        "in",
        "is",
        "missing",
        "case",
        "when",
        "then",
        "else",
        "end",
        "true",
        "false",
        "date",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "==",
        "!=",
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "'3+'",
        "'positive'",
        "\"x\"",
        "'2020-01-31'",
        "12",
        "2.5",
        "1e3",
        "0",
        "-1",
        "1e999",
        "upper",
        "lower",
        "coalesce",
        "days_between",
        "time_between",
        "years_between",
        "add_days",
        "year",
        "min",
        "max",
        "abs",
        "round",
        "'",
        "\"",
        "#",
        "&",
        "\xc3\xa9",
        "\xe2\x89\xa5",
        "\x01",
        "\xff",
        ".",
        "date('2020-02-30')",
        "date('2020-02-29')",
        "",
        " ",
        "\n",
    };
    const std::vector<std::string> seeds = {
        "HER2IHC == '3+' or (HER2IHC == '2+' and HER2ISH > 2.0)",
        "case when AGE < 40 then '<40' when AGE < 60 then '40-59' else '60+' end",
        "years_between(BIRTH_DATE, DX_DATE) >= 18 and not (HR in ('negative', 'unknown'))",
        "coalesce(round(AGE / X, 1), abs(Y - 2), 0) * -3",
        "add_days(max(DX_DATE, date('2020-01-01')), 30) > DX_DATE is not missing",
        "upper(coalesce(SEX, 'u')) not in ('F', 'M') or time_between(DX_DATE, BIRTH_DATE) < "
        "year(DX_DATE)",
    };
    std::mt19937 random(20240611);
    const auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    };
    const auto random_value = [&](ValueType type) {
        if (pick(4) == 0) return Value::missing_value();
        switch (type) {
            case ValueType::number: return Value::of_number(static_cast<double>(pick(200)) - 100);
            case ValueType::text: return Value::of_text(pick(2) == 0 ? "positive" : "3+");
            case ValueType::date: return Value::of_date(static_cast<Day>(pick(40000)) - 10000);
            case ValueType::boolean: return Value::of_boolean(pick(2) == 0);
        }
        return Value::missing_value();
    };
    std::size_t parsed = 0;
    std::size_t rejected = 0;
    for (int trial = 0; trial < 40000; ++trial) {
        std::string input;
        const std::size_t kind = pick(4);
        if (kind == 3) {  // of the grammar, maybe garbled
            input = random_expression(random, "bntd"[pick(4)], 6);
            if (pick(2) == 0) input[pick(input.size())] = static_cast<char>(pick(128));
        } else if (kind == 0) {  // tokens of the language in random order
            const std::size_t count = 1 + pick(25);
            for (std::size_t i = 0; i < count; ++i)
                input += vocabulary[pick(vocabulary.size())] + (pick(4) ? " " : "");
        } else if (kind == 1) {  // a valid expression with a few characters changed
            input = seeds[pick(seeds.size())];
            const std::size_t edits = 1 + pick(4);
            for (std::size_t edit = 0; edit < edits && !input.empty(); ++edit) {
                const std::size_t at = pick(input.size());
                switch (pick(3)) {
                    case 0: input.erase(at, 1 + pick(5)); break;
                    case 1: input.insert(at, vocabulary[pick(vocabulary.size())]); break;
                    default: input[at] = static_cast<char>(pick(256)); break;
                }
            }
        } else {  // bytes
            const std::size_t count = pick(40);
            for (std::size_t i = 0; i < count; ++i) input += static_cast<char>(pick(256));
        }
        try {
            const Expression expression = parse(input);
            ++parsed;
            (void)expression.result_levels();
            (void)expression.names();
            for (int sample = 0; sample < 3; ++sample) {
                std::vector<Value> values;
                for (const Variable& variable : variables())
                    values.push_back(random_value(variable.type));
                (void)expression.evaluate(values);
            }
        } catch (const rwe::InputError&) {
            ++rejected;
        } catch (const std::exception& error) {
            ADD_FAILURE() << "not an InputError for [" << input << "]: " << error.what();
        } catch (...) {
            ADD_FAILURE() << "not an exception for [" << input << "]";
        }
    }
    EXPECT_GT(parsed, 5000u);  // the evaluator was reached, not only the error paths
    EXPECT_GT(rejected, 1000u);
}

// ---- what the expression tells about itself ----

TEST(Expression, ResultLevels) {
    EXPECT_EQ(
        parse(
            "case when HER2IHC == '3+' then 'positive' when HER2IHC == '2+' and HER2ISH > 2.0 then "
            "'positive' when HER2IHC is missing then missing else 'negative' end")
            .result_levels(),
        (std::vector<std::string>{"positive", "negative"}));
    EXPECT_EQ(parse("case when A then 'Yes' when B then 'yes' else 'No' end").result_levels(),
              (std::vector<std::string>{"Yes", "No"}));  // one level, spelled as first written
    EXPECT_EQ(
        parse("case when A then case when B then 'b' else 'c' end else 'a' end").result_levels(),
        (std::vector<std::string>{"b", "c", "a"}));
    EXPECT_EQ(parse("'x'").result_levels(), (std::vector<std::string>{"x"}));
    EXPECT_EQ(parse("('x')").result_levels(), (std::vector<std::string>{"x"}));
    EXPECT_TRUE(parse("case when A then SEX else 'x' end").result_levels().empty());
    EXPECT_TRUE(parse("case when A then 1 else 2 end").result_levels().empty());
    EXPECT_TRUE(parse("SEX").result_levels().empty());
    EXPECT_TRUE(parse("upper('x')").result_levels().empty());
    EXPECT_TRUE(parse("coalesce(SEX, 'x')").result_levels().empty());
    EXPECT_TRUE(Expression().result_levels().empty());
}

TEST(Expression, NamesTypeAndText) {
    const Expression expression = parse("AGE > 1 and SEX == 'x' or AGE < 0 and HR is missing");
    EXPECT_EQ(expression.names(), (std::vector<std::string>{"AGE", "SEX", "HR"}));
    EXPECT_EQ(expression.text(), "AGE > 1 and SEX == 'x' or AGE < 0 and HR is missing");
    EXPECT_EQ(expression.type(), ValueType::boolean);
    EXPECT_EQ(parse("AGE + 1").type(), ValueType::number);
    EXPECT_EQ(parse("'x'").type(), ValueType::text);
    EXPECT_EQ(parse("add_days(DX_DATE, 1)").type(), ValueType::date);
    EXPECT_EQ(parse("case when A then missing else 'x' end").type(), ValueType::text);
    EXPECT_TRUE(parse("1 + 2").names().empty());
    EXPECT_EQ(rwe::study::to_string(ValueType::boolean), "true/false");
    EXPECT_EQ(rwe::study::to_string(ValueType::number), "number");
}

TEST(Expression, CopiesEvaluateAlikeAndDefaultIsMissing) {
    Expression original = parse("AGE * 2");
    const Expression copy = original;
    Expression moved = std::move(original);
    const std::vector<Value> values = row({{"AGE", number(4)}});
    EXPECT_EQ(show(copy.evaluate(values)), "8");
    EXPECT_EQ(show(moved.evaluate(values)), "8");
    moved = parse("AGE + 2");
    EXPECT_EQ(show(moved.evaluate(values)), "6");
    EXPECT_EQ(show(copy.evaluate(values)), "8");
    EXPECT_EQ(show(Expression().evaluate(values)), "missing");
}

TEST(Expression, ValueConstructors) {
    EXPECT_TRUE(Value::of_number(std::nan("")).is_missing());
    EXPECT_TRUE(Value::of_text("").is_missing());
    EXPECT_FALSE(Value::of_number(0).is_missing());
    EXPECT_TRUE(Value::of_boolean(true).is_true());
    EXPECT_FALSE(Value::of_boolean(false).is_true());
    EXPECT_FALSE(Value::missing_value().is_true());
    EXPECT_EQ(Value::of_date(5).date, 5);
}

}  // namespace
