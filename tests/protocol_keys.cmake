# Every key docs/protocols.md documents changes the output of `rwe run` or is rejected
# with file:line: key: problem (tests/protocol_keys.py; base protocol in
# tests/data/study/keys/). A key documented without a case fails the test.
add_test(NAME protocol_keys
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/protocol_keys.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/protocol_keys)
set_tests_properties(protocol_keys PROPERTIES TIMEOUT 900)
