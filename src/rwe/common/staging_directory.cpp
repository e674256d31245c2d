#include "rwe/common/staging_directory.hpp"

#include <unistd.h>

#include <string>

namespace rwe {

namespace fs = std::filesystem;

StagingDirectory::StagingDirectory(const fs::path& target, const std::string& purpose)
    : path_(target.parent_path() /
            (".rwe-" + purpose + "-" + target.filename().string() + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
}

StagingDirectory::~StagingDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

void StagingDirectory::commit(const fs::path& target) {
    fs::create_directories(target);
    for (const auto& entry : fs::directory_iterator(path_)) {
        const fs::path destination = target / entry.path().filename();
        if (entry.is_directory() && fs::exists(destination)) fs::remove_all(destination);
        fs::rename(entry.path(), destination);
    }
}

}  // namespace rwe
