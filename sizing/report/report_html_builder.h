// The report's HTML as it is written, in either dialect (report_html.h): headings, boxes,
// tables and charts.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sizing/report/report_chart.h"
#include "sizing/report/report_html.h"
#include "sizing/report/report_text.h"

namespace understudy::sizing::report {

struct Html {
    HtmlDialect dialect;
    std::string out;
    std::vector<Chart> charts;

    bool browser() const { return dialect == HtmlDialect::browser; }
    Html& operator<<(const std::string& text) {
        out += text;
        return *this;
    }
    void heading(const std::string& text, bool newPage = false) {
        out += newPage && !browser() ? "<h2 style=\"page-break-before: always\">" : "<h2>";
        out += htmlEscape(text) + "</h2>\n";
    }
    void openBox(const char* kind) {
        if (browser()) {
            out += std::string("<div class=\"box ") + kind + "\">\n";
            return;
        }
        const std::string fill = std::string(kind) == "ok"    ? "#eaf6f0"
                                 : std::string(kind) == "bad" ? "#fdecea"
                                                              : "#fff8e1";
        out +=
            "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"8\" border=\"0\"><tr><td "
            "bgcolor=\"" +
            fill + "\">\n";
    }
    void closeBox() { out += browser() ? "</div>\n" : "</td></tr></table>\n"; }
    struct Column {
        std::string name;
        bool numeric = false;
        int width_percent = 0;  // 0: as the content needs
    };
    void openTable(const std::vector<Column>& header) {
        out += browser() ? "<table class=\"data\">"
                         : "<table class=\"data\" width=\"100%\" cellspacing=\"0\" "
                           "cellpadding=\"3\" border=\"1\" style=\"border-collapse: collapse; "
                           "border-color: #cfd6de; border-style: solid\">";
        out += "<thead><tr>";
        for (const Column& column : header) {
            out += column.numeric ? "<th class=\"num\" align=\"right\"" : "<th";
            if (column.width_percent > 0) {
                out += " width=\"" + std::to_string(column.width_percent) + "%\"";
            }
            out += ">" + htmlEscape(column.name) + "</th>";
        }
        out += "</tr></thead>\n<tbody>\n";
    }
    void closeTable() { out += "</tbody></table>\n"; }
    void row(const std::vector<std::string>& cells, const std::vector<bool>& numeric,
             const std::vector<bool>& over = {}) {
        out += "<tr>";
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const bool isNumber = i < numeric.size() && numeric[i];
            const bool isOver = i < over.size() && over[i];
            std::string cls = isNumber ? "num" : "";
            if (isOver) {
                cls += cls.empty() ? "over" : " over";
            }
            out += "<td" + (cls.empty() ? "" : " class=\"" + cls + "\"") +
                   (isNumber ? " align=\"right\"" : "") + ">" + cells[i] + "</td>";
        }
        out += "</tr>\n";
    }
    void chart(Chart chart) {
        if (browser()) {
            out += "<figure class=\"chart\">" +
                   chartToSvg(chart, kBrowserChartWidth, kBrowserChartHeight) + "</figure>\n";
            return;
        }
        char image[96];
        std::snprintf(image, sizeof image,
                      "<p align=\"center\"><img src=\"chart:%zu\" width=\"%.0f\" "
                      "height=\"%.0f\"></p>\n",
                      charts.size(), kPageChartWidth, kPageChartHeight);
        out += image;
        charts.push_back(std::move(chart));
    }
};

}  // namespace understudy::sizing::report
