// Import into SQLite and export back: typed tables, provenance, indexes, atomicity (an
// invalid registry leaves nothing; an existing database is refused without --replace and
// replaced atomically with it) and the round trip export(import(x)) == x; and the study
// loader's view of a store (load_registry), of version 1 and 2 registries.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/registry/field_parse.hpp"
#include "rwe/registry/store_location.hpp"
#include "rwe/registry/registry_export.hpp"
#include "rwe/registry/registry_schema.hpp"
#include "rwe/registry/sha256.hpp"
#include "rwe/registry/sqlite_store.hpp"
#include "rwe/registry/store_schema.hpp"
#include "rwe/study/registry_data.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path data_dir = fs::path(RWE_TEST_DATA_DIR) / "registry";

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

fs::path fresh_folder(const std::string& name) {
    const fs::path folder = fs::temp_directory_path() / ("rwe_registry_store_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(folder);
    fs::create_directories(folder);
    return folder;
}

rwe::registry::ImportResult quiet_import(const fs::path& registry, const fs::path& database, bool replace = false) {
    rwe::registry::ImportOptions options;
    options.replace = replace;
    return rwe::registry::import_registry(registry, database, options);
}

// Every row of a query as text, for comparing tables.
std::vector<std::string> query_rows(const fs::path& database, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    std::vector<std::string> rows;
    while (sqlite3_step(statement) == SQLITE_ROW) {
        std::string row;
        for (int column = 0; column < sqlite3_column_count(statement); ++column) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
            row += std::string(sqlite3_column_type(statement, column) == SQLITE_NULL ? "NULL" : text) + "|";
        }
        rows.push_back(row);
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
}

std::vector<std::string> folder_listing(const fs::path& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

int run_rwe(const std::string& arguments, const fs::path& output) {
    const std::string command = std::string(RWE_BINARY) + " " + arguments + " > " + output.string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Drops what registry format version 2 added, giving a store as `rwe import` wrote it
// before version 2.
void make_pre_version2_store(const fs::path& database) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE biomarkers; DROP TABLE observations; "
                           "ALTER TABLE tumors DROP COLUMN primary_site; ALTER TABLE tumors DROP COLUMN histology",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
}

}  // namespace

TEST(RegistryStore, ImportWritesTypedTablesProvenanceAndIndexes) {
    const fs::path folder = fresh_folder("typed");
    const fs::path database = folder / "registry.sqlite";
    rwe::registry::ImportOptions options;
    options.imported_at = "2024-05-06T07:08:09Z";
    const auto result = rwe::registry::import_registry(data_dir / "valid", database, options);
    ASSERT_TRUE(result.imported);
    EXPECT_EQ(result.rows, 41u);

    EXPECT_EQ(query_rows(database, "SELECT count(*) FROM patients"), std::vector<std::string>{"4|"});
    EXPECT_EQ(query_rows(database, "SELECT typeof(line), typeof(start_date) FROM regimens WHERE regimen_id = 'R003'"),
              std::vector<std::string>{"integer|text|"});
    EXPECT_EQ(query_rows(database, "SELECT typeof(her2_ish_ratio), her2_ish_ratio FROM tumors WHERE tumor_id = 'T003'"),
              std::vector<std::string>{"real|5.15|"});
    EXPECT_EQ(query_rows(database, "SELECT typeof(grade), grade FROM adverse_events WHERE source_line = 2"),
              std::vector<std::string>{"integer|3|"});
    // Missing optional values stay missing (NULL), so that export gives them back as empty.
    EXPECT_EQ(query_rows(database, "SELECT menopausal_status, death_date FROM patients WHERE patient_id = 'P003'"),
              std::vector<std::string>{"NULL|2020-02-29|"});
    // The quoted field with a comma, doubled quotes and a line break is one value.
    EXPECT_EQ(query_rows(database, "SELECT term, source_line FROM adverse_events WHERE patient_id = 'P002'"),
              std::vector<std::string>{"pain in extremity, \"left\"\nand right|6|"});

    EXPECT_EQ(query_rows(database, "SELECT format_version, imported_at, source_directory, warnings FROM import_info"),
              std::vector<std::string>{"1|2024-05-06T07:08:09Z|" + fs::absolute(data_dir / "valid").lexically_normal().string() +
                                       "|0|"});
    const auto files = query_rows(database, "SELECT file_name, sha256, bytes, row_count FROM source_files ORDER BY file_name");
    ASSERT_EQ(files.size(), 7u);
    // sha256sum tests/data/registry/valid/patients.csv
    EXPECT_EQ(files[4], "patients.csv|362e135b4e11a68d26349e34637197428a1953d26989c339e2fe34b308f4d73b|231|4|");
    for (const auto& name : {"regimens.csv", "administrations.csv"}) {
        const auto path = data_dir / "valid" / name;
        const auto rows = query_rows(database, "SELECT sha256 FROM source_files WHERE file_name = '" + std::string(name) + "'");
        ASSERT_EQ(rows.size(), 1u);
        EXPECT_EQ(rows[0], rwe::registry::sha256_of_file(path) + "|");
    }

    const auto indexes = query_rows(database, "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name");
    for (const char* name : {"patients_patient_id", "regimens_patient_setting_line", "regimens_setting_line_regimen",
                             "administration_days_regimen_drug", "assessments_patient_date", "adverse_events_patient_date"}) {
        EXPECT_NE(std::find(indexes.begin(), indexes.end(), std::string(name) + "|"), indexes.end()) << name;
    }
    // The days of each drug of a regimen (valid/administrations.csv by hand; day numbers
    // since 1970-01-01: 2018-09-15 = 17789, 2018-10-06 = 17810, 2019-04-01 = 17987,
    // 2022-12-01 = 19327, 2022-06-10 = 19153, 2017-11-20 = 17490); source_line is the
    // line of the drug's first row in the regimen's run of rows.
    EXPECT_EQ(query_rows(database, "SELECT source_line, regimen_id, drug, days FROM administration_days ORDER BY source_line"),
              (std::vector<std::string>{"2|R002|docetaxel|17789 17810|", "3|R002|trastuzumab|17789 17810|",
                                        "4|R002|pertuzumab|17789|", "7|R004|docetaxel|17987|",
                                        "8|R004|trastuzumab|19327|", "9|R008|capecitabine|19153|",
                                        "10|R008|lapatinib|19153|", "11|R006|docetaxel|17490|"}));
    const auto plan = query_rows(database, "EXPLAIN QUERY PLAN SELECT * FROM regimens WHERE setting = 'palliative' AND line = 1");
    ASSERT_FALSE(plan.empty());
    EXPECT_NE(plan[0].find("USING INDEX"), std::string::npos) << plan[0];
    fs::remove_all(folder);
}

TEST(RegistryStore, ExportAfterImportGivesTheSameFiles) {
    // valid/ is in the canonical form (lower-case codes, columns in format order, LF), so
    // the export must be byte for byte the same; oddities/ holds the same rows in odd form.
    for (const std::string fixture : {"valid", "oddities"}) {
        SCOPED_TRACE(fixture);
        const fs::path folder = fresh_folder("round_" + fixture);
        ASSERT_TRUE(quiet_import(data_dir / fixture, folder / "db.sqlite").imported);
        const auto exported = rwe::registry::export_registry(folder / "db.sqlite", folder / "out");
        ASSERT_EQ(exported.files.size(), 7u);
        for (const auto& file : rwe::registry::registry_files()) {
            EXPECT_EQ(read_bytes(folder / "out" / file.name), read_bytes(data_dir / "valid" / file.name)) << file.name;
        }
        // And a second import of the export holds the same table contents.
        ASSERT_TRUE(quiet_import(folder / "out", folder / "again.sqlite").imported);
        for (const auto& file : rwe::registry::registry_files()) {
            const std::string sql = "SELECT * FROM " + std::string(file.table) + " ORDER BY source_line";
            const auto first = query_rows(folder / "db.sqlite", sql);
            const auto second = query_rows(folder / "again.sqlite", sql);
            EXPECT_EQ(first.size(), second.size()) << file.name;
            // source_line differs only in oddities (same rows, same order); compare values.
            for (std::size_t row = 0; row < std::min(first.size(), second.size()); ++row) {
                EXPECT_EQ(first[row].substr(first[row].find('|')), second[row].substr(second[row].find('|')));
            }
        }
        fs::remove_all(folder);
    }
}

TEST(RegistryStore, Version2RegistryRoundTripsByteForByte) {
    // valid_v2/ has biomarkers.csv, observations.csv and tumors.csv's primary_site and
    // histology (with missing values, a quoted free code with a comma and quotes).
    const fs::path folder = fresh_folder("round_v2");
    const auto imported = quiet_import(data_dir / "valid_v2", folder / "db.sqlite");
    ASSERT_TRUE(imported.imported);
    EXPECT_EQ(imported.rows, 41u + 10u + 7u);
    EXPECT_EQ(query_rows(folder / "db.sqlite",
                         "SELECT typeof(value), value, unit, method FROM biomarkers WHERE source_line = 7"),
              std::vector<std::string>{"real|15.0|percent|NULL|"});
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT result FROM biomarkers WHERE source_line = 11"),
              std::vector<std::string>{"h1047r, \"e545k\"|"});
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT primary_site, histology FROM tumors ORDER BY source_line"),
              (std::vector<std::string>{"breast|ductal|", "breast|lobular|", "breast|NULL|", "NULL|NULL|"}));
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT er, her2_ihc FROM tumors WHERE tumor_id = 'T002'"),
              std::vector<std::string>{"NULL|NULL|"});
    const auto indexes = query_rows(folder / "db.sqlite", "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name");
    for (const char* name : {"biomarkers_patient_marker", "biomarkers_tumor_id", "observations_patient_name_date"}) {
        EXPECT_NE(std::find(indexes.begin(), indexes.end(), std::string(name) + "|"), indexes.end()) << name;
    }

    const auto exported = rwe::registry::export_registry(folder / "db.sqlite", folder / "out");
    ASSERT_EQ(exported.files.size(), rwe::registry::file_count);
    for (const auto& file : rwe::registry::registry_files()) {
        EXPECT_EQ(read_bytes(folder / "out" / file.name), read_bytes(data_dir / "valid_v2" / file.name)) << file.name;
    }
    ASSERT_TRUE(quiet_import(folder / "out", folder / "again.sqlite").imported);
    for (const auto& file : rwe::registry::registry_files()) {
        const std::string sql = "SELECT * FROM " + std::string(file.table) + " ORDER BY source_line";
        EXPECT_EQ(query_rows(folder / "db.sqlite", sql), query_rows(folder / "again.sqlite", sql)) << file.name;
    }
    fs::remove_all(folder);
}

