#pragma once
// All or nothing for commands that write a folder of outputs (`rwe run`, `rwe report`):
// files are written into a sibling staging folder, which is removed unless committed.

#include <filesystem>
#include <string>

namespace rwe {

class StagingDirectory {
public:
    // Creates `.rwe-<purpose>-<target name>-<pid>` beside `target` (removing a stale one).
    StagingDirectory(const std::filesystem::path& target, const std::string& purpose);
    ~StagingDirectory();
    StagingDirectory(const StagingDirectory&) = delete;
    StagingDirectory& operator=(const StagingDirectory&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // Moves every staged file into `target`. Files replace their old versions atomically;
    // a folder (figures/, tables/) replaces the old one whole, so no stale file survives.
    void commit(const std::filesystem::path& target);

private:
    std::filesystem::path path_;
};

}  // namespace rwe
