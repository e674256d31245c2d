#include "rwe/common/subprocess.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "rwe/common/error.hpp"

extern char** environ;

namespace rwe {

namespace {

// A temporary file for the child's standard error, removed when this goes out of scope.
class StderrFile {
public:
    StderrFile() {
        std::string pattern = (std::filesystem::temp_directory_path() / "rwe-stderr-XXXXXX").string();
        const int fd = mkstemp(pattern.data());
        if (fd < 0) throw IoError("cannot create a temporary file for a program's messages: " + std::string(std::strerror(errno)));
        close(fd);
        path_ = pattern;
    }
    ~StderrFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    StderrFile(const StderrFile&) = delete;
    StderrFile& operator=(const StderrFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

bool program_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr || name.empty() || name.find('/') != std::string::npos) return false;
    std::stringstream folders(path);
    std::string folder;
    while (std::getline(folders, folder, ':')) {
        if (folder.empty()) folder = ".";
        const std::string candidate = folder + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) return true;
    }
    return false;
}

ProgramResult run_program(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& environment,
                          const std::filesystem::path& standard_output) {
    if (argv.empty()) throw UsageError("run_program: no program given");
    StderrFile messages;

    std::vector<std::string> env_text;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry = *e;
        bool replaced = false;
        for (const auto& [name, value] : environment) replaced = replaced || entry.rfind(name + "=", 0) == 0;
        if (!replaced) env_text.push_back(entry);
    }
    for (const auto& [name, value] : environment) env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& arg : args) argp.push_back(arg.data());
    argp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const std::string output = standard_output.empty() ? std::string("/dev/null") : standard_output.string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, messages.path().c_str(), O_WRONLY | O_TRUNC, 0);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        throw IoError(argv[0] + ": cannot run it (" + std::strerror(spawned) +
                      (spawned == ENOENT ? "; not found on PATH" : "") + ")");
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw IoError(argv[0] + ": lost track of the process (" + std::string(std::strerror(errno)) + ")");
    }
    ProgramResult result;
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.exit_status = 128 + WTERMSIG(status);
    std::ifstream in(messages.path(), std::ios::binary);
    result.standard_error.resize(64 * 1024);
    in.read(result.standard_error.data(), static_cast<std::streamsize>(result.standard_error.size()));
    result.standard_error.resize(static_cast<std::size_t>(in.gcount()));
    return result;
}

}  // namespace rwe