TEST(RegistryStore, Version1RegistryExportsWithoutTheVersion2Columns) {
    // A version 1 registry exports as before: tumors.csv without primary_site and histology
    // (checked byte for byte in ExportAfterImportGivesTheSameFiles), no biomarkers.csv or
    // observations.csv; likewise from a store imported before version 2, which has neither
    // those columns nor those tables.
    const fs::path folder = fresh_folder("v1_store");
    ASSERT_TRUE(quiet_import(data_dir / "valid", folder / "db.sqlite").imported);
    make_pre_version2_store(folder / "db.sqlite");
    const auto exported = rwe::registry::export_registry(folder / "db.sqlite", folder / "out");
    EXPECT_EQ(exported.files.size(), 7u);
    EXPECT_EQ(folder_listing(folder / "out"), folder_listing(data_dir / "valid"));
    for (const auto& name : folder_listing(data_dir / "valid")) {
        EXPECT_EQ(read_bytes(folder / "out" / name), read_bytes(data_dir / "valid" / name)) << name;
    }
    fs::remove_all(folder);
}

TEST(RegistryStore, ExportWritesOnlyTheFilesThatWereImported) {
    const fs::path folder = fresh_folder("subset");
    fs::create_directories(folder / "registry");
    for (const char* name : {"patients.csv", "tumors.csv", "regimens.csv", "assessments.csv"}) {
        fs::copy_file(data_dir / "valid" / name, folder / "registry" / name);
    }
    ASSERT_TRUE(quiet_import(folder / "registry", folder / "db.sqlite").imported);
    rwe::registry::export_registry(folder / "db.sqlite", folder / "out");
    EXPECT_EQ(folder_listing(folder / "out"),
              (std::vector<std::string>{"assessments.csv", "patients.csv", "regimens.csv", "tumors.csv"}));
    // Existing files are not overwritten without replace.
    EXPECT_THROW(rwe::registry::export_registry(folder / "db.sqlite", folder / "out"), rwe::UsageError);
    rwe::registry::ExportOptions replace;
    replace.replace = true;
    EXPECT_NO_THROW(rwe::registry::export_registry(folder / "db.sqlite", folder / "out", replace));
    fs::remove_all(folder);
}

