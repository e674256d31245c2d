#include "rwe/common/cleanup.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <charconv>
#include <map>
#include <mutex>
#include <thread>

namespace rwe {

namespace fs = std::filesystem;

namespace {

// Never destroyed: the signal thread may use them while static destructors run.
struct CleanupState {
    std::mutex paths_mutex;
    std::map<std::string, int> paths;  // path → registrations
    std::recursive_mutex shield;       // held by SignalShield; the signal thread waits for it
};

CleanupState& state() {
    static CleanupState* instance = new CleanupState;
    return *instance;
}

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

[[noreturn]] void clean_up_and_die(int signal_number) {
    CleanupState& s = state();
    s.shield.lock();  // let a swap in progress finish; never released
    {
        // The other threads still run: one writing into a folder being removed can add an
        // entry after remove_all has listed it, and the folder stays. Removal is repeated
        // until every path is gone (up to a second; a write into a removed folder fails).
        std::lock_guard lock(s.paths_mutex);
        for (int attempt = 0; attempt < 100; ++attempt) {
            bool left = false;
            for (const auto& [path, count] : s.paths) {
                std::error_code ignored;
                fs::remove_all(path, ignored);
                left = left || fs::exists(fs::symlink_status(path, ignored));
            }
            if (!left) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ::signal(signal_number, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal_number);
    ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(signal_number);
    ::_exit(128 + signal_number);
}

}  // namespace

void start_signal_cleanup() {
    state();
    const sigset_t set = handled_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
        for (;;) {
            int signal_number = 0;
            if (::sigwait(&set, &signal_number) == 0) clean_up_and_die(signal_number);
        }
    }).detach();
}

RemoveOnSignal::RemoveOnSignal(fs::path path) : path_(std::move(path)), registered_(true) {
    std::lock_guard lock(state().paths_mutex);
    ++state().paths[path_.string()];
}

RemoveOnSignal::~RemoveOnSignal() { release(); }

void RemoveOnSignal::release() {
    if (!registered_) return;
    registered_ = false;
    std::lock_guard lock(state().paths_mutex);
    auto it = state().paths.find(path_.string());
    if (it != state().paths.end() && --it->second == 0) state().paths.erase(it);
}

SignalShield::SignalShield() { state().shield.lock(); }
SignalShield::~SignalShield() { state().shield.unlock(); }

bool stale_name(const std::string& name, const std::string& prefix) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    long pid = 0;
    const auto [end, error] = std::from_chars(first, last, pid);
    if (error != std::errc() || end == first || pid <= 0) return false;
    if (end != last && *end != '-') return false;
    if (pid == static_cast<long>(::getpid())) return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::size_t remove_stale(const fs::path& folder, const std::string& prefix) {
    std::size_t removed = 0;
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec) return 0;
    for (const auto& entry : it) {
        if (!stale_name(entry.path().filename().string(), prefix)) continue;
        std::error_code ignored;
        if (fs::remove_all(entry.path(), ignored) > 0) ++removed;
    }
    return removed;
}

}  // namespace rwe
