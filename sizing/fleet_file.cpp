#include "sizing/fleet_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "base/error_codes.h"
#include "sizing/fleet_file_detail.h"
#include "sizing/fleet_rules.h"

namespace understudy::sizing {

using namespace detail;

namespace {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

Result<std::string> readFile(const std::string& path) {
    errno = 0;
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return Error{errc::kIo,
                     "cannot open the file: " + std::generic_category().message(errno) +
                         "; check the path and its permissions",
                     path};
    }
    std::string content;
    std::array<char, 1 << 16> buffer{};
    while (true) {
        const std::size_t read = std::fread(buffer.data(), 1, buffer.size(), file.get());
        content.append(buffer.data(), read);
        if (read < buffer.size()) {
            if (std::ferror(file.get()) != 0) {
                return Error{errc::kIo,
                             "cannot read the file: " + std::generic_category().message(errno) +
                                 "; check that it is a readable regular file",
                             path};
            }
            break;
        }
    }
    return content;
}

std::string lowercaseExtension(const std::string& path) {
    std::string extension = std::filesystem::path(path).extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return extension;
}

}  // namespace

Result<Fleet> loadFleetFile(const std::string& path,
                            const std::optional<std::string>& groups_csv_path) {
    const std::string extension = lowercaseExtension(path);
    if (extension != ".json" && extension != ".csv") {
        return Error{"unknown_format",
                     "has an extension the sizing engine does not read (\"" + printable(extension) +
                         "\"); give a fleet file ending in .json or .csv",
                     path};
    }
    auto text = readFile(path);
    if (!text) {
        return text.error();
    }
    Fleet fleet;
    FleetOrigin origin = jsonOrigin(path);
    if (extension == ".json") {
        auto parsed = readFleetJson(*text, path);
        if (!parsed) {
            return parsed;
        }
        fleet = std::move(parsed).value();
    } else {
        auto parsed = readFleetCsv(*text, path);
        if (!parsed) {
            return parsed.error();
        }
        fleet = std::move(parsed->fleet);
        origin.clusters = csvSection(path, std::move(parsed->lines));
        origin.groups_given = false;
    }
    if (groups_csv_path) {
        auto groups_text = readFile(*groups_csv_path);
        if (!groups_text) {
            return groups_text.error();
        }
        auto groups = readGroupsCsv(*groups_text, *groups_csv_path);
        if (!groups) {
            return groups.error();
        }
        fleet.groups = std::move(groups->groups);
        origin.groups = csvSection(*groups_csv_path, std::move(groups->lines));
        origin.groups_given = true;
    }
    if (auto error = checkReferences(fleet, origin)) {
        return *error;
    }
    return fleet;
}

}  // namespace understudy::sizing