TEST(RegistryStore, InvalidRegistryLeavesNoDatabase) {
    const fs::path folder = fresh_folder("invalid");
    fs::copy(data_dir / "valid", folder / "registry");
    std::ofstream(folder / "registry" / "administrations.csv", std::ios::app) << "R002,docetaxel,2030-01-01,75,mg/m2\n";
    fs::create_directories(folder / "db");
    std::vector<std::string> errors;
    rwe::registry::ImportOptions options;
    options.on_diagnostic = [&](const rwe::registry::Diagnostic& diagnostic) { errors.push_back(diagnostic.text()); };
    const auto result = rwe::registry::import_registry(folder / "registry", folder / "db" / "registry.sqlite", options);
    EXPECT_FALSE(result.imported);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("administrations.csv:12: admin_date: after the regimen's end_date 2019-08-20 (2030-01-01)"),
              std::string::npos)
        << errors[0];
    EXPECT_TRUE(folder_listing(folder / "db").empty());  // no database, no temporary file left
    fs::remove_all(folder);
}

TEST(RegistryStore, ExistingDatabaseRefusedWithoutReplaceAndReplacedAtomicallyWithIt) {
    const fs::path folder = fresh_folder("replace");
    const fs::path database = folder / "db" / "registry.sqlite";
    fs::create_directories(database.parent_path());
    ASSERT_TRUE(quiet_import(data_dir / "valid", database).imported);
    const std::string original = read_bytes(database);

    EXPECT_THROW(quiet_import(data_dir / "valid", database), rwe::UsageError);
    EXPECT_EQ(read_bytes(database), original);

    // An invalid registry with --replace leaves the existing database as it was.
    fs::copy(data_dir / "valid", folder / "broken");
    fs::remove(folder / "broken" / "tumors.csv");
    EXPECT_FALSE(quiet_import(folder / "broken", database, true).imported);
    EXPECT_EQ(read_bytes(database), original);
    EXPECT_EQ(folder_listing(database.parent_path()), std::vector<std::string>{"registry.sqlite"});

    // A valid registry with --replace replaces it: here one with only three files.
    fs::create_directories(folder / "small");
    for (const char* name : {"patients.csv", "tumors.csv", "regimens.csv"}) {
        fs::copy_file(data_dir / "valid" / name, folder / "small" / name);
    }
    ASSERT_TRUE(quiet_import(folder / "small", database, true).imported);
    EXPECT_EQ(query_rows(database, "SELECT count(*) FROM source_files"), std::vector<std::string>{"3|"});
    EXPECT_EQ(query_rows(database, "SELECT count(*) FROM administrations"), std::vector<std::string>{"0|"});
    EXPECT_EQ(folder_listing(database.parent_path()), std::vector<std::string>{"registry.sqlite"});
    fs::remove_all(folder);
}

