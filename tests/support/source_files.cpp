#include "tests/support/source_files.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace understudy::testsupport {

QString sourcePath(const QString& relative) {
    return qEnvironmentVariable("UNDERSTUDY_SOURCE_DIR") + u'/' + relative;
}

QByteArray readSourceFile(const QString& relative) {
    QFile file(sourcePath(relative));
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(file.fileName()));
    }
    return file.readAll();
}

void writeFile(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(content) != content.size()) {
        qFatal("cannot write %s", qPrintable(path));
    }
}

}  // namespace understudy::testsupport
