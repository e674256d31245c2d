#pragma once
// The engine-independent half of `rwe import`: a RowSink that copies the validator's rows
// into batches, gathers `administration_days` (store_schema.hpp) while a regimen's
// administrations follow each other, and hands the batches to a loader thread through a
// bounded queue, so that parsing and checking (the caller's thread) overlap with writing
// (the loader's) and memory stays bounded whatever the file size. What the loader does
// with a batch — INSERTs into SQLite, COPY into PostgreSQL — is a BatchLoader.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "rwe/registry/validator.hpp"

namespace rwe::registry {

// Rows of one table: for each row its `source_line` and then one cell per column of
// `file` (FileSpec order); text lives in `arena`.
struct RowBatch {
    struct StoredCell {
        Cell::Kind kind;
        std::int64_t integer;
        double real;
        std::size_t offset;
        std::size_t size;
    };
    const FileSpec* file = nullptr;
    std::vector<std::size_t> lines;
    std::vector<StoredCell> cells;
    std::string arena;

    std::size_t rows() const { return lines.size(); }
    std::string_view text(const StoredCell& cell) const { return {arena.data() + cell.offset, cell.size}; }
    void add_row(std::size_t line, std::span<const Cell> row);
};

// Writes batches into a store, on the loader thread (one batch at a time, in the order
// the validator produced them; batches of two tables may alternate).
class BatchLoader {
public:
    virtual ~BatchLoader() = default;
    virtual void load(const RowBatch& batch) = 0;
    // Called on the loader thread after the last batch (e.g. to end a COPY).
    virtual void finish() {}
};

class StoreRowSink : public RowSink {
public:
    explicit StoreRowSink(BatchLoader& loader);
    ~StoreRowSink() override;
    StoreRowSink(const StoreRowSink&) = delete;
    StoreRowSink& operator=(const StoreRowSink&) = delete;

    void begin_file(const FileSpec& file) override;
    void row(const FileSpec& file, std::size_t line, std::span<const Cell> cells) override;
    void end_file(const FileSpec& file) override;

    // Waits until every row is in the store; rethrows a failure of the loader.
    void finish();
    // Rows loaded from the registry files (administration_days rows are not counted).
    std::size_t rows() const { return rows_; }

private:
    static constexpr std::size_t batch_rows = 8192;
    static constexpr std::size_t max_batches = 4;

    struct DrugRun {
        std::string drug;
        std::size_t first_line;
        std::string days;
    };

    void add_administration(std::size_t line, std::span<const Cell> cells);
    void end_regimen_run();
    void flush(RowBatch& batch);
    void run_loader();

    BatchLoader& loader_;
    RowBatch batch_;       // being filled by the validator's thread
    RowBatch days_batch_;  // administration_days rows
    std::string regimen_run_;  // the regimen whose administrations are being gathered
    std::vector<DrugRun> drug_runs_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<RowBatch> queue_;
    bool done_ = false;
    std::exception_ptr failure_;
    std::size_t rows_ = 0;  // written by the loader, read after finish()
    std::thread thread_;    // last: starts after the other members exist
};

}  // namespace rwe::registry
