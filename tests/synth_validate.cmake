# `rwe synth` output passes `rwe validate` (exit 0, no errors): 2,280 eligible patients
# (+ 228 to exclude) with two seeds for thp-her2-mbc, one for every other shipped profile.
# Included by tests/CMakeLists.txt, this file adds the ctest entry; run by that entry with
# `cmake -P`, it generates and validates.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  add_test(NAME synth_validate
           COMMAND ${CMAKE_COMMAND} -DRWE=$<TARGET_FILE:rwe> -DOUT=${CMAKE_CURRENT_BINARY_DIR}/synth_validate
                   -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(synth_validate PROPERTIES TIMEOUT 120)
  return()
endif()

foreach(run thp-her2-mbc:1 thp-her2-mbc:20221001 thp-vs-th:1 nsclc-egfr:1 early-her2-breast:1)
  string(REPLACE ":" ";" parts ${run})
  list(GET parts 0 profile)
  list(GET parts 1 seed)
  file(REMOVE_RECURSE ${OUT})
  execute_process(COMMAND ${RWE} synth --profile ${profile} --patients 2280 --seed ${seed} --out ${OUT}
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "rwe synth failed (${profile}, seed ${seed}, exit ${status})")
  endif()
  execute_process(COMMAND ${RWE} validate ${OUT} RESULT_VARIABLE status OUTPUT_VARIABLE report)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "rwe validate rejected the synthetic registry (${profile}, seed ${seed}, exit ${status}):\n${report}")
  endif()
  string(REGEX MATCH "valid \\(0 errors, [0-9]+ warnings\\)" verdict "${report}")
  message("${profile} seed ${seed}: ${verdict}")
endforeach()
file(REMOVE_RECURSE ${OUT})
