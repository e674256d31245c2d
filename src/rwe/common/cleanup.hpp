#pragma once
// Temporary files and folders that rwe owns: removed when the process is interrupted
// (SIGINT, SIGTERM, SIGHUP), and recognised by a later run when the process was killed
// outright (kill -9, power loss). Every such name carries the process id of its writer:
// a later rwe removes the ones whose process no longer runs.

#include <filesystem>
#include <string>

namespace rwe {

// Call first in main(), before any thread starts: SIGINT, SIGTERM and SIGHUP are blocked
// in every thread and taken by one waiting thread, which removes the registered paths and
// then ends the process by the same signal (so the shell sees the usual status).
void start_signal_cleanup();

// A path removed (recursively) if a signal ends the process while it is registered.
class RemoveOnSignal {
public:
    explicit RemoveOnSignal(std::filesystem::path path);
    ~RemoveOnSignal();
    RemoveOnSignal(const RemoveOnSignal&) = delete;
    RemoveOnSignal& operator=(const RemoveOnSignal&) = delete;
    void release();  // the path is no longer temporary (committed) or no longer exists

private:
    std::filesystem::path path_;
    bool registered_ = false;
};

// While one exists, a signal waits: for the few steps that must not be cut in half (the
// swap of an output folder). SIGKILL cannot wait; those steps are written to survive it.
class SignalShield {
public:
    SignalShield();
    ~SignalShield();
    SignalShield(const SignalShield&) = delete;
    SignalShield& operator=(const SignalShield&) = delete;
};

// True when `name` is `<prefix><pid>` or `<prefix><pid>-<anything>` and no process `pid`
// runs on this machine (so the writer of the file or folder is gone).
bool stale_name(const std::string& name, const std::string& prefix);

// Removes the entries of `folder` whose names are stale for `prefix`; returns how many.
// Errors (an unreadable folder, a file removed meanwhile) are ignored: this is tidying.
std::size_t remove_stale(const std::filesystem::path& folder, const std::string& prefix);

}  // namespace rwe
