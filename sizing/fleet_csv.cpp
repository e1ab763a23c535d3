#include "sizing/fleet_file.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <utility>

#include "sizing/fleet_file_detail.h"
#include "sizing/fleet_rules.h"

namespace understudy::sizing {

using namespace detail;

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

struct CsvRecord {
    std::size_t line = 0;  // where the record starts (a quoted cell may span lines)
    std::vector<std::string> cells;
};

bool isBlank(char c) {
    return c == ' ' || c == '\t';
}
bool endsCell(char c) {
    return c == ',' || c == '\n' || c == '\r';
}

Error malformedCsv(const std::string& source, std::size_t line, std::string message) {
    return Error{"malformed_csv", std::move(message), source + ":" + std::to_string(line)};
}

// RFC 4180 records, also accepting LF or CR line ends, blanks around cells, and blank lines.
class CsvSplitter {
public:
    CsvSplitter(std::string_view text, const std::string& source)
        : text_(text),
          source_(source),
          i_(text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0) {}

    Result<std::vector<CsvRecord>> records() {
        std::vector<CsvRecord> records;
        while (i_ < text_.size()) {
            if (Status read = readRecord(records); !read) {
                return read.error();
            }
        }
        return records;
    }

private:
    // Appends the record at the cursor, unless it is a blank line.
    Status readRecord(std::vector<CsvRecord>& records) {
        CsvRecord record;
        record.line = line_;
        bool quoted_any = false;
        while (true) {
            skipBlanks();
            std::string cell;
            if (at('"')) {
                quoted_any = true;
                if (Status read = readQuotedCell(cell); !read) {
                    return read;
                }
            } else if (Status read = readBareCell(cell); !read) {
                return read;
            }
            record.cells.push_back(std::move(cell));
            if (!at(',')) {
                break;
            }
            ++i_;
        }
        if (at('\r')) {
            ++i_;
        }
        if (at('\n')) {
            ++i_;
        }
        ++line_;
        const bool blank = !quoted_any && record.cells.size() == 1 && record.cells[0].empty();
        if (!blank) {
            records.push_back(std::move(record));
        }
        return Done{};
    }

    // From the opening quote; the cell may span lines.
    Status readQuotedCell(std::string& cell) {
        const std::size_t opened_on = line_;
        ++i_;
        while (true) {
            if (i_ >= text_.size()) {
                return malformedCsv(source_, opened_on,
                                    "a quoted cell that starts on this line is never closed; end "
                                    "it with a quote (\")");
            }
            const char c = text_[i_++];
            if (c == '"') {
                if (at('"')) {
                    cell += '"';
                    ++i_;
                    continue;
                }
                break;
            }
            if (c == '\n') {
                ++line_;
            }
            cell += c;
        }
        skipBlanks();
        if (i_ < text_.size() && !endsCell(text_[i_])) {
            return malformedCsv(source_, line_,
                                "text follows a closing quote; inside a quoted cell, write a "
                                "quote as two quotes (\"\")");
        }
        return Done{};
    }

    Status readBareCell(std::string& cell) {
        const std::size_t start = i_;
        while (i_ < text_.size() && !endsCell(text_[i_])) {
            if (text_[i_] == '"') {
                return malformedCsv(source_, line_,
                                    "a quote inside an unquoted cell; quote the whole cell and "
                                    "write each quote in it as two (\"\")");
            }
            ++i_;
        }
        std::size_t end = i_;
        while (end > start && isBlank(text_[end - 1])) {
            --end;
        }
        cell.assign(text_.substr(start, end - start));
        return Done{};
    }

    bool at(char c) const { return i_ < text_.size() && text_[i_] == c; }

    void skipBlanks() {
        while (i_ < text_.size() && isBlank(text_[i_])) {
            ++i_;
        }
    }