TEST(RegistryStore, ExportRefusesAFileThatIsNotARegistryDatabase) {
    const fs::path folder = fresh_folder("not_registry");
    std::ofstream(folder / "other.sqlite") << "";
    EXPECT_THROW(rwe::registry::export_registry(folder / "other.sqlite", folder / "out"), rwe::IoError);
    EXPECT_THROW(rwe::registry::export_registry(folder / "missing.sqlite", folder / "out"), rwe::IoError);
    fs::remove_all(folder);
}

TEST(RegistryStore, SchemaStatementsFollowTheDialect) {
    const auto sqlite = rwe::registry::insert_statement(rwe::registry::file_spec(rwe::registry::FileId::metastases),
                                                        rwe::registry::sqlite_dialect);
    EXPECT_EQ(sqlite,
              "INSERT INTO \"metastases\" (\"source_line\", \"patient_id\", \"site\", \"detected_date\") VALUES (?, ?, ?, ?)");
    const auto postgres = rwe::registry::insert_statement(rwe::registry::file_spec(rwe::registry::FileId::metastases),
                                                          rwe::registry::postgresql_dialect);
    EXPECT_NE(postgres.find("VALUES ($1, $2, $3, $4)"), std::string::npos);
    const auto tables = rwe::registry::create_table_statements(rwe::registry::postgresql_dialect);
    bool found = false;
    for (const auto& sql : tables) found = found || sql.find("\"her2_ish_ratio\" DOUBLE PRECISION") != std::string::npos;
    EXPECT_TRUE(found);
}

