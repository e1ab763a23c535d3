// The A4 PDF rendering of the report (Qt: QTextDocument laid out onto QPdfWriter pages).
#pragma once

#include <string>

#include "sizing/report/report_writer.h"

namespace understudy::sizing::report {

// Needs a QGuiApplication; writeReport checks for one before calling this.
Status writePdfReport(const SizingResult& result, const Fleet& fleet, const ReportOptions& options,
                      const std::string& path);

}  // namespace understudy::sizing::report
