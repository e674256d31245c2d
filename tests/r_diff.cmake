# Differential test against R survival (docs/methods.md §6): 150 seeded random
# datasets, each analysed by rwe km/logrank/cox and by R; every reported number compared.
# `make check-r` runs many thousands. Skipped (exit 77) only when Rscript or the survival
# package is absent; `make test` installs them (r-base-core, r-cran-survival).
add_test(NAME r_diff
         COMMAND python3 "${CMAKE_CURRENT_SOURCE_DIR}/r_diff/r_diff.py" --rwe "$<TARGET_FILE:rwe>"
                 --datasets 150 --seed 20261128)
set_tests_properties(r_diff PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
