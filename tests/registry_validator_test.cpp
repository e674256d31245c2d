// Registry validation: every rule of ../shared/registry-format.md is broken by one case in
// tests/data/registry/rule_cases.json (an edit of a valid fixture: `valid`, a version 1
// registry, unless the case names another, such as `valid_v2`) and the exact message
// and line are checked; the accepted oddities (BOM, CRLF, quoting, column order, case)
// are checked on tests/data/registry/oddities.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/registry/field_parse.hpp"
#include "rwe/registry/sha256.hpp"
#include "rwe/registry/validator.hpp"

namespace fs = std::filesystem;
using rwe::registry::Diagnostic;
using rwe::registry::Severity;

namespace {

const fs::path data_dir = fs::path(RWE_TEST_DATA_DIR) / "registry";

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A fresh copy of a fixture folder in a per-test temporary folder.
fs::path copy_fixture(const std::string& fixture, const std::string& name) {
    const fs::path target = fs::temp_directory_path() / ("rwe_registry_validator_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(target);
    fs::copy(data_dir / fixture, target);
    return target;
}

// `\xHH` in a case's text stands for the byte HH (JSON cannot carry invalid UTF-8).
std::string decode_bytes(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size() + 0 && text[i + 1] == 'x') {
            out.push_back(static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16)));
            i += 3;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

void replace_line(const fs::path& path, std::size_t line, const std::string& text) {
    std::istringstream in(read_bytes(path));
    std::string out, current;
    for (std::size_t number = 1; std::getline(in, current); ++number) {
        out += (number == line ? text : current) + "\n";
    }
    write_bytes(path, out);
}

struct Outcome {
    rwe::registry::ValidationSummary summary;
    std::vector<std::string> errors;    // "file.csv:line: column: problem (value)"
    std::vector<std::string> warnings;
};

Outcome validate(const fs::path& folder) {
    Outcome outcome;
    rwe::registry::ValidationOptions options;
    options.on_diagnostic = [&](const Diagnostic& diagnostic) {
        Diagnostic local = diagnostic;
        local.file = fs::path(diagnostic.file).filename().string();
        (diagnostic.severity == Severity::error ? outcome.errors : outcome.warnings).push_back(local.text());
    };
    options.read_chunk_bytes = 13;  // records straddle buffer ends
    outcome.summary = rwe::registry::validate_registry(folder, options);
    return outcome;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += "  " + line + "\n";
    return out;
}

}  // namespace

TEST(RegistryValidator, ValidFixtureHasNoDiagnostics) {
    const Outcome outcome = validate(data_dir / "valid");
    EXPECT_TRUE(outcome.summary.valid()) << joined(outcome.errors);
    EXPECT_TRUE(outcome.errors.empty()) << joined(outcome.errors);
    EXPECT_TRUE(outcome.warnings.empty()) << joined(outcome.warnings);
    // Every file of the format is listed; valid/ is a version 1 registry, without the
    // files version 2 added (biomarkers.csv, observations.csv, listed last).
    ASSERT_EQ(outcome.summary.files.size(), rwe::registry::file_count);
    const std::vector<std::size_t> rows{4, 4, 8, 5, 10, 5, 5};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(outcome.summary.files[i].rows, rows[i]) << outcome.summary.files[i].name;
        EXPECT_TRUE(outcome.summary.files[i].present);
    }
    for (std::size_t i = rows.size(); i < rwe::registry::file_count; ++i) {
        EXPECT_FALSE(outcome.summary.files[i].present) << outcome.summary.files[i].name;
    }
}

TEST(RegistryValidator, Version2FixtureHasNoDiagnostics) {
    // valid_v2/ is valid/ with tumors.csv's primary_site and histology, biomarkers.csv and
    // observations.csv; tumour T002 gives its receptors in biomarkers.csv instead of the
    // shorthand columns, T004 gives pr there because its shorthand pr is `unknown`.
    const Outcome outcome = validate(data_dir / "valid_v2");
    EXPECT_TRUE(outcome.summary.valid()) << joined(outcome.errors);
    EXPECT_TRUE(outcome.warnings.empty()) << joined(outcome.warnings);
    ASSERT_EQ(outcome.summary.files.size(), rwe::registry::file_count);
    const std::vector<std::size_t> rows{4, 4, 8, 5, 10, 5, 5, 10, 7};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(outcome.summary.files[i].rows, rows[i]) << outcome.summary.files[i].name;
        EXPECT_TRUE(outcome.summary.files[i].present);
    }
}

