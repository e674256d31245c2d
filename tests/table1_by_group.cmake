# Table 1 by group (docs/protocols.md table1; docs/methods.md §3.7-3.8): the tests, p-values
# and standardized differences against R, and the table's cells as the protocol chose them.
add_test(NAME table1_by_group
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/table1_by_group.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/table1_by_group)
set_tests_properties(table1_by_group PROPERTIES TIMEOUT 600)

# Cox tables (docs/protocols.md cox): multivariable and univariable models, N and events per
# level, a level that cannot be estimated, against R's coxph.
add_test(NAME cox_table
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/cox_table.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/cox_table)
set_tests_properties(cox_table PROPERTIES TIMEOUT 600)