TEST(RegistryCommands, ExitStatusAndMessages) {
    const fs::path folder = fresh_folder("cli");
    const fs::path out = folder / "out.txt";
    EXPECT_EQ(run_rwe("validate " + (data_dir / "valid").string(), out), 0);
    EXPECT_NE(read_bytes(out).find("valid (0 errors, 0 warnings)"), std::string::npos) << read_bytes(out);

    fs::copy(data_dir / "valid", folder / "broken");
    std::ofstream(folder / "broken" / "patients.csv", std::ios::app) << "P005,2019-02-30,f,,,2020-01-01\n";
    EXPECT_EQ(run_rwe("validate " + (folder / "broken").string(), out), 1);
    const std::string text = read_bytes(out);
    EXPECT_NE(text.find((folder / "broken" / "patients.csv").string() +
                        ":6: birth_date: not a calendar date in the form YYYY-MM-DD (2019-02-30)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("INVALID (1 error, 1 warning)"), std::string::npos) << text;  // P005 has no tumour

    EXPECT_EQ(run_rwe("validate", out), 2);
    EXPECT_EQ(run_rwe("validate " + (folder / "nowhere").string(), out), 2);
    EXPECT_EQ(run_rwe("import " + (folder / "broken").string() + " --db " + (folder / "x.sqlite").string(), out), 1);
    EXPECT_FALSE(fs::exists(folder / "x.sqlite"));
    EXPECT_EQ(run_rwe("import " + (data_dir / "valid").string() + " --db " + (folder / "x.sqlite").string(), out), 0);
    EXPECT_EQ(run_rwe("import " + (data_dir / "valid").string() + " --db " + (folder / "x.sqlite").string(), out), 2);
    EXPECT_NE(read_bytes(out).find("use --replace"), std::string::npos);
    EXPECT_EQ(run_rwe("import " + (data_dir / "valid").string() + " --db " + (folder / "x.sqlite").string() + " --replace",
                      out),
              0);
    EXPECT_EQ(run_rwe("export --db " + (folder / "x.sqlite").string() + " --out " + (folder / "exported").string(), out), 0);
    EXPECT_EQ(read_bytes(folder / "exported" / "regimens.csv"), read_bytes(data_dir / "valid" / "regimens.csv"));
    EXPECT_EQ(run_rwe("validate " + (data_dir / "valid").string() + " --format json", out), 0);
    EXPECT_NE(read_bytes(out).find("\"valid\": true"), std::string::npos);
    fs::remove_all(folder);
}

TEST(RegistryStore, ManyRowsPassThroughTheLoaderInBatches) {
    // More rows than several loader batches (8192 rows each), in two files, so that
    // batches, the queue bound and the switch of INSERT between files are exercised.
    const fs::path folder = fresh_folder("batches");
    fs::create_directories(folder / "registry");
    for (const char* name : {"patients.csv", "tumors.csv", "regimens.csv"}) {
        fs::copy_file(data_dir / "valid" / name, folder / "registry" / name);
    }
    {
        std::ofstream administrations(folder / "registry" / "administrations.csv");
        administrations << "regimen_id,drug,admin_date,dose,unit\n";
        for (int row = 0; row < 40000; ++row) {
            administrations << (row % 2 ? "R002" : "R004") << ",drug" << row % 7 << ",2019-05-0" << 1 + row % 9 << ","
                            << row % 100 + 1 << ",mg\n";
        }
        std::ofstream assessments(folder / "registry" / "assessments.csv");
        assessments << "patient_id,regimen_id,assessment_date,response,method\n";
        for (int row = 0; row < 20000; ++row) assessments << "P002,R004,2019-06-20,SD,\n";
    }
    const auto result = quiet_import(folder / "registry", folder / "db.sqlite");
    ASSERT_TRUE(result.imported);
    EXPECT_EQ(result.rows, 4u + 4u + 8u + 40000u + 20000u);
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT count(*), sum(dose), min(source_line), max(source_line) FROM administrations"),
              std::vector<std::string>{"40000|2020000.0|2|40001|"});  // dose cycles 1..100: 400 * 5050
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT count(*), min(response) FROM assessments"),
              std::vector<std::string>{"20000|sd|"});
    // The rows alternate between two regimens, so each is a run of its own: a row per
    // administration in administration_days, which still lists every one.
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT count(*), min(source_line), max(source_line) FROM administration_days"),
              std::vector<std::string>{"40000|2|40001|"});
    EXPECT_EQ(query_rows(folder / "db.sqlite", "SELECT regimen_id, drug, days FROM administration_days WHERE source_line = 40001"),
              std::vector<std::string>{"R002|drug1|18020|"});  // row 39999: R002, drug 39999 % 7 = 1, 2019-05-0(1 + 39999 % 9) = 2019-05-04
    fs::remove_all(folder);
}

