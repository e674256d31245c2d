#pragma once
// Replacing a folder of outputs (`rwe run`, `rwe report`, `rwe export`) all or nothing,
// without touching files rwe did not write. docs/output-folders.md gives the design.
//
// The new files are written into a staging folder. `commit()` then
//  - swaps (Linux renameat2 RENAME_EXCHANGE) a complete new folder in place of the old one
//    in one step, the user's own files hard-linked into it first; the old folder, now at
//    the staging name, is removed. A reader sees the old folder or the new one, never a mix.
//  - or, when the folder cannot be swapped (its parent is not writable, it is a mount
//    point, its file system cannot exchange or hard-link), moves the staged files in one at
//    a time under a journal: `.rwe-output` is removed first and put back last, and a run
//    interrupted in between is finished by the next rwe writing the folder.
// `.rwe-output` lists the files rwe wrote (one path a line); only those are replaced or
// removed by a later run. Staging folders are named `.rwe-staging-<name>-<pid>` beside the
// folder or `.rwe-staging-<pid>` inside it, removed on a signal and, when their process is
// gone, by the next run.

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "rwe/common/cleanup.hpp"

namespace rwe {

class OutputFolder {
public:
    // Prepares the staging folder for `target` (created when missing). Throws IoError.
    explicit OutputFolder(const std::filesystem::path& target);
    // A folder whose files rwe owns by name, not by manifest: `format_files` (relative
    // paths) are replaced or removed, nothing else, and no `.rwe-output` is written (a
    // registry folder for `rwe export`).
    OutputFolder(const std::filesystem::path& target, std::set<std::string> format_files);
    ~OutputFolder();
    OutputFolder(const OutputFolder&) = delete;
    OutputFolder& operator=(const OutputFolder&) = delete;

    const std::filesystem::path& path() const { return staging_; }  // write the new files here
    const std::filesystem::path& target() const { return target_; }

    // Puts the staged files in place (see above). Throws IoError, the old folder intact,
    // when a folder of the user's is in the way of a file to write (or the reverse).
    void commit();

    static constexpr const char* manifest_name = ".rwe-output";

private:
    std::filesystem::path target_;
    std::filesystem::path staging_;
    bool staging_inside_ = false;  // staging in target (journal mode) rather than beside it
    std::set<std::string> format_files_;
    bool manifest_ = true;
    std::unique_ptr<RemoveOnSignal> remove_on_signal_;
};

// Finishes or removes what interrupted rwe processes left in and beside `target`.
void tidy_output_folder(const std::filesystem::path& target);

}  // namespace rwe