    std::string_view text_;
    const std::string& source_;
    std::size_t i_;
    std::size_t line_ = 1;
};

struct CsvTable {
    std::vector<std::string> columns;
    std::vector<CsvRecord> rows;
};

Result<CsvTable> readCsvTable(std::string_view text, const std::string& source,
                              std::span<const std::string_view> mandatory,
                              std::span<const std::string_view> optional_columns,
                              std::string_view what) {
    auto records = CsvSplitter(text, source).records();
    if (!records) {
        return records.error();
    }
    std::vector<std::string_view> known(mandatory.begin(), mandatory.end());
    known.insert(known.end(), optional_columns.begin(), optional_columns.end());
    std::string column_list;
    for (const std::string_view column : mandatory) {
        column_list += (column_list.empty() ? "" : ",") + std::string(column);
    }
    if (records->empty()) {
        return Error{"malformed_csv",
                     "is empty; " + std::string(what) +
                         " starts with a header line naming its columns: " + column_list,
                     source};
    }
    CsvTable table;
    CsvRecord& header = records->front();
    const std::string header_where = source + ":" + std::to_string(header.line) + ": ";
    for (const std::string& column : header.cells) {
        if (std::find(known.begin(), known.end(), column) == known.end()) {
            return invalidField(header_where + printable(column),
                                "is not a column of " + std::string(what) +
                                    unknownNameAdvice(column, known, "columns"));
        }
        if (std::find(table.columns.begin(), table.columns.end(), column) != table.columns.end()) {
            return invalidField(header_where + column,
                                "appears twice in the header; give each column once");
        }
        table.columns.push_back(column);
    }
    for (const std::string_view column : mandatory) {
        if (std::find(table.columns.begin(), table.columns.end(), column) == table.columns.end()) {
            return invalidField(header_where + std::string(column),
                                "is missing from the header; " + std::string(what) +
                                    " needs the columns " + column_list);
        }
    }
    for (std::size_t r = 1; r < records->size(); ++r) {
        CsvRecord& record = (*records)[r];
        if (record.cells.size() != table.columns.size()) {
            return malformedCsv(source, record.line,
                                "has " + std::to_string(record.cells.size()) +
                                    " cells, but the header names " +
                                    std::to_string(table.columns.size()) +
                                    " columns; quote a cell that contains a comma");
        }
        table.rows.push_back(std::move(record));
    }
    return table;
}

// One record of a table, read cell by cell with the same rules as JSON.
class CsvRow {
public:
    CsvRow(const CsvTable& table, const CsvRecord& record, const std::string& source,
           std::string_view what)
        : table_(table), record_(record), source_(source), what_(what) {}

    std::string where(std::string_view column) const {
        return source_ + ":" + std::to_string(record_.line) + ": " + std::string(column);
    }
    // The cell of a column the header must have.
    const std::string& text(std::string_view column) const {
        static const std::string kAbsent;
        const std::string* found = cell(column);
        return found == nullptr ? kAbsent : *found;
    }
    // nullptr when the header does not have the column.
    const std::string* cell(std::string_view column) const {
        const auto it = std::find(table_.columns.begin(), table_.columns.end(), column);
        if (it == table_.columns.end()) {
            return nullptr;
        }
        return &record_.cells[static_cast<std::size_t>(it - table_.columns.begin())];
    }

    std::optional<Error> integer(std::string_view column, const IntegerRule& rule,
                                 std::int64_t& out) const {
        const std::string& text = this->text(column);
        if (text.empty()) {
            return emptyCell(column, rule.expected);
        }
        std::optional<std::int64_t> number;
        std::int64_t whole = 0;
        double real = 0;
        const char* const end = text.data() + text.size();
        if (const auto parsed = std::from_chars(text.data(), end, whole);
            parsed.ec == std::errc{} && parsed.ptr == end) {
            number = whole;
        } else if (const auto parsed_real = std::from_chars(text.data(), end, real);
                   parsed_real.ec == std::errc{} && parsed_real.ptr == end) {
            number = wholeFromReal(real);
        }
        if (!number || !obeys(rule, *number)) {
            return invalidField(where(column), mustBe(rule.expected, quotedText(text)));
        }
        out = *number;
        return std::nullopt;
    }

    std::optional<Error> real(std::string_view column, const RealRule& rule, double& out) const {
        const std::string& text = this->text(column);
        if (text.empty()) {
            return emptyCell(column, rule.expected);
        }
        double value = 0;
        const char* const end = text.data() + text.size();
        const auto parsed = std::from_chars(text.data(), end, value);
        if (parsed.ec != std::errc{} || parsed.ptr != end || !obeys(rule, value)) {
            return invalidField(where(column), mustBe(rule.expected, quotedText(text)));
        }
        out = value;
        return std::nullopt;
    }

    std::optional<Error> name(std::string& out) const {
        const std::string& text = this->text("name");
        if (text.empty()) {
            return emptyCell("name", kNameExpected);
        }
        if (auto error = checkName(text, where("name"))) {
            return error;
        }
        out = text;
        return std::nullopt;
    }

private:
    Error emptyCell(std::string_view column, std::string_view expected) const {
        return invalidField(where(column), "is empty; " + std::string(what_) + " needs " +
                                               std::string(column) + ", " + std::string(expected));
    }

