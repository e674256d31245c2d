# `rwe km` and `rwe logrank` on the R survival datasets, checked field by field against the
# golden JSON by the shared comparison script (1e-9 relative). Needs python3.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME golden_compare_km_logrank
           COMMAND ${Python3_EXECUTABLE} ${RWE_SHARED_DIR}/tools/compare_golden.py --rwe $<TARGET_FILE:rwe>
                   --kind km-logrank --sets lung,veteran,aml,ovarian,pbc)
  set_tests_properties(golden_compare_km_logrank PROPERTIES TIMEOUT 300)
endif()
