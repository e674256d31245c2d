#pragma once
// Registry stores for the tests of the store's derivation and counts: registries imported,
// or synthesized then imported, by the rwe binary (RWE_BINARY) into SQLite files under a
// work folder of the test's own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

namespace rwe::test {

// The rwe binary with `arguments`, its output discarded (for std::system).
inline std::string rwe_command(const std::string& arguments) {
    return std::string(RWE_BINARY) + " " + arguments + " > /dev/null 2>&1";
}

// An SQLite store of `registry` in `work`, named `name`.
inline std::string import_store(const std::filesystem::path& work, const std::filesystem::path& registry, const std::string& name) {
    std::filesystem::create_directories(work);
    const std::filesystem::path store = work / (name + ".sqlite");
    std::filesystem::remove(store);
    EXPECT_EQ(std::system(rwe_command("import " + registry.string() + " --db " + store.string()).c_str()), 0) << registry;
    return store.string();
}

// A synthetic registry of `profile` imported into a store in `work`.
inline std::string synthetic_store(const std::filesystem::path& work, const std::string& profile, int patients, int seed) {
    const std::filesystem::path registry = work / (profile + "-" + std::to_string(patients));
    std::filesystem::remove_all(registry);
    EXPECT_EQ(std::system(rwe_command("synth --profile " + profile + " --patients " + std::to_string(patients) + " --seed " +
                                      std::to_string(seed) + " --out " + registry.string())
                              .c_str()),
              0);
    return import_store(work, registry, profile + "-" + std::to_string(patients));
}

// Removes a test's work folder when its tests are done (::testing::AddGlobalTestEnvironment).
class RemoveWork : public ::testing::Environment {
public:
    explicit RemoveWork(std::filesystem::path work) : work_(std::move(work)) {}
    void TearDown() override { std::filesystem::remove_all(work_); }

private:
    std::filesystem::path work_;
};

inline const std::string studies = std::string(RWE_SOURCE_DIR) + "/studies/";      // the shipped protocols
inline const std::string fixtures = std::string(RWE_TEST_DATA_DIR) + "/study/";    // their test registries

}  // namespace rwe::test
