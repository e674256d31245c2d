# Both study protocols, rewritten in the protocol language, against the results of the
# code before the change on the demo registry and a 10,000-patient synthetic one
# (tests/study_baseline.py).
add_test(NAME study_baseline
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/study_baseline.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/study_baseline)
set_tests_properties(study_baseline PROPERTIES TIMEOUT 600)
