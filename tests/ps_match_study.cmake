# Propensity-score matching in a study (docs/protocols.md ps_match; docs/methods.md §8.3,
# §8.9): the matched sets, weights, balance, matched Kaplan–Meier and Cox against R.
add_test(NAME ps_match_study
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/ps_match_study.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/ps_match_study)
set_tests_properties(ps_match_study PROPERTIES TIMEOUT 600)
