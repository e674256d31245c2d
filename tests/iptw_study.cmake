# Confounding-adjusted comparisons (docs/protocols.md iptw; docs/methods.md §8.6): the
# propensity model, weights, balance, weighted Kaplan–Meier and Cox against R.
add_test(NAME iptw_study
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/iptw_study.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/iptw_study)
set_tests_properties(iptw_study PROPERTIES TIMEOUT 600)