namespace {

// One biomarker as `tumor|marker|method|result|value|unit|test_date`, empty when missing.
std::string biomarker_text(const rwe::study::Biomarker& biomarker) {
    return biomarker.tumor_id + "|" + biomarker.marker + "|" + biomarker.method + "|" + biomarker.result + "|" +
           (biomarker.value ? rwe::registry::format_number(*biomarker.value) : "") + "|" + biomarker.unit + "|" +
           (biomarker.test_date ? rwe::study::format_iso_date(*biomarker.test_date) : "");
}

std::vector<std::string> biomarkers_of(const rwe::study::Patient& patient) {
    std::vector<std::string> out;
    for (const auto& biomarker : patient.biomarkers) out.push_back(biomarker_text(biomarker));
    return out;
}

std::vector<std::string> observations_of(const rwe::study::Patient& patient) {
    std::vector<std::string> out;
    for (const auto& observation : patient.observations) {
        out.push_back(observation.name + "|" + rwe::study::format_iso_date(observation.date) + "|" +
                      (observation.value ? rwe::registry::format_number(*observation.value) : "") + "|" +
                      observation.result + "|" + observation.unit);
    }
    return out;
}

rwe::study::RegistryData load_fixture(const std::string& fixture, const fs::path& folder, bool pre_version2 = false) {
    const fs::path database = folder / (fixture + ".sqlite");
    EXPECT_TRUE(quiet_import(data_dir / fixture, database).imported);
    if (pre_version2) make_pre_version2_store(database);
    return rwe::study::load_registry(database.string());
}

}  // namespace