    const CsvTable& table_;
    const CsvRecord& record_;
    const std::string& source_;
    std::string_view what_;
};

std::optional<Error> readCsvCluster(const CsvRow& row, ClusterSpec& cluster) {
    std::int64_t priority = 0;
    std::optional<Error> error = row.name(cluster.name);
    if (!error) {
        error = row.integer("priority", kPriorityRule, priority);
    }
    if (!error) {
        cluster.priority = static_cast<int>(priority);
        error = row.real("mtbf_hours", kMtbfRule, cluster.mtbf_hours);
    }
    if (!error) {
        error = row.real("mttr_hours", kMttrRule, cluster.mttr_hours);
    }
    if (!error) {
        const std::string& group = row.text("group");
        if (!group.empty()) {
            error = checkName(group, row.where("group"));
            cluster.group = group;
        }
    }
    if (!error) {
        error = row.integer("standby_vcpus", kVcpusRule, cluster.standby.vcpus);
    }
    if (!error) {
        error = row.integer("standby_memory_mib", kMemoryRule, cluster.standby.memory_mib);
    }
    if (!error) {
        error = row.integer("active_vcpus", kVcpusRule, cluster.active.vcpus);
    }
    if (!error) {
        error = row.integer("active_memory_mib", kMemoryRule, cluster.active.memory_mib);
    }
    const std::string* mode = row.cell("memory_mode");
    if (!error && mode != nullptr && !mode->empty()) {
        if (const auto parsed = memoryModeFromName(*mode)) {
            cluster.memory_mode = *parsed;
        } else {
            error = invalidField(row.where("memory_mode"),
                                 mustBe(kMemoryModeExpected, quotedText(*mode)));
        }
    }
    if (!error) {
        error = checkActiveCoversStandby(
            cluster, [&row](std::string_view field) { return row.where(csvColumn(field)); });
    }
    return error;
}

}  // namespace

Result<LocatedClusters> detail::readFleetCsv(std::string_view text, const std::string& source) {
    static constexpr std::array<std::string_view, 9> kColumns{
        "name",          "priority",           "mtbf_hours",   "mttr_hours",       "group",
        "standby_vcpus", "standby_memory_mib", "active_vcpus", "active_memory_mib"};
    static constexpr std::array<std::string_view, 1> kOptionalColumns{"memory_mode"};
    auto table = readCsvTable(text, source, kColumns, kOptionalColumns, "a fleet CSV");
    if (!table) {
        return table.error();
    }
    LocatedClusters located;
    located.fleet.clusters.reserve(table->rows.size());
    located.lines.reserve(table->rows.size());
    for (const CsvRecord& record : table->rows) {
        ClusterSpec cluster;
        if (auto error = readCsvCluster(CsvRow(*table, record, source, "a cluster"), cluster)) {
            return *error;
        }
        located.fleet.clusters.push_back(std::move(cluster));
        located.lines.push_back(record.line);
    }
    return located;
}

Result<LocatedGroups> detail::readGroupsCsv(std::string_view text, const std::string& source) {
    static constexpr std::array<std::string_view, 3> kColumns{"name", "mtbf_hours", "mttr_hours"};
    auto table = readCsvTable(text, source, kColumns, {}, "a groups CSV");
    if (!table) {
        return table.error();
    }
    LocatedGroups located;
    for (const CsvRecord& record : table->rows) {
        const CsvRow row(*table, record, source, "a group");
        GroupSpec group;
        std::optional<Error> error = row.name(group.name);
        if (!error) {
            error = row.real("mtbf_hours", kMtbfRule, group.mtbf_hours);
        }
        if (!error) {
            error = row.real("mttr_hours", kMttrRule, group.mttr_hours);
        }
        if (error) {
            return *error;
        }
        located.groups.push_back(std::move(group));
        located.lines.push_back(record.line);
    }
    Fleet groups_only;
    groups_only.groups = located.groups;
    FleetOrigin origin = jsonOrigin(source);
    origin.groups = csvSection(source, located.lines);
    if (auto error = checkReferences(groups_only, origin)) {
        return *error;
    }
    return located;
}

Result<Fleet> parseFleetCsv(std::string_view text, const std::string& source) {
    auto located = readFleetCsv(text, source);
    if (!located) {
        return located.error();
    }
    FleetOrigin origin = jsonOrigin(source);
    origin.clusters = csvSection(source, located->lines);
    origin.groups_given = false;
    if (auto error = checkReferences(located->fleet, origin)) {
        return *error;
    }
    return std::move(located->fleet);
}

Result<std::vector<GroupSpec>> parseGroupsCsv(std::string_view text, const std::string& source) {
    auto located = readGroupsCsv(text, source);
    if (!located) {
        return located.error();
    }
    return std::move(located->groups);
}

}  // namespace understudy::sizing
