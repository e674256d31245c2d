# Planted effects (docs/protocols.md iptw, target_trial, landmark): a synthetic registry
# with a known null effect under confounding and under an immortal-time design; the naive
# comparisons must miss the truth and the adjusted ones hold it in their 95% CI.
add_test(NAME planted_effect_study
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/planted_effect_study.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/planted_effect_study)
set_tests_properties(planted_effect_study PROPERTIES TIMEOUT 600)