TEST(RegistryValidator, AcceptsBomCrlfQuotingAnyColumnOrderAndCase) {
    // oddities/ holds the rows of valid/ with a BOM, CRLF and LF line ends, quoted ids,
    // a quoted field with a comma, doubled quotes and a line break, shuffled columns and
    // column names and codes in upper and mixed case.
    const Outcome outcome = validate(data_dir / "oddities");
    EXPECT_TRUE(outcome.summary.valid()) << joined(outcome.errors);
    EXPECT_TRUE(outcome.warnings.empty()) << joined(outcome.warnings);
    EXPECT_EQ(outcome.summary.files[6].rows, 5u);
}

TEST(RegistryValidator, EachRuleBrokenByItsCase) {
    std::ifstream in(data_dir / "rule_cases.json");
    const auto cases = nlohmann::json::parse(in);
    ASSERT_GE(cases.size(), 70u);
    int number = 0;
    for (const auto& rule_case : cases) {
        const std::string rule = rule_case.at("rule");
        SCOPED_TRACE("rule: " + rule);
        const fs::path folder = copy_fixture(rule_case.value("fixture", "valid"), "case" + std::to_string(number++));
        for (const auto& edit : rule_case.at("edits")) {
            const fs::path path = folder / edit.at("file").get<std::string>();
            if (edit.contains("remove")) {
                fs::remove(path);
            } else if (edit.contains("content")) {
                write_bytes(path, decode_bytes(edit.at("content")));
            } else {
                replace_line(path, edit.at("line"), decode_bytes(edit.at("text")));
            }
        }
        const Outcome outcome = validate(folder);
        const bool valid = rule_case.at("valid");
        EXPECT_EQ(outcome.summary.valid(), valid) << joined(outcome.errors);
        const auto& found = valid ? outcome.warnings : outcome.errors;
        for (const auto& expected : rule_case.at("expect")) {
            EXPECT_NE(std::find(found.begin(), found.end(), expected.get<std::string>()), found.end())
                << "expected: " << expected.get<std::string>() << "\nreported:\n"
                << joined(found);
        }
        if (valid && rule_case.at("expect").empty()) EXPECT_TRUE(outcome.warnings.empty()) << joined(outcome.warnings);
        EXPECT_EQ(outcome.summary.errors, outcome.errors.size());
        fs::remove_all(folder);
    }
}

TEST(RegistryValidator, ReportsEveryErrorNotOnlyTheFirst) {
    const fs::path folder = copy_fixture("valid", "every_error");
    replace_line(folder / "patients.csv", 2, "P001,1960-02-30,x,post,2021-06-30,2021-06-30");
    replace_line(folder / "patients.csv", 4, "P003,1958-07-21,f,,2020-02-29,2020-03-01");
    replace_line(folder / "administrations.csv", 3, "R002,trastuzumab,2018-09-15,-8,mg/kg");
    const Outcome outcome = validate(folder);
    EXPECT_EQ(outcome.errors, (std::vector<std::string>{
                                  "patients.csv:2: birth_date: not a calendar date in the form YYYY-MM-DD (1960-02-30)",
                                  "patients.csv:2: sex: unknown code; expected one of f, m (x)",
                                  "patients.csv:4: death_date: must equal last_contact_date 2020-03-01 (2020-02-29)",
                                  "administrations.csv:3: dose: must be a number > 0 (-8)",
                              }));
    EXPECT_EQ(outcome.summary.files[0].errors, 3u);
    EXPECT_EQ(outcome.summary.files[4].errors, 1u);
    fs::remove_all(folder);
}

TEST(RegistryValidator, ABrokenPatientsFileDoesNotFloodWithDanglingReferences) {
    const fs::path folder = copy_fixture("valid", "flood");
    replace_line(folder / "patients.csv", 3, "P002,\"1975-11-02");  // unterminated quote
    const Outcome outcome = validate(folder);
    EXPECT_EQ(outcome.errors, (std::vector<std::string>{
                                  "patients.csv:3: unterminated quoted field; the rest of the file is not read"}));
    fs::remove_all(folder);
}

TEST(RegistryValidator, ArbitraryBytesGiveErrorsNotCrashes) {
    std::mt19937 random(20240229);
    for (int round = 0; round < 30; ++round) {
        const fs::path folder = copy_fixture("valid", "bytes" + std::to_string(round));
        std::string bytes = read_bytes(folder / "regimens.csv");
        for (int flip = 0; flip < 8; ++flip) {
            bytes[random() % bytes.size()] = static_cast<char>(random() % 256);
        }
        write_bytes(folder / "regimens.csv", bytes);
        EXPECT_NO_THROW(validate(folder));
        fs::remove_all(folder);
    }
}

