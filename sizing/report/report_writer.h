// The sizing reports for people (understudy-size(1), OUTPUT): one self-contained HTML file or an A4
// PDF with the same content. The CSV and JSON exports live in sizing/ itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

class QGuiApplication;

namespace understudy::sizing::report {

enum class ReportFormat { html, pdf };

// A section the caller adds after the answer (the console's what-if on the live fleet): a
// heading, a paragraph and a table, all plain text written as the caller wants it read.
struct ReportSection {
    std::string title;
    std::string text;
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
};

struct ReportOptions {
    std::string title = "Passive-node appliance sizing";
    // The fleet file the result came from, shown under the title; empty: not shown.
    std::string source;
    // When the report was made, as the caller wants it shown ("2026-11-26 06:30 UTC"). Empty:
    // not shown, so the same result always renders to the same bytes.
    std::string generated_at;
    std::vector<ReportSection> sections;
};

// The whole report as one HTML file: inline CSS and SVG charts, no external resource.
std::string renderHtmlReport(const SizingResult& result, const Fleet& fleet,
                             const ReportOptions& options = {});

// Writes the report to path. PDF needs a QGuiApplication (see ensureGuiApplication); without
// one the result is an error, not a crash. Errors: "io" (cannot write path),
// "no_gui_application".
Status writeReport(const SizingResult& result, const Fleet& fleet, ReportFormat format,
                   const std::string& path, const ReportOptions& options = {});

// For command-line tools: creates the QGuiApplication that PDF output needs, on the
// "offscreen" platform unless QT_QPA_PLATFORM says otherwise, so it works over SSH with no
// display (and with a forwarded DISPLAY that does not answer). Returns null when an
// application object exists already; keep the returned object alive while writing.
std::unique_ptr<QGuiApplication> ensureGuiApplication(int& argc, char** argv);

}  // namespace understudy::sizing::report
