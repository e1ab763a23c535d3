// understudy-size: sizes a passive node appliance for a fleet file (understudy-size(1)).
#include <QGuiApplication>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "base/error_codes.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"
#include "sizing/report/report_writer.h"
#include "sizing/result_csv.h"
#include "sizing/result_json.h"
#include "sizing/size_command.h"

using namespace understudy;
using namespace understudy::sizing;

namespace {

int fail(int status, const Error& error) {
    std::cerr << "understudy-size: " << error.describe() << "\n";
    return status;
}

// Writes atomically enough for a report: to a sibling temporary file, then renamed, so a
// failed write never leaves half a file under the requested name.
Status writeText(const std::string& path, const std::string& text) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) {
            std::remove(temporary.c_str());
            return Error{errc::kIo,
                         "cannot write the result; check the folder exists and has space", path};
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::remove(temporary.c_str());
        return Error{errc::kIo, "cannot write the result; check the folder exists and is writable",
                     path};
    }
    return Done{};
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> arguments(argv + 1, argv + argc);
    auto parsed = parseSizeCommand(arguments);
    if (!parsed) {
        return fail(kExitBadInput, parsed.error());
    }
    const SizeCommand& command = *parsed;
    if (command.help) {
        std::cout << sizeCommandUsage();
        return kExitMeetsTarget;
    }
    if (command.version) {
        std::cout << "understudy-size " << UNDERSTUDY_VERSION << "\n";
        return kExitMeetsTarget;
    }
    auto loaded = loadFleetFile(command.fleet_path, command.groups_path);
    if (!loaded) {
        return fail(kExitBadInput, loaded.error());
    }
    auto fleet = applyOverrides(std::move(*loaded), command);
    if (!fleet) {
        return fail(kExitBadInput, fleet.error());
    }
    std::cerr << "understudy-size: " << fleet->clusters.size() << " clusters, "
              << fleet->groups.size() << " groups, " << fleet->appliances.size()
              << " appliance(s), target risk " << fleet->target_risk << "\n";
    SizingOptions options = sizingOptionsFor(command);
    options.progress = [](const std::string& message) {
        std::cerr << "understudy-size: " << message << "\n";
    };
    const SizingResult result = size(*fleet, options);
    for (const auto& warning : result.warnings) {
        std::cerr << "understudy-size: warning: " << warning << "\n";
    }
    const int status = result.allMeetTarget() ? kExitMeetsTarget : kExitMissesTarget;

    if (command.format == OutputFormat::json || command.format == OutputFormat::csv) {
        const std::string text =
            command.format == OutputFormat::json ? resultToJsonText(result) : resultToCsv(result);
        if (!command.output) {
            std::cout << text << std::flush;
            return std::cout
                       ? status
                       : fail(kExitCannotWrite, Error{errc::kIo, "cannot write to stdout", ""});
        }
        const Status written = writeText(*command.output, text);
        return written ? status : fail(kExitCannotWrite, written.error());
    }
    report::ReportOptions report_options;
    report_options.source = command.fleet_path;
    const auto application = report::ensureGuiApplication(argc, argv);
    const auto format = command.format == OutputFormat::pdf ? report::ReportFormat::pdf
                                                            : report::ReportFormat::html;
    if (!command.output) {
        std::cout << report::renderHtmlReport(result, *fleet, report_options) << std::flush;
        return status;
    }
    const Status written =
        report::writeReport(result, *fleet, format, *command.output, report_options);
    if (!written) {
        return fail(kExitCannotWrite, written.error());
    }
    std::cerr << "understudy-size: wrote " << *command.output << "\n";
    return status;
}
