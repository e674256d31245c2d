# rwe cox against R's Cox and cox.zph values (../shared/golden), through the command line.
# pbc's log(bili) etc. are passed as log(column) covariates, which rwe cox accepts.
add_test(NAME golden_cox
         COMMAND python3 "${RWE_SHARED_DIR}/tools/compare_golden.py" --rwe "$<TARGET_FILE:rwe>"
                 --kind cox --sets lung,veteran,aml,ovarian,pbc)
set_tests_properties(golden_cox PROPERTIES TIMEOUT 300)
