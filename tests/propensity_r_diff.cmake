# Differential test of rwe propensity against R glm and MatchIt::matchit(method = "nearest")
# (docs/methods.md §8): 40 seeded random data sets. Skipped (exit 77) when Rscript or
# jsonlite is absent. With MatchIt older than 4.5.4 (Debian 12 ships 4.5.1, whose
# nearest-neighbour matching ignores calipers) only the glm fits are compared, and it says so;
# R_LIBS may point to a newer MatchIt.
add_test(NAME propensity_r_diff
         COMMAND python3 "${CMAKE_CURRENT_SOURCE_DIR}/r_diff/propensity_diff.py" --rwe "$<TARGET_FILE:rwe>"
                 --datasets 40 --seed 20261128)
set_tests_properties(propensity_r_diff PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