TEST(RegistryLoader, Version2BiomarkersObservationsAndTumourCodes) {
    const fs::path folder = fresh_folder("loader_v2");
    const auto registry = load_fixture("valid_v2", folder);
    ASSERT_EQ(registry.patients.size(), 4u);
    const auto& p001 = registry.patients[0];
    const auto& p002 = registry.patients[1];
    const auto& p003 = registry.patients[2];
    const auto& p004 = registry.patients[3];
    ASSERT_EQ(p004.id, "P004");

    // tests/data/registry/valid_v2/tumors.csv, by hand: T001 breast/ductal, T003 breast
    // without histology, T004 neither (primary_site missing = unknown).
    ASSERT_EQ(p001.tumors.size(), 1u);
    EXPECT_EQ(p001.tumors[0].id, "T001");
    EXPECT_EQ(p001.tumors[0].primary_site, "breast");
    EXPECT_EQ(p001.tumors[0].histology, "ductal");
    EXPECT_EQ(p003.tumors[0].histology, "");
    EXPECT_EQ(p004.tumors[0].primary_site, "unknown");
    EXPECT_EQ(p004.tumors[0].histology, "");
    // The shorthand fields stay as given; T002 gives none (missing = unknown).
    EXPECT_EQ(p001.tumors[0].er, "positive");
    EXPECT_EQ(p001.tumors[0].her2_ihc, "3+");
    EXPECT_EQ(p002.tumors[0].er, "unknown");
    EXPECT_EQ(p002.tumors[0].her2_ihc, "unknown");
    EXPECT_FALSE(p002.tumors[0].her2_ish_ratio.has_value());
    EXPECT_EQ(p004.tumors[0].pr, "unknown");

    // T001 (diagnosed 2015-04-10): shorthand er positive, pr negative, her2_ihc 3+, no
    // ratio -> three rows dated at diagnosis; biomarkers.csv: ki67 15 % undated (method
    // missing = unknown, so it sorts first), pdl1 positive 1.5 % on 2018-09-10.
    EXPECT_EQ(biomarkers_of(p001), (std::vector<std::string>{
                                       "T001|ki67|unknown||15|percent|",
                                       "T001|er|ihc|positive|||2015-04-10",
                                       "T001|her2|ihc|3+|||2015-04-10",
                                       "T001|pr|ihc|negative|||2015-04-10",
                                       "T001|pdl1|ihc|positive|1.5|percent|2018-09-10",
                                   }));
    // T002: no shorthand; everything from biomarkers.csv, ordered by date, marker, method.
    EXPECT_EQ(biomarkers_of(p002), (std::vector<std::string>{
                                       "T002|er|ihc|negative|||2019-03-08",
                                       "T002|her2|ihc|2+|||2019-03-08",
                                       "T002|ki67|ihc||30|percent|2019-03-08",
                                       "T002|pr|ihc|negative|||2019-03-08",
                                       "T002|her2|ish||2.6|ratio|2019-03-15",
                                   }));
    // T003 (2012-08-15): er, pr positive, her2_ihc 3+, her2_ish_ratio 5.15 -> four rows, the
    // ratio as her2/ish with unit ratio; a germline brca1 not tied to a tumour.
    EXPECT_EQ(biomarkers_of(p003), (std::vector<std::string>{
                                       "T003|er|ihc|positive|||2012-08-15",
                                       "T003|her2|ihc|3+|||2012-08-15",
                                       "T003|her2|ish||5.15|ratio|2012-08-15",
                                       "T003|pr|ihc|positive|||2012-08-15",
                                       "|brca1|ngs|negative|||2013-01-10",
                                   }));
    // T004 (2020-02-01): shorthand pr `unknown` gives no row; pr comes from biomarkers.csv.
    EXPECT_EQ(biomarkers_of(p004), (std::vector<std::string>{
                                       "T004|er|ihc|negative|||2020-02-01",
                                       "T004|her2|ihc|3+|||2020-02-01",
                                       "T004|pr|ihc|negative|||2020-02-05",
                                       "T004|pik3ca|ngs|h1047r, \"e545k\"|||2020-03-01",
                                   }));

    EXPECT_EQ(observations_of(p001),
              (std::vector<std::string>{"ecog|2018-09-05|1||", "weight_kg|2018-09-05|63.5||kg"}));
    EXPECT_EQ(observations_of(p002),
              (std::vector<std::string>{"smoking|2019-03-05||never|", "ecog|2019-03-20|0||"}));
    EXPECT_TRUE(p003.observations.size() == 1u && p003.observations[0].unit == "u/l");
    EXPECT_EQ(observations_of(p004),
              (std::vector<std::string>{"bmi|2020-02-01|27.25||", "ecog|2020-02-01|2||"}));
    fs::remove_all(folder);
}

TEST(RegistryLoader, Version1RegistryAndAStoreImportedBeforeVersion2) {
    // A version 1 registry: biomarkers only from the shorthand, no observations; a store
    // imported before version 2 (no biomarkers/observations tables, no primary_site or
    // histology column) loads the same.
    const fs::path folder = fresh_folder("loader_v1");
    for (const bool pre_version2 : {false, true}) {
        SCOPED_TRACE(pre_version2 ? "store before version 2" : "version 1 registry");
        const auto registry = load_fixture("valid", folder, pre_version2);
        ASSERT_EQ(registry.patients.size(), 4u);
        const auto& p002 = registry.patients[1];
        ASSERT_EQ(p002.tumors.size(), 1u);
        EXPECT_EQ(p002.tumors[0].id, "T002");
        EXPECT_EQ(p002.tumors[0].primary_site, "unknown");
        EXPECT_EQ(p002.tumors[0].histology, "");
        EXPECT_EQ(p002.tumors[0].her2_ihc, "2+");
        EXPECT_EQ(p002.tumors[0].her2_ish_ratio, 2.6);
        // valid/tumors.csv line 3: T002,P002,2019-03-05,iv,negative,negative,2+,2.6,,2019-03-20
        EXPECT_EQ(biomarkers_of(p002), (std::vector<std::string>{
                                           "T002|er|ihc|negative|||2019-03-05",
                                           "T002|her2|ihc|2+|||2019-03-05",
                                           "T002|her2|ish||2.6|ratio|2019-03-05",
                                           "T002|pr|ihc|negative|||2019-03-05",
                                       }));
        // line 5: T004,P004,2020-02-01,iv,negative,unknown,3+,,,2020-02-01 (pr unknown: no row)
        EXPECT_EQ(biomarkers_of(registry.patients[3]), (std::vector<std::string>{
                                                           "T004|er|ihc|negative|||2020-02-01",
                                                           "T004|her2|ihc|3+|||2020-02-01",
                                                       }));
        for (const auto& patient : registry.patients) EXPECT_TRUE(patient.observations.empty());
        fs::remove_all(folder);
        fs::create_directories(folder);
    }
    fs::remove_all(folder);
}