TEST(RegistryValidator, MissingFolderIsAnIoError) {
    EXPECT_THROW(rwe::registry::validate_registry(data_dir / "no_such_registry"), rwe::IoError);
}

TEST(RegistryFields, IsoDatesAreRealCalendarDays) {
    using rwe::registry::parse_iso_date;
    rwe::registry::Days days = 0;
    EXPECT_TRUE(parse_iso_date("1970-01-01", days));
    EXPECT_EQ(days, 0);
    EXPECT_TRUE(parse_iso_date("2000-03-01", days));
    EXPECT_EQ(days, 11017);  // 30 years of 365 days + 7 leap days + Jan + Feb 2000 (31 + 29)
    EXPECT_TRUE(parse_iso_date("2020-02-29", days));
    EXPECT_TRUE(parse_iso_date("2000-02-29", days));  // divisible by 400: leap
    EXPECT_FALSE(parse_iso_date("1900-02-29", days));  // divisible by 100: not leap
    EXPECT_FALSE(parse_iso_date("2019-02-29", days));
    EXPECT_FALSE(parse_iso_date("2019-02-30", days));
    EXPECT_FALSE(parse_iso_date("2019-04-31", days));
    EXPECT_FALSE(parse_iso_date("2019-13-01", days));
    EXPECT_FALSE(parse_iso_date("2019-00-10", days));
    EXPECT_FALSE(parse_iso_date("2019-1-10", days));
    EXPECT_FALSE(parse_iso_date("2019-01-10 ", days));
    EXPECT_FALSE(parse_iso_date("0000-01-01", days));
    EXPECT_FALSE(parse_iso_date("2019/01/10", days));
    for (const char* text : {"1960-03-14", "2020-02-29", "1899-12-31", "2100-03-01", "0001-01-01", "9999-12-31"}) {
        ASSERT_TRUE(parse_iso_date(text, days)) << text;
        EXPECT_EQ(rwe::registry::format_iso_date(days), text);
    }
}

TEST(RegistryFields, NumbersAreDecimalAndFinite) {
    double value = 0;
    EXPECT_TRUE(rwe::registry::parse_number("2.6", value));
    EXPECT_EQ(value, 2.6);
    EXPECT_TRUE(rwe::registry::parse_number("+1e2", value));
    EXPECT_EQ(value, 100.0);
    for (const char* text : {"nan", "inf", "-inf", "1e400", "0x10", "2,6", "", "1.2.3", " 1", "NA"}) {
        EXPECT_FALSE(rwe::registry::parse_number(text, value)) << text;
    }
    std::int64_t integer = 0;
    EXPECT_TRUE(rwe::registry::parse_integer("12", integer));
    EXPECT_EQ(integer, 12);
    EXPECT_FALSE(rwe::registry::parse_integer("1.0", integer));
    EXPECT_FALSE(rwe::registry::parse_integer("99999999999999999999", integer));
    EXPECT_EQ(rwe::registry::format_number(0.1), "0.1");
    EXPECT_EQ(rwe::registry::format_number(840), "840");
}

TEST(RegistryFields, Utf8Validation) {
    using rwe::registry::is_valid_utf8;
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // été € emoji
    EXPECT_FALSE(is_valid_utf8("\xC3"));                    // truncated
    EXPECT_FALSE(is_valid_utf8("\xC0\x80"));                // overlong NUL
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));            // overlong slash
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));            // UTF-16 surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));        // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\x80"));                    // lone continuation byte
    EXPECT_FALSE(is_valid_utf8(std::string_view("a\0b", 3)));  // NUL byte
    EXPECT_EQ(rwe::registry::printable_value("P\xC3\x28"), "P\\xC3(");
    EXPECT_EQ(rwe::registry::printable_value("a\tb"), "a\\x09b");
    EXPECT_EQ(rwe::registry::printable_value(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(RegistrySha256, NistTestVectors) {
    // FIPS 180-2 appendix B examples, and the empty message.
    auto digest = [](const std::string& message) {
        rwe::registry::Sha256 hash;
        // Feed in uneven pieces to cover block boundaries.
        for (std::size_t at = 0; at < message.size(); at += 7) hash.update(std::string_view(message).substr(at, 7));
        return hash.hex_digest();
    };
    EXPECT_EQ(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(digest(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
