# Target trial emulation in a study (docs/protocols.md target_trial; docs/methods.md §8.7):
# the invariants of cloning and weighting on the demo registry.
add_test(NAME target_trial_study
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/target_trial_study.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/target_trial_study)
set_tests_properties(target_trial_study PROPERTIES TIMEOUT 600)