TEST(RegistryLoader, AdministrationDaysGiveTheSameAdministrationsAsTheirTable) {
    // A study reads administration_days; a store imported before it has only the
    // administrations table. Both must give every regimen the same administrations, also
    // when a regimen's rows are split into several runs and a drug is given twice a day.
    const fs::path folder = fresh_folder("administration_days");
    fs::create_directories(folder / "registry");
    for (const char* name : {"patients.csv", "tumors.csv", "regimens.csv"}) {
        fs::copy_file(data_dir / "valid" / name, folder / "registry" / name);
    }
    {
        std::ofstream administrations(folder / "registry" / "administrations.csv");
        administrations << "regimen_id,drug,admin_date,dose,unit\n"
                        << "R004,Docetaxel,2019-04-01,75,mg/m2\n"  // R004: a run of three rows
                        << "R004,docetaxel,2019-04-01,20,mg/m2\n"  // the same drug and day again
                        << "R004,trastuzumab,2019-04-22,6,mg/kg\n"
                        << "R002,docetaxel,2018-09-15,75,mg/m2\n"
                        << "R004,docetaxel,2019-04-22,75,mg/m2\n";  // R004 again: a second run
    }
    const fs::path database = folder / "db.sqlite";
    ASSERT_TRUE(quiet_import(folder / "registry", database).imported);
    EXPECT_EQ(query_rows(database, "SELECT source_line, regimen_id, drug, days FROM administration_days ORDER BY source_line"),
              (std::vector<std::string>{"2|R004|docetaxel|17987 17987|", "4|R004|trastuzumab|18008|",
                                        "5|R002|docetaxel|17789|", "6|R004|docetaxel|18008|"}));
    const auto doses = [](const rwe::study::RegistryData& registry) {
        std::vector<std::string> out;
        for (const auto& patient : registry.patients) {
            for (const auto& regimen : patient.regimens) {
                for (const auto& given : regimen.administrations) {
                    out.push_back(regimen.id + " " + *given.drug + " " + rwe::study::format_iso_date(given.date));
                }
            }
        }
        return out;
    };
    const auto from_days = doses(rwe::study::load_registry(database.string()));
    // By hand: each regimen's administrations by date, then drug.
    EXPECT_EQ(from_days, (std::vector<std::string>{"R002 docetaxel 2018-09-15", "R004 docetaxel 2019-04-01",
                                                   "R004 docetaxel 2019-04-01", "R004 docetaxel 2019-04-22",
                                                   "R004 trastuzumab 2019-04-22"}));
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "DROP TABLE administration_days", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    EXPECT_EQ(doses(rwe::study::load_registry(database.string())), from_days);
    fs::remove_all(folder);
}

TEST(RegistryStore, PostgresqlLocationsAreShownWithoutPassword) {
    using rwe::registry::shown_location;
    EXPECT_TRUE(rwe::registry::is_postgresql_location("postgresql://host/db"));
    EXPECT_TRUE(rwe::registry::is_postgresql_location("postgres://host/db"));
    EXPECT_FALSE(rwe::registry::is_postgresql_location("registry.sqlite"));
    EXPECT_FALSE(rwe::registry::is_postgresql_location("postgresql.sqlite"));
    EXPECT_EQ(shown_location("postgresql://alice:s3cr%40t@db.example.org:5433/registry"),
              "postgresql://alice@db.example.org:5433/registry");
    EXPECT_EQ(shown_location("postgresql://alice:p@ss@host/db"), "postgresql://alice@host/db");  // last @ ends the user
    EXPECT_EQ(shown_location("postgresql://alice@host/db"), "postgresql://alice@host/db");
    EXPECT_EQ(shown_location("postgresql:///db?host=/run/postgresql&password=secret&sslmode=require"),
              "postgresql:///db?host=/run/postgresql&sslmode=require");
    EXPECT_EQ(shown_location("postgresql://host/db?password=secret"), "postgresql://host/db");
    EXPECT_EQ(shown_location("postgres://:secret@host"), "postgres://@host");
    EXPECT_EQ(shown_location("registry.sqlite"), "registry.sqlite");
}
