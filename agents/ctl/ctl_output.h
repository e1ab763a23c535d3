// How understudyctl shows things to people: aligned tables, memory with units, risks as "1 in N",
// and errors as one readable block; and its exit codes (understudyctl(1), EXIT STATUS: 0 done, 1
// refused or denied, 2 bad usage or input, 3 not allowed, 4 not found, 5 unreachable, timed out or
// failing).
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <vector>

#include "appliance/client/api_error.h"
#include "appliance/client/api_types.h"

namespace understudy::agents {

enum ExitCode : int {
    kExitDone = 0,
    kExitRefused = 1,
    kExitUsage = 2,
    kExitNotAllowed = 3,
    kExitNotFound = 4,
    kExitUnavailable = 5,
};

// 409 → 1; 400 and the other 4xx (405, 413, 414, ...) → 2; 401/403 → 3; 404 → 4; 5xx, no
// answer, a timeout or an unreadable answer → 5. Client-side input problems (an invalid URL,
// a file that cannot be written) → 2.
int exitCodeFor(const client::ApiError& error);

// 512 MiB, 2 GiB, 1.5 GiB, 4 TiB: whole units without decimals, otherwise one decimal.
QString formatMemory(qint64 mib);
// "8 vCPUs" / "1 vCPU", or formatMemory for "memory_mib".
QString formatAmount(const QString& resource, qint64 amount);
// 0 as "0", anything else as "1 in 350" (sizing::riskInWords), as the console writes it.
QString formatRisk(double risk);
QString formatHours(double hours);
QString yesNo(bool value);
// "4 vCPUs, 8 GiB".
QString formatFootprint(const client::Footprint& footprint);
// A grant, as the console writes it: what a node holds above its standby footprint, "+16 GiB".
QString formatGrantAmount(const QString& resource, qint64 overStandby);
// ISO 8601 with milliseconds, or "-" for none.
QString formatTime(const QDateTime& time);
// "-" for an empty text.
QString orDash(const QString& text);
// One line of JSON.
QString compactJson(const QJsonObject& object);

// Columns padded to their widest cell, two blanks apart, no trailing blanks.
class Table {
public:
    explicit Table(QStringList headers) : headers_(std::move(headers)) {}
    void addRow(QStringList cells) { rows_.push_back(std::move(cells)); }
    // Right-aligns a column (numbers).
    void alignRight(int column) { right_.push_back(column); }
    bool isEmpty() const { return rows_.empty(); }
    // Every line ends with '\n'; `indent` goes before each.
    QString render(const QString& indent = {}) const;

private:
    QStringList headers_;
    std::vector<QStringList> rows_;
    std::vector<int> right_;
};

// "label  value" lines with the labels padded to one width.
QString keyValues(const std::vector<std::pair<QString, QString>>& pairs,
                  const QString& indent = {});

// The error for people: the service's message, then the denial (resource, needed, free,
// holders), the admission refusal (risks against the target, unservable clusters), or the
// field, state, limit or correlation id, as the error carries them.
QString describeError(const client::ApiError& error);

}  // namespace understudy::agents
