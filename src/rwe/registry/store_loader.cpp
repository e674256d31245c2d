#include "rwe/registry/store_loader.hpp"

#include <charconv>

#include "rwe/registry/field_parse.hpp"
#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

void RowBatch::add_row(std::size_t line, std::span<const Cell> row) {
    lines.push_back(line);
    for (const Cell& cell : row) {
        cells.push_back({cell.kind, cell.integer, cell.real, arena.size(), cell.text.size()});
        arena.append(cell.text);
    }
}

StoreRowSink::StoreRowSink(BatchLoader& loader) : loader_(loader), thread_([this] { run_loader(); }) {
    days_batch_.file = &administration_days_table();
}

StoreRowSink::~StoreRowSink() {
    try {
        finish();
    } catch (...) {
        // finish() is called explicitly on the success path; here only cleanup matters.
    }
}

void StoreRowSink::begin_file(const FileSpec& file) {
    flush(batch_);
    batch_.file = &file;
}

void StoreRowSink::row(const FileSpec& file, std::size_t line, std::span<const Cell> cells) {
    batch_.add_row(line, cells);
    if (file.id == FileId::administrations) add_administration(line, cells);
    if (batch_.rows() >= batch_rows) flush(batch_);
}

void StoreRowSink::end_file(const FileSpec& file) {
    flush(batch_);
    if (file.id == FileId::administrations) {
        end_regimen_run();
        flush(days_batch_);
    }
}

void StoreRowSink::finish() {
    if (!thread_.joinable()) return;
    flush(batch_);
    {
        std::unique_lock lock(mutex_);
        done_ = true;
    }
    changed_.notify_all();
    thread_.join();
    if (failure_) std::rethrow_exception(failure_);
}

// administration_days (store_schema.hpp): the days of each drug are gathered while the
// rows of one regimen follow each other, and written as a row per drug when the regimen
// changes.
void StoreRowSink::add_administration(std::size_t line, std::span<const Cell> cells) {
    static const int regimen_column = file_spec(FileId::administrations).column_index("regimen_id");
    static const int drug_column = file_spec(FileId::administrations).column_index("drug");
    static const int date_column = file_spec(FileId::administrations).column_index("admin_date");
    const std::string_view regimen = cells[static_cast<std::size_t>(regimen_column)].text;
    const std::string_view drug = cells[static_cast<std::size_t>(drug_column)].text;
    Days day = no_date;
    if (!parse_iso_date(cells[static_cast<std::size_t>(date_column)].text, day)) return;  // the validator reports it
    if (regimen != regimen_run_) {
        end_regimen_run();
        regimen_run_ = regimen;
    }
    DrugRun* run = nullptr;
    for (DrugRun& candidate : drug_runs_) {
        if (candidate.drug == drug) run = &candidate;
    }
    if (run == nullptr) run = &drug_runs_.emplace_back(DrugRun{std::string(drug), line, {}});
    char text[16];
    const auto written = std::to_chars(text, text + sizeof text, day).ptr;
    if (!run->days.empty()) run->days += ' ';
    run->days.append(text, written);
}

void StoreRowSink::end_regimen_run() {
    for (const DrugRun& run : drug_runs_) {
        const Cell cells[] = {{Cell::Kind::text, regimen_run_, 0, 0},
                              {Cell::Kind::text, run.drug, 0, 0},
                              {Cell::Kind::text, run.days, 0, 0}};
        days_batch_.add_row(run.first_line, cells);
    }
    drug_runs_.clear();
    regimen_run_.clear();
    if (days_batch_.rows() >= batch_rows) flush(days_batch_);
}

void StoreRowSink::flush(RowBatch& batch) {
    if (batch.lines.empty()) return;
    const FileSpec* file = batch.file;
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return queue_.size() < max_batches || failure_; });
        if (failure_) return;  // reported by finish()
        queue_.push_back(std::move(batch));
    }
    changed_.notify_all();
    batch = RowBatch{};
    batch.file = file;
}

void StoreRowSink::run_loader() {
    for (;;) {
        RowBatch batch;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return !queue_.empty() || done_; });
            if (queue_.empty()) break;
            batch = std::move(queue_.front());
            queue_.pop_front();
        }
        changed_.notify_all();
        try {
            loader_.load(batch);
            if (batch.file != &administration_days_table()) rows_ += batch.rows();
        } catch (...) {
            std::unique_lock lock(mutex_);
            failure_ = std::current_exception();
            queue_.clear();
            changed_.notify_all();
            return;
        }
    }
    try {
        loader_.finish();
    } catch (...) {
        std::unique_lock lock(mutex_);
        failure_ = std::current_exception();
    }
}

}  // namespace rwe::registry
