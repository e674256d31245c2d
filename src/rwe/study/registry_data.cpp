#include "rwe/study/registry_data.hpp"


#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/registry/sha256.hpp"
#include "rwe/registry/store_connection.hpp"

namespace rwe::study {

const std::vector<ShorthandColumn>& shorthand_biomarker_columns() {
    static const std::vector<ShorthandColumn> columns{
        {"er", "er", "ihc", false}, {"pr", "pr", "ihc", false}, {"her2_ihc", "her2", "ihc", false}, {"her2_ish_ratio", "her2", "ish", true}};
    return columns;
}

namespace {

// The store through its boundary (registry/store_connection.hpp): rows by position.
class Database {
public:
    explicit Database(const std::string& location) : owned_(registry::open_store(location)), connection_(owned_.get()) {}
    explicit Database(std::unique_ptr<registry::StoreConnection> connection)
        : owned_(std::move(connection)), connection_(owned_.get()) {}
    // A connection the caller keeps (and whose transaction it shares).
    explicit Database(registry::StoreConnection& connection) : connection_(&connection) {}
    // A second connection that sees the same rows (for a reader thread of its own).
    Database another() { return Database(connection_->open_reader()); }

    bool has_table(const std::string& table) { return connection_->has_table(table); }
    bool has_column(const std::string& table, const std::string& column) { return connection_->has_column(table, column); }
    const registry::SqlDialect& dialect() const { return connection_->dialect(); }

    // Runs `sql` with the chunk's parameters bound (the ids of its patients, when the
    // query's filter names them).
    template <typename RowFunction>
    void query(const std::string& sql, RowFunction on_row) {
        auto cursor = connection_->execute(sql, chunk_parameters);
        while (cursor->next()) on_row(cursor->row());
    }

