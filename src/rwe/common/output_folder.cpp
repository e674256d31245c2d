#include "rwe/common/output_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "rwe/common/error.hpp"

namespace rwe {

namespace fs = std::filesystem;

namespace {

constexpr const char* staging_prefix = ".rwe-staging-";
constexpr const char* journal_name = ".rwe-commit";

std::string message_of(int error_number) { return std::strerror(error_number); }

void sync_path(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// Flushes the whole file system holding `path` (one call for all the staged files).
void sync_file_system(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::syncfs(fd);
    ::close(fd);
}

// A small file written whole and made durable; throws IoError on any failure.
void write_durably(const fs::path& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw IoError(path.string() + ": cannot write (" + message_of(errno) + ")");
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            throw IoError(path.string() + ": cannot write (" + message_of(error) + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) throw IoError(path.string() + ": cannot write (" + message_of(errno) + ")");
}

std::set<std::string> read_lines(const fs::path& path) {
    std::set<std::string> lines;
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) lines.insert(line);
    }
    return lines;
}

std::string join_lines(const std::set<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    return text;
}

bool top_level_bookkeeping(const fs::path& relative) {
    const std::string first = relative.begin()->string();
    return first == OutputFolder::manifest_name || first == journal_name || first.rfind(staging_prefix, 0) == 0;
}

// Files (and symlinks, other non-folders) under `folder`, as relative generic paths.
std::set<std::string> files_under(const fs::path& folder) {
    std::set<std::string> files;
    for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator(); ++it) {
        const fs::path relative = it->path().lexically_relative(folder);
        if (top_level_bookkeeping(relative)) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory() && !it->is_symlink()) continue;
        const std::string name = relative.generic_string();
        if (name.find('\n') != std::string::npos) throw IoError(it->path().string() + ": a file name with a line break");
        files.insert(name);
    }
    return files;
}

// Moves the staged files into `target`, removes the old files the journal lists and puts
// the manifest back last. Each step can be repeated: an interrupted commit is finished by
// running this again on the same staging folder.
void roll_forward(const fs::path& staging, const fs::path& target) {
    for (const std::string& relative : files_under(staging)) {
        const fs::path destination = target / relative;
        fs::path folder = target;
        for (const auto& part : fs::path(relative).parent_path()) {
            folder /= part;
            const auto status = fs::symlink_status(folder);
            if (fs::exists(status) && !fs::is_directory(status)) fs::remove(folder);  // an old file of rwe's (checked)
            if (!fs::exists(status)) fs::create_directory(folder);
        }
        fs::rename(staging / relative, destination);
    }
    for (const std::string& relative : read_lines(staging / journal_name)) {
        std::error_code ignored;
        if (!fs::is_directory(fs::symlink_status(target / relative, ignored))) fs::remove(target / relative, ignored);
    }
    std::error_code ec;
    if (fs::exists(staging / OutputFolder::manifest_name, ec)) {
        fs::rename(staging / OutputFolder::manifest_name, target / OutputFolder::manifest_name);
    }
    sync_path(target);
    fs::remove_all(staging);
}

// `.rwe-staging-<pid>[-<name>]`: the staging folder of a process that is gone.
void tidy_stagings(const fs::path& folder, bool inside_target) {
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec) return;
    std::vector<fs::path> stale;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        if (stale_name(name, staging_prefix)) stale.push_back(entry.path());
        // stagings of rwe 0.x (`.rwe-run-<name>-<pid>`) were never journaled: remove when stale
        for (const char* old : {".rwe-run-", ".rwe-report-"}) {
            const auto dash = name.rfind('-');
            if (name.rfind(old, 0) == 0 && dash != std::string::npos && stale_name(name.substr(dash), "-")) {
                fs::remove_all(entry.path(), ec);
            }
        }
    }
    for (const fs::path& path : stale) {
        const std::string rest = path.filename().string().substr(std::strlen(staging_prefix));
        const auto dash = rest.find('-');
        if (inside_target != (dash == std::string::npos)) continue;
        const fs::path target = inside_target ? folder : folder / rest.substr(dash + 1);
        try {
            if (fs::exists(path / journal_name) && fs::is_directory(target)) {
                roll_forward(path, target);
            } else {
                fs::remove_all(path);
            }
        } catch (const fs::filesystem_error& error) {
            throw IoError(path.string() + ": cannot finish an interrupted output (" + error.code().message() + ")");
        }
    }
}

bool is_mount_point(const fs::path& folder) {
    struct stat own{}, parent{};
    if (::stat(folder.c_str(), &own) != 0 || ::stat(folder.parent_path().c_str(), &parent) != 0) return false;
    return own.st_dev != parent.st_dev || own.st_ino == parent.st_ino;
}

}  // namespace

void tidy_output_folder(const fs::path& target) {
    tidy_stagings(target.parent_path(), false);
    if (fs::is_directory(target)) tidy_stagings(target, true);
}

OutputFolder::OutputFolder(const fs::path& requested, std::set<std::string> format_files) : OutputFolder(requested) {
    format_files_ = std::move(format_files);
    manifest_ = false;
}

