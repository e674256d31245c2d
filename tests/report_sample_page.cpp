// Writes the sample report page (tests/report_sample.hpp) and the ids of its figures and
// tables, for the browser check: report_sample_page OUT_DIR
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report_sample.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/html_page.hpp"
#include "rwe/report/table_writers.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: report_sample_page OUT_DIR\n";
        return 2;
    }
    try {
        const std::filesystem::path out = argv[1];
        std::filesystem::create_directories(out);
        rwe::report::HtmlPage page = rwe::report::sample::page();
        rwe::report::write_file_atomic(out / "report.html", rwe::report::html_page(page));
        std::string ids;
        for (const std::string& id : rwe::report::sample::page_block_ids()) ids += id + "\n";
        rwe::report::write_file_atomic(out / "expected_ids.txt", ids);
        // The figures as files too, for looking at them.
        for (const auto& section : page.sections)
            for (const auto& block : section.blocks)
                if (const auto* figure = std::get_if<rwe::report::FigureBlock>(&block))
                    rwe::report::write_figure(figure->figure, out / figure->id);
        std::vector<rwe::report::Table> tables;
        for (const auto& section : page.sections)
            for (const auto& block : section.blocks)
                if (const auto* table = std::get_if<rwe::report::Table>(&block)) tables.push_back(*table);
        rwe::report::write_xlsx(tables, out / "tables.xlsx");
        std::cout << (out / "report.html").string() << "\n";
    } catch (const std::exception& error) {
        std::cerr << "report_sample_page: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
