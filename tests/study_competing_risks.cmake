# The cuminc kind on the synthetic registry against R (survfit, cmprsk::cuminc) on the
# analysis datasets rwe writes (tests/study_competing_risks.sh); skipped without R.
add_test(NAME study_competing_risks
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/study_competing_risks.sh $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/study_competing_risks)
set_tests_properties(study_competing_risks PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
