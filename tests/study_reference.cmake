# The reference study on the 228-patient synthetic registry: the paper's figures within
# sampling error, and report.html checked in headless Chromium (tests/study_reference.sh).
add_test(NAME study_reference
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/study_reference.sh $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/study_reference)
set_tests_properties(study_reference PROPERTIES TIMEOUT 300)
