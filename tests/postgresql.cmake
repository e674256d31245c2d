# rwe against a real PostgreSQL server (docs/registry.md, "PostgreSQL"): a ctest fixture
# starts a throwaway server (tests/postgresql_server.sh: Debian's binaries, a temporary
# folder, a free loopback port, an unprivileged user) before the tests that need it and
# stops it after them, whatever their outcome. Without the server binaries the start
# fails with a message saying how to install them, and the tests that need it are not run
# — which ctest counts as failures.
set(RWE_POSTGRESQL_STATE ${CMAKE_CURRENT_BINARY_DIR}/postgresql/server.env)
add_test(NAME postgresql_server_start
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/postgresql_server.sh start ${RWE_POSTGRESQL_STATE})
set_tests_properties(postgresql_server_start PROPERTIES FIXTURES_SETUP postgresql TIMEOUT 120)
add_test(NAME postgresql_server_stop
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/postgresql_server.sh stop ${RWE_POSTGRESQL_STATE})
set_tests_properties(postgresql_server_stop PROPERTIES FIXTURES_CLEANUP postgresql TIMEOUT 60)

# Every shipped protocol on its demo registry: results.json identical on SQLite and
# PostgreSQL apart from the recorded source, the ADaM datasets and exports byte-identical.
add_test(NAME postgresql_study
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/postgresql_study.sh $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/postgresql_study ${RWE_POSTGRESQL_STATE})
# Import all or nothing (bad registry, killed process, lost connection), --replace,
# credentials never shown, connection errors.
add_test(NAME postgresql_import
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/postgresql_import.sh $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/postgresql_import ${RWE_POSTGRESQL_STATE})
set_tests_properties(postgresql_study postgresql_import PROPERTIES FIXTURES_REQUIRED postgresql TIMEOUT 600)

# The store boundary's PostgreSQL engine in C++ (read-only connection, errors).
add_executable(postgresql_store_check postgresql_store_check.cpp)
target_link_libraries(postgresql_store_check PRIVATE rwe::registry PkgConfig::LIBPQ GTest::gtest GTest::gtest_main)
target_compile_definitions(postgresql_store_check PRIVATE RWE_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
                           RWE_POSTGRESQL_STATE="${RWE_POSTGRESQL_STATE}")
add_test(NAME postgresql_store_check COMMAND postgresql_store_check)
set_tests_properties(postgresql_store_check PROPERTIES FIXTURES_REQUIRED postgresql TIMEOUT 300)

# A coordinator and two shard servers (scripts/pg_cluster.sh, postgres_fdw foreign
# partitions by hash of the patient): the reference registry's protocols give the same
# results as on SQLite. The test starts and stops its own three servers.
add_test(NAME postgresql_cluster
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/postgresql_cluster.sh $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/postgresql_cluster)
set_tests_properties(postgresql_cluster PROPERTIES TIMEOUT 600)
