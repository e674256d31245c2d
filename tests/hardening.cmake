# Issue 18 (hardening): output folders and temporary files under interruptions, full disks
# and odd folders (tests/hardening_outputs.py, docs/output-folders.md), and bad input that
# must end in a message with exit status 1 or 2 (tests/hardening_inputs.py).
add_test(NAME hardening_outputs
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/hardening_outputs.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/hardening_outputs)
set_tests_properties(hardening_outputs PROPERTIES TIMEOUT 600)
add_test(NAME hardening_inputs
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/hardening_inputs.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/hardening_inputs)
set_tests_properties(hardening_inputs PROPERTIES TIMEOUT 600)
