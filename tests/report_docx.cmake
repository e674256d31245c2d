# The Word report (report.docx, docs/report.md "Word document"): its tables against the
# CSV tables and results.json, read back by a second reader (LibreOffice), the [report]
# settings (docx, csv_bom, csv_ascii) and what happens without pandoc.
add_test(NAME report_docx
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/report_docx.py $<TARGET_FILE:rwe> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/report_docx)
set_tests_properties(report_docx PROPERTIES TIMEOUT 600)
