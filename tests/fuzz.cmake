# A short libFuzzer run of the CSV reader, the registry validator and the protocol parser
# (fuzz/), as part of
# `make test`. Included by tests/CMakeLists.txt, this file adds the ctest entry; run by
# that entry with `cmake -P`, it configures and builds the fuzz targets with clang in
# <build>/fuzz-clang (incremental after the first run) and fuzzes each for a few seconds,
# starting from the seed corpora in fuzz/corpus. Not added when clang++ is missing.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  find_program(RWE_CLANGXX clang++)
  if(NOT RWE_CLANGXX)
    message(STATUS "clang++ not found: the fuzz smoke test (registry_fuzz_smoke) is not added")
    return()
  endif()
  add_test(NAME registry_fuzz_smoke
           COMMAND ${CMAKE_COMMAND} -DRWE_SOURCE_DIR=${PROJECT_SOURCE_DIR} -DRWE_FUZZ_BUILD=${PROJECT_BINARY_DIR}/fuzz-clang
                   -DRWE_CLANGXX=${RWE_CLANGXX} -DRWE_FUZZ_SECONDS=30 -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(registry_fuzz_smoke PROPERTIES TIMEOUT 1800 RUN_SERIAL TRUE)
  return()
endif()

cmake_policy(SET CMP0007 NEW)  # list entries may be empty (a target without a dictionary)
if(NOT EXISTS ${RWE_FUZZ_BUILD}/CMakeCache.txt)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${RWE_SOURCE_DIR} -B ${RWE_FUZZ_BUILD} -DCMAKE_CXX_COMPILER=${RWE_CLANGXX}
                          -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRWE_BUILD_FUZZ=ON -DRWE_BUILD_TESTS=OFF
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "configuring the fuzz build failed")
  endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${RWE_FUZZ_BUILD} -j 2 --target csv_reader_fuzz registry_validator_fuzz protocol_fuzz
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building the fuzz targets failed")
endif()

# The corpus grows in the build folder; the committed seeds stay untouched.
math(EXPR csv_seconds "${RWE_FUZZ_SECONDS} / 5")
math(EXPR protocol_seconds "${RWE_FUZZ_SECONDS} * 2 / 5")
math(EXPR registry_seconds "${RWE_FUZZ_SECONDS} - ${csv_seconds} - ${protocol_seconds}")
foreach(pair "csv_reader_fuzz;csv;${csv_seconds};" "registry_validator_fuzz;registry;${registry_seconds};"
             "protocol_fuzz;protocol;${protocol_seconds};-dict=${RWE_SOURCE_DIR}/fuzz/protocol.dict")
  list(GET pair 0 target)
  list(GET pair 1 corpus)
  list(GET pair 2 seconds)
  list(GET pair 3 dictionary)
  set(work ${RWE_FUZZ_BUILD}/corpus-${corpus})
  file(MAKE_DIRECTORY ${work})
  execute_process(COMMAND ${RWE_FUZZ_BUILD}/fuzz/${target} -max_total_time=${seconds} -timeout=10 -rss_limit_mb=2048
                          -print_final_stats=1 -artifact_prefix=${RWE_FUZZ_BUILD}/ ${dictionary} ${work}
                          ${RWE_SOURCE_DIR}/fuzz/corpus/${corpus}
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${target} found a failure (see the crash- file in ${RWE_FUZZ_BUILD})")
  endif()
endforeach()
