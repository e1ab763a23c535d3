// The report's content, once, as HTML in two dialects: a browser file, and the rich-text
// subset QTextDocument lays out onto PDF pages.
#pragma once

#include <string>
#include <vector>

#include "sizing/report/report_chart.h"
#include "sizing/report/report_writer.h"

namespace understudy::sizing::report {

enum class HtmlDialect {
    browser,      // inline CSS, inline SVG charts
    qt_rich_text  // charts as <img src="chart:N">, drawn from charts[N]; page breaks for A4
};

struct ReportHtml {
    std::string html;
    std::vector<Chart> charts;  // qt_rich_text only
};

// Chart sizes in CSS pixels: two side by side in a browser, one per width on A4.
inline constexpr double kBrowserChartWidth = 480;
inline constexpr double kBrowserChartHeight = 280;
inline constexpr double kPageChartWidth = 640;
inline constexpr double kPageChartHeight = 250;

ReportHtml buildReportHtml(const SizingResult& result, const Fleet& fleet,
                           const ReportOptions& options, HtmlDialect dialect);

// The question and the answer in one sentence each, as the report opens.
std::string reportQuestion(const SizingResult& result, const Fleet& fleet);
std::vector<std::string> reportAnswers(const SizingResult& result);

// The rich-text style sheet for the qt_rich_text dialect.
const char* pageStyleSheet();

}  // namespace understudy::sizing::report
