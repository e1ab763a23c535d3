#include "tests/support/golden_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

#include "tests/support/source_files.h"

namespace understudy::testsupport {

namespace {

constexpr char kSwitch[] = "UNDERSTUDY_UPDATE_GOLDEN";

// The line (from 1) holding byte `offset`, and up to 60 bytes of each side from there.
QByteArray firstDifference(const QByteArray& expected, const QByteArray& actual) {
    const qsizetype common = std::min(expected.size(), actual.size());
    qsizetype offset = 0;
    while (offset < common && expected[offset] == actual[offset]) {
        ++offset;
    }
    const qsizetype line = expected.left(offset).count('\n') + 1;
    return "first difference at byte " + QByteArray::number(offset) + " (line " +
           QByteArray::number(line) + "): expected \"" + expected.mid(offset, 60) + "\", got \"" +
           actual.mid(offset, 60) + "\" (" + QByteArray::number(expected.size()) +
           " bytes expected, " + QByteArray::number(actual.size()) + " got)";
}

}  // namespace

QByteArray goldenMismatch(const QString& relative, const QByteArray& actual) {
    const QString path = sourcePath(relative);
    if (qEnvironmentVariableIntValue(kSwitch) == 1) {
        writeFile(path, actual);
        qInfo("%s: rewritten (%s=1)", qPrintable(relative), kSwitch);
        return {};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return relative.toUtf8() + ": cannot read the golden file; " + kSwitch +
               "=1 writes it from this output";
    }
    const QByteArray expected = file.readAll();
    if (expected == actual) {
        return {};
    }
    return relative.toUtf8() + " differs from this output: " + firstDifference(expected, actual) +
           ". If the change is intended, rerun with " + kSwitch +
           "=1 to rewrite the file and review its diff.";
}

}  // namespace understudy::testsupport
