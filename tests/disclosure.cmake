# Small-cell suppression of everything rwe run publishes: results.json, CSV, XLSX and the
# report page against the unsuppressed run, and a recovery attack on every suppressed cell
# (tests/disclosure_outputs.py, docs/report.md).
add_test(NAME disclosure_outputs
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/disclosure_outputs.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/disclosure_outputs)
set_tests_properties(disclosure_outputs PROPERTIES TIMEOUT 600)