    std::vector<std::string> chunk_parameters;

private:
    std::unique_ptr<registry::StoreConnection> owned_;
    registry::StoreConnection* connection_;
};

using Row = registry::StoreRow;

std::string text(const Row& row, int column) { return std::string(row.text(column)); }

std::optional<Day> date(const Row& row, int column) {
    if (row.is_null(column)) return std::nullopt;
    return parse_iso_date(row.text(column));
}

Day required_date(const Row& row, int column, const std::string& what) {
    auto value = date(row, column);
    if (!value) throw IoError("registry store: bad " + what + " (" + text(row, column) + ")");
    return *value;
}

std::string lower(const std::string& text) { return ascii_lower(text); }

std::string code_or(const Row& statement, int column, const char* missing) {
    return statement.is_null(column) ? missing : lower(text(statement, column));
}

std::optional<double> number(const Row& statement, int column) {
    if (statement.is_null(column)) return std::nullopt;
    return statement.real(column);
}

// The biomarker rows that a tumour's breast shorthand columns stand for
// (registry-format.md, tumors.csv).
void add_shorthand_biomarkers(const Tumor& tumor, std::vector<Biomarker>& out) {
    const auto add_result = [&](const char* marker, const std::string& result) {
        if (result.empty() || result == "unknown") return;
        out.push_back({tumor.id, marker, "ihc", result, std::nullopt, "", tumor.diagnosis});
    };
    add_result("er", tumor.er);
    add_result("pr", tumor.pr);
    add_result("her2", tumor.her2_ihc);
    if (tumor.her2_ish_ratio) out.push_back({tumor.id, "her2", "ish", "", tumor.her2_ish_ratio, "ratio", tumor.diagnosis});
}

// The store is asked for a table's rows by patient only (the order its patient index
// gives, without a sort in the store); each patient's rows are then put in their order
// here, with the row's file line last so that the order is complete.
template <class Record, class Less>
void sort_each_patients(RegistryData& registry, std::vector<Record> Patient::*records, Less less) {
    for (auto& patient : registry.patients) {
        auto& list = patient.*records;
        if (list.size() > 1) std::sort(list.begin(), list.end(), less);
    }
}

// Loads the patients whose ids satisfy `where` (an SQL condition on patient_id; empty:
// all) with everything recorded about them.
void load_patients(Database& db, const std::string& where, RegistryData& registry,
                   const std::optional<std::string>& administrations_of = std::nullopt) {
    const std::string filter = where.empty() ? "" : " WHERE " + where;
    db.query("SELECT patient_id, birth_date, sex, menopausal_status, death_date, last_contact_date "
             "FROM patients" + filter + " ORDER BY patient_id",
             [&](const Row& s) {
                 Patient patient;
                 patient.id = text(s, 0);
                 patient.birth = required_date(s, 1, "birth_date");
                 patient.sex = lower(text(s, 2));
                 patient.menopausal_status = lower(text(s, 3));
                 patient.death = date(s, 4);
                 patient.last_contact = required_date(s, 5, "last_contact_date");
                 registry.patients.push_back(std::move(patient));
             });
    // The patients are in id order (the store's byte order, as std::string compares) and so
    // are the rows of the other tables: a patient is looked up once per run of rows.
    Patient* last_patient = nullptr;
    auto patient_of = [&](std::string_view id) -> Patient* {
        if (last_patient != nullptr && id == last_patient->id) return last_patient;
        auto it = std::lower_bound(registry.patients.begin(), registry.patients.end(), id,
                                   [](const Patient& patient, std::string_view key) { return patient.id < key; });
        last_patient = it == registry.patients.end() || it->id != id ? nullptr : &*it;
        return last_patient;
    };
    // A store imported before registry format version 2 has no primary_site and histology.
    const bool version2_tumors = db.has_column("tumors", "primary_site") && db.has_column("tumors", "histology");
    db.query(std::string("SELECT patient_id, diagnosis_date, stage_at_diagnosis, er, pr, her2_ihc, her2_ish_ratio, "
                         "surgery_date, metastasis_date, tumor_id, ") +
                 (version2_tumors ? "primary_site, histology" : "NULL, NULL") +
                 " FROM tumors" + filter + " ORDER BY patient_id, diagnosis_date, tumor_id",
             [&](const Row& s) {
                 Patient* patient = patient_of(s.text(0));
                 if (!patient) return;
                 Tumor tumor;
                 tumor.id = text(s, 9);
                 tumor.diagnosis = required_date(s, 1, "diagnosis_date");
                 tumor.primary_site = code_or(s, 10, "unknown");
                 tumor.histology = code_or(s, 11, "");
                 tumor.stage = lower(text(s, 2));
                 tumor.er = code_or(s, 3, "unknown");
                 tumor.pr = code_or(s, 4, "unknown");
                 tumor.her2_ihc = code_or(s, 5, "unknown");
                 tumor.her2_ish_ratio = number(s, 6);
                 tumor.surgery = date(s, 7);
                 tumor.metastasis = date(s, 8);
                 add_shorthand_biomarkers(tumor, patient->biomarkers);
                 patient->tumors.push_back(std::move(tumor));
             });
    if (db.has_table("biomarkers")) {
        db.query("SELECT patient_id, tumor_id, marker, method, result, value, unit, test_date FROM biomarkers" + filter +
                 " ORDER BY patient_id, source_line",
                 [&](const Row& s) {
                     if (Patient* patient = patient_of(s.text(0))) {
                         patient->biomarkers.push_back({text(s, 1), lower(text(s, 2)), code_or(s, 3, "unknown"),
                                                        code_or(s, 4, ""), number(s, 5), code_or(s, 6, ""),
                                                        date(s, 7)});
                     }
                 });
    }
    for (auto& patient : registry.patients) {
        std::stable_sort(patient.biomarkers.begin(), patient.biomarkers.end(),
                         [](const Biomarker& a, const Biomarker& b) {
                             // nullopt sorts before any date.
                             if (a.test_date != b.test_date) return a.test_date < b.test_date;
                             if (a.marker != b.marker) return a.marker < b.marker;
                             return a.method < b.method;
                         });
    }
    if (db.has_table("observations")) {
        db.query("SELECT patient_id, name, observation_date, value, result, unit FROM observations" + filter +
                 " ORDER BY patient_id, observation_date, name, source_line",
                 [&](const Row& s) {
                     if (Patient* patient = patient_of(s.text(0))) {
                         patient->observations.push_back({lower(text(s, 1)), required_date(s, 2, "observation_date"),
                                                          number(s, 3), code_or(s, 4, ""), code_or(s, 5, "")});
                     }
                 });
    }
    if (db.has_table("metastases")) {
        db.query("SELECT patient_id, site, detected_date, source_line FROM metastases" + filter + " ORDER BY patient_id",
                 [&](const Row& s) {
                     if (Patient* patient = patient_of(s.text(0))) {
                         patient->metastases.push_back({lower(text(s, 1)), required_date(s, 2, "detected_date"), s.integer(3)});
                     }
                 });
        sort_each_patients(registry, &Patient::metastases, [](const Metastasis& a, const Metastasis& b) {
            return std::tie(a.detected, a.site, a.source_line) < std::tie(b.detected, b.site, b.source_line);
        });
    }
    db.query("SELECT patient_id, regimen_id, setting, line, regimen, start_date, end_date, end_reason, "
             "clinical_trial, measurable_disease FROM regimens" + filter + " ORDER BY patient_id",
             [&](const Row& s) {
                 Patient* patient = patient_of(s.text(0));
                 if (!patient) return;
                 Regimen regimen;
                 regimen.id = text(s, 1);
                 regimen.setting = lower(text(s, 2));
                 regimen.line = s.is_null(3) ? 0 : static_cast<int>(s.integer(3));
                 regimen.regimen = lower(text(s, 4));
                 regimen.start = required_date(s, 5, "start_date");
                 regimen.end = date(s, 6);
                 regimen.end_reason = lower(text(s, 7));
                 regimen.clinical_trial = lower(text(s, 8)) == "yes";
                 regimen.measurable = s.is_null(9) ? "unknown" : lower(text(s, 9));
                 patient->regimens.push_back(std::move(regimen));
             });
    sort_each_patients(registry, &Patient::regimens, [](const Regimen& a, const Regimen& b) {
        return std::tie(a.start, a.id) < std::tie(b.start, b.id);
    });
    std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> regimen_index;
    for (std::size_t p = 0; p < registry.patients.size(); ++p) {
        const auto& regimens = registry.patients[p].regimens;
        for (std::size_t r = 0; r < regimens.size(); ++r) regimen_index.emplace(regimens[r].id, std::make_pair(p, r));
    }
    // administration_days (registry/store_schema.hpp) lists a regimen's days per drug; a
    // store imported before it has only the administrations table, a row per dose.
    const bool day_lists = db.has_table("administration_days");
    if ((day_lists || db.has_table("administrations")) && !(administrations_of && administrations_of->empty())) {
        std::string regimens_read;
        if (!where.empty() || administrations_of) {
            regimens_read = " WHERE regimen_id IN (SELECT r.regimen_id FROM regimens r WHERE " +
                            (where.empty() ? std::string("1 = 1") : where) +
                            (administrations_of ? " AND (" + *administrations_of + ")" : std::string()) + ")";
        }
        std::string last_regimen_id;
        Regimen* last_regimen = nullptr;
        std::unordered_map<std::string, const std::string*> drug_spellings;
        std::string last_spelling;
        const std::string* last_drug = nullptr;
        // Rows of one regimen come together and a registry has few drugs: the last regimen
        // and each drug's spelling are looked up once.
        auto regimen_and_drug = [&](const Row& s) {
            const std::string_view id = s.text(0);
            if (last_regimen_id != id) {
                last_regimen_id = id;
                auto it = regimen_index.find(last_regimen_id);
                last_regimen = it == regimen_index.end() ? nullptr
                                                         : &registry.patients[it->second.first].regimens[it->second.second];
            }
            if (last_regimen == nullptr) return false;
            const std::string_view spelled = s.text(1);
            if (last_drug == nullptr || spelled != last_spelling) {
                last_spelling = spelled;
                auto known = drug_spellings.find(last_spelling);
                if (known == drug_spellings.end()) {
                    known = drug_spellings.emplace(last_spelling, &*registry.names.insert(lower(last_spelling)).first).first;
                }
                last_drug = known->second;
            }
            return true;
        };
        // Unordered: sorted per regimen below.
        if (day_lists) {
            db.query("SELECT regimen_id, drug, days FROM administration_days" + regimens_read, [&](const Row& s) {
                if (!regimen_and_drug(s)) return;
                const std::string_view days = s.text(2);
                const char* at = days.data();
                const char* const end = days.data() + days.size();
                while (at < end) {
                    Day day = 0;
                    const auto [next, error] = std::from_chars(at, end, day);
                    if (error != std::errc() || (next < end && *next != ' ')) {
                        throw IoError("registry store: bad administration_days.days (" + std::string(days) + ")");
                    }
                    last_regimen->administrations.push_back({last_drug, day});
                    at = next + 1;
                }
            });
        } else {
            db.query("SELECT regimen_id, drug, admin_date FROM administrations" + regimens_read, [&](const Row& s) {
                if (regimen_and_drug(s)) {
                    last_regimen->administrations.push_back({last_drug, required_date(s, 2, "admin_date")});
                }
            });
        }
        for (auto& patient : registry.patients) {
            for (auto& regimen : patient.regimens) {
                std::sort(regimen.administrations.begin(), regimen.administrations.end(),
                          [](const Administration& a, const Administration& b) {
                              return a.date != b.date ? a.date < b.date : *a.drug < *b.drug;
                          });
            }
        }
    }
    if (db.has_table("assessments")) {
        db.query("SELECT patient_id, regimen_id, assessment_date, response, source_line FROM assessments" + filter +
                 " ORDER BY patient_id",
                 [&](const Row& s) {
                     if (Patient* patient = patient_of(s.text(0))) {
                         patient->assessments.push_back(
                             {text(s, 1), required_date(s, 2, "assessment_date"), lower(text(s, 3)), s.integer(4)});
                     }
                 });
        sort_each_patients(registry, &Patient::assessments, [](const Assessment& a, const Assessment& b) {
            return std::tie(a.date, a.regimen_id, a.source_line) < std::tie(b.date, b.regimen_id, b.source_line);
        });
    }
    if (db.has_table("adverse_events")) {
        db.query("SELECT patient_id, regimen_id, term, grade, onset_date, action, source_line FROM adverse_events" + filter +
                 " ORDER BY patient_id",
                 [&](const Row& s) {
                     if (Patient* patient = patient_of(s.text(0))) {
                         patient->adverse_events.push_back({text(s, 1), lower(text(s, 2)), static_cast<int>(s.integer(3)),
                                                            required_date(s, 4, "onset_date"),
                                                            s.is_null(5) ? "none" : lower(text(s, 5)), s.integer(6)});
                     }
                 });
        sort_each_patients(registry, &Patient::adverse_events, [](const AdverseEvent& a, const AdverseEvent& b) {
            return std::tie(a.onset, a.term, a.source_line) < std::tie(b.onset, b.term, b.source_line);
        });
    }
}

void load_provenance(Database& db, RegistryData& registry) {
    // Which import this is: one digest over the source files' digests (docs/registry.md).
    if (db.has_table("source_files")) {
        registry::Sha256 digest;
        db.query("SELECT file_name, sha256 FROM source_files ORDER BY file_name", [&](const Row& s) {
            const std::string line = text(s, 0) + " " + text(s, 1) + "\n";
            digest.update(line);
            registry.source_files.emplace_back(text(s, 0), text(s, 1));
        });
        registry.checksum = digest.hex_digest();
    }
    if (db.has_table("import_info")) {
        db.query("SELECT imported_at FROM import_info", [&](const Row& s) { registry.imported_at = text(s, 0); });
    }
}

}  // namespace

RegistryData load_registry(const std::string& location) {
    Database db(location);
    RegistryData registry;
    load_patients(db, "", registry);
    load_provenance(db, registry);
    return registry;
}

namespace {

// The codes the registry uses, counted by the store, for the protocol's warnings.
void collect_codes(Database& db, const ReadPlan& plan, RegistryInfo& info) {
    db.chunk_parameters.clear();
    auto collect = [&](const std::string& sql, std::set<std::string>& out) {
        db.query(sql, [&](const Row& s) { out.insert(lower(text(s, 0))); });
    };
    // Regimen and drug codes: only those the plan names are looked up, a row each at most.
    auto probe = [&](const std::string& sql, const std::vector<std::string>& codes, std::set<std::string>& out) {
        for (const auto& code : codes) {
            db.chunk_parameters = {code};
            db.query(sql, [&](const Row&) { out.insert(code); });
        }
        db.chunk_parameters.clear();
    };
    probe("SELECT 1 FROM regimens WHERE lower(regimen) = " + db.dialect().placeholder(1) + " LIMIT 1", plan.regimen_codes,
          info.codes.regimens);
    if (db.has_table("administration_days")) {
        probe("SELECT 1 FROM administration_days WHERE drug = " + db.dialect().placeholder(1) + " LIMIT 1",
              plan.drug_codes, info.codes.drugs);
    } else if (db.has_table("administrations")) {
        probe("SELECT 1 FROM administrations WHERE lower(drug) = " + db.dialect().placeholder(1) + " LIMIT 1",
              plan.drug_codes, info.codes.drugs);
    }
    if (db.has_table("biomarkers")) {
        collect("SELECT DISTINCT lower(marker) || '/' || lower(coalesce(method, 'unknown')) FROM biomarkers", info.codes.markers);
    }
    for (const ShorthandColumn& shorthand : shorthand_biomarker_columns()) {
        bool found = false;
        const std::string column = shorthand.column;
        // A value column is a number (no `unknown`); the others are codes.
        const std::string condition = shorthand.value ? column + " IS NOT NULL"
                                                      : column + " IS NOT NULL AND lower(" + column + ") <> 'unknown'";
        db.query("SELECT 1 FROM tumors WHERE " + condition + " LIMIT 1", [&](const Row&) { found = true; });
        if (found) info.codes.markers.insert(std::string(shorthand.marker) + "/" + shorthand.method);
    }
    if (db.has_table("observations")) collect("SELECT DISTINCT name FROM observations", info.codes.observations);
}

// The registry's provenance and size.
RegistryInfo describe(Database& db) {
    RegistryData provenance;
    load_provenance(db, provenance);
    RegistryInfo info{provenance.checksum, provenance.source_files, provenance.imported_at, 0, {}};
    db.query("SELECT count(*) FROM patients", [&](const Row& s) { info.patients = static_cast<std::size_t>(s.integer(0)); });
    return info;
}

}  // namespace

RegistryInfo describe_registry(registry::StoreConnection& store, const ReadPlan& plan) {
    Database db(store);
    RegistryInfo info = describe(db);
    collect_codes(db, plan, info);
    return info;
}

RegistryInfo read_registry(const std::string& location, std::size_t chunk_patients,
                           const std::function<void(const RegistryData&)>& visit, const ReadPlan& plan,
                           const std::function<void(std::size_t done, std::size_t total)>& progress) {
    const CandidateQuery& candidates = plan.candidates;
    Database db(location);
    // The second reader's connection is opened before any reading (docs/registry.md: a
    // PostgreSQL store is locked against imports by both before either reads).
    Database second = db.another();
    RegistryInfo info = describe(db);
    // The patients to read, in id order: every patient, or those the store selects.
    std::vector<std::string> ids;
    if (candidates) {
        const auto [sql, parameters] = candidates(db.dialect(), db.has_table("administration_days"));
        db.chunk_parameters = parameters;
        db.query(sql, [&](const Row& s) { ids.push_back(text(s, 0)); });
    } else {
        db.query("SELECT patient_id FROM patients ORDER BY patient_id", [&](const Row& s) { ids.push_back(text(s, 0)); });
    }
    auto load_chunk = [&](Database& store, std::size_t first) {
        const std::size_t last = std::min(first + chunk_patients, ids.size());
        auto chunk = std::make_unique<RegistryData>();
        std::string where;
        std::size_t in_range = last - first;
        const std::string range = "patient_id BETWEEN " + registry::SqlDialect::literal(ids[first]) + " AND " +
                                  registry::SqlDialect::literal(ids[last - 1]);
        if (candidates) {
            store.chunk_parameters.clear();
            store.query("SELECT count(*) FROM patients WHERE " + range,
                     [&](const Row& s) { in_range = static_cast<std::size_t>(s.integer(0)); });
        }
        if (in_range > 2 * (last - first)) {
            // Few of the patients in this id range are selected: the chunk's patients by
            // id, bound as parameters (a range scan is faster when most are).
            store.chunk_parameters.assign(ids.begin() + static_cast<std::ptrdiff_t>(first), ids.begin() + static_cast<std::ptrdiff_t>(last));
            where = "patient_id IN (";
            for (std::size_t k = 0; k < last - first; ++k) where += (k ? ", " : "") + store.dialect().placeholder(static_cast<int>(k + 1));
            where += ")";
        } else {
            store.chunk_parameters.clear();
            where = range;
        }
        load_patients(store, where, *chunk, plan.administrations_of);
        return chunk;
    };
    // Two readers, each with a connection of its own, read the next two chunks on threads
    // of their own while `visit` works on this one (reader k % 2 reads chunk k, so a
    // connection is used by one thread at a time); at most three chunks are in memory.
    // Reading is most of the work: the store steps through rows, rwe builds the records.
    Database* readers[2] = {&db, &second};
    const std::size_t chunks = (ids.size() + chunk_patients - 1) / chunk_patients;
    std::future<std::unique_ptr<RegistryData>> next[2];
    auto start = [&](std::size_t chunk) {
        if (chunk < chunks) {
            next[chunk % 2] = std::async(std::launch::async, load_chunk, std::ref(*readers[chunk % 2]), chunk * chunk_patients);
        }
    };
    start(0);
    start(1);
    // RWE_TIMING: how long the caller waited for the store, and how long it worked on the
    // chunks (whichever is longer bounds the whole).
    using clock = std::chrono::steady_clock;
    clock::duration waited{}, visiting{};
    for (std::size_t k = 0; k < chunks; ++k) {
        const auto asked = clock::now();
        std::unique_ptr<RegistryData> chunk;
        try {
            chunk = next[k % 2].get();
        } catch (...) {
            if (next[(k + 1) % 2].valid()) next[(k + 1) % 2].wait();  // the other reader is done with its connection
            throw;
        }
        const auto got = clock::now();
        waited += got - asked;
        start(k + 2);
        try {
            visit(*chunk);
        } catch (...) {
            for (auto& reader : next) {
                if (reader.valid()) reader.wait();  // the readers are done with the connections before they close
            }
            throw;
        }
        chunk.reset();
        visiting += clock::now() - got;
        if (progress) progress(std::min((k + 1) * chunk_patients, ids.size()), ids.size());
    }
    if (std::getenv("RWE_TIMING") != nullptr && !ids.empty()) {
        std::fprintf(stderr, "rwe run:   %.2f s waiting for the store, %.2f s deriving, %zu chunks\n",
                     std::chrono::duration<double>(waited).count(), std::chrono::duration<double>(visiting).count(),
                     chunks);
    }
    db.chunk_parameters.clear();
    collect_codes(db, plan, info);
    return info;
}

}  // namespace rwe::study
