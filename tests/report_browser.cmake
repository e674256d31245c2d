# The sample report page opened in headless Chromium (Debian's chromium, installed by
# `make deps`): every figure and table present and nothing wider than its box, at a
# desktop and a narrow window width. See tests/data/report/browser_check.sh.
add_executable(report_sample_page ${CMAKE_CURRENT_SOURCE_DIR}/report_sample_page.cpp)
target_include_directories(report_sample_page PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(report_sample_page PRIVATE rwe::report)
add_test(NAME report_browser
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/data/report/browser_check.sh
                 $<TARGET_FILE:report_sample_page> ${CMAKE_CURRENT_BINARY_DIR}/report_browser)
set_tests_properties(report_browser PROPERTIES TIMEOUT 180)