OutputFolder::OutputFolder(const fs::path& requested) {
    std::error_code ec;
    target_ = fs::absolute(requested, ec).lexically_normal();
    if (target_.has_relative_path() && !target_.has_filename()) target_ = target_.parent_path();
    if (fs::is_symlink(target_, ec)) target_ = fs::canonical(target_, ec);  // replace the folder it names
    if (fs::exists(target_, ec) && !fs::is_directory(target_, ec)) {
        throw IoError(requested.string() + ": exists and is not a folder");
    }
    const fs::path parent = target_.parent_path();
    fs::create_directories(parent, ec);
    if (!fs::is_directory(parent, ec)) throw IoError(parent.string() + ": cannot create the folder (" + ec.message() + ")");
    tidy_output_folder(target_);

    const std::string pid = std::to_string(::getpid());
    const bool exists = fs::is_directory(target_, ec);
    int error = 0;
    if (!exists || !is_mount_point(target_)) {
        staging_ = parent / (staging_prefix + pid + "-" + target_.filename().string());
        fs::remove_all(staging_, ec);
        if (::mkdir(staging_.c_str(), 0777) != 0) error = errno;
    }
    if (staging_.empty() || error != 0) {
        if (!exists) {
            throw IoError(requested.string() + ": cannot create the folder (" + message_of(error) + " in " + parent.string() + ")");
        }
        staging_ = target_ / (staging_prefix + pid);
        staging_inside_ = true;
        fs::remove_all(staging_, ec);
        if (::mkdir(staging_.c_str(), 0777) != 0) {
            throw IoError(requested.string() + ": cannot write in the folder (" + message_of(errno) + ")");
        }
    }
    remove_on_signal_ = std::make_unique<RemoveOnSignal>(staging_);
}

OutputFolder::~OutputFolder() {
    if (staging_.empty()) return;
    std::error_code ignored;
    fs::remove_all(staging_, ignored);
}

void OutputFolder::commit() {
    try {
        const std::set<std::string> fresh = files_under(staging_);
        const bool exists = fs::is_directory(target_);
        std::set<std::string> owned;
        if (exists) {
            if (manifest_) owned = read_lines(target_ / manifest_name);
            for (const auto& name : format_files_) {
                if (fs::exists(fs::symlink_status(target_ / name))) owned.insert(name);
            }
        }
        // Nothing is changed while a folder of the user's is in the way of a new file, or a
        // file of the user's in the way of a new folder.
        for (const std::string& relative : fresh) {
            fs::path folder;
            for (const auto& part : fs::path(relative).parent_path()) {
                folder /= part;
                const auto status = fs::symlink_status(target_ / folder);
                if (fs::exists(status) && !fs::is_directory(status) && owned.count(folder.generic_string()) == 0) {
                    throw IoError((target_ / folder).string() + ": not a folder, but rwe writes " + relative +
                                  "; move it away (nothing was changed)");
                }
            }
            if (fs::is_directory(fs::symlink_status(target_ / relative))) {
                throw IoError((target_ / relative).string() + ": a folder where rwe writes a file; move it away "
                              "(nothing was changed)");
            }
        }
        if (manifest_) write_durably(staging_ / manifest_name, join_lines(fresh));

        if (!exists) {
            sync_file_system(staging_);
            SignalShield shield;
            fs::rename(staging_, target_);
            remove_on_signal_->release();
            staging_.clear();
            sync_path(target_.parent_path());
            return;
        }
        if (!staging_inside_) {
            // Swap: the user's files are hard-linked into the new folder, which then takes
            // the old one's place in one rename.
            std::vector<fs::path> linked;
            bool swappable = true;
            for (auto it = fs::recursive_directory_iterator(target_); it != fs::recursive_directory_iterator(); ++it) {
                const fs::path relative = it->path().lexically_relative(target_);
                if (top_level_bookkeeping(relative)) {
                    it.disable_recursion_pending();
                    continue;
                }
                if (it->is_directory() && !it->is_symlink()) {
                    fs::create_directories(staging_ / relative);
                    fs::permissions(staging_ / relative, it->status().permissions());
                    continue;
                }
                const std::string name = relative.generic_string();
                if (fresh.count(name) > 0 || owned.count(name) > 0) continue;
                if (::linkat(AT_FDCWD, it->path().c_str(), AT_FDCWD, (staging_ / relative).c_str(), 0) != 0) {
                    swappable = false;
                    break;
                }
                linked.push_back(staging_ / relative);
            }
            if (swappable) {
                fs::permissions(staging_, fs::status(target_).permissions());
                sync_file_system(staging_);
                SignalShield shield;
                if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
                    // the old folder now has the staging name (still removed on a signal)
                    sync_path(target_.parent_path());
                    fs::remove_all(staging_);
                    remove_on_signal_->release();
                    staging_.clear();
                    return;
                }
            }
            for (const fs::path& path : linked) fs::remove(path);
        }
        // Journal: the files are moved in one at a time; the next rwe finishes an
        // interrupted move (tidy_output_folder).
        std::set<std::string> obsolete;
        for (const auto& name : owned) {
            if (fresh.count(name) == 0) obsolete.insert(name);
        }
        sync_file_system(staging_);
        write_durably(staging_ / journal_name, join_lines(obsolete));
        SignalShield shield;
        remove_on_signal_->release();  // from here on, a signal waits and a kill is rolled forward
        if (manifest_) fs::remove(target_ / manifest_name);
        roll_forward(staging_, target_);
        staging_.clear();
    } catch (const fs::filesystem_error& error) {
        throw IoError(target_.string() + ": cannot write the output (" + error.code().message() + ": " +
                      error.path1().string() + ")");
    }
}

}  // namespace rwe
