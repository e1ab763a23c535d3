// Files of the source tree (found through UNDERSTUDY_SOURCE_DIR, which CTest sets) and files a
// test writes for the programs it runs.
#pragma once

#include <QByteArray>
#include <QString>

namespace understudy::testsupport {

// `relative` (e.g. "appliance/data/passive-node.xml") under the source tree.
QString sourcePath(const QString& relative);

// The bytes of a file under the source tree; ends the test run when it cannot be read, since
// every test that reads one depends on it.
QByteArray readSourceFile(const QString& relative);

// Writes `content` to `path`, creating its folder; ends the test run when it cannot.
void writeFile(const QString& path, const QByteArray& content);

}  // namespace understudy::testsupport
