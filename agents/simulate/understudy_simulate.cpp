// understudy-simulate: the fleet simulator (understudy-simulate(1)).
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTextStream>
#include <cstdio>

#include "agents/simulate/simulate_command.h"

namespace {

// Installed, understudyctl sits in the same bin folder; in the build tree in agents/ctl/.
QString defaultCtl() {
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString& candidate : {here.filePath(QStringLiteral("understudyctl")),
                                     here.filePath(QStringLiteral("../ctl/understudyctl"))}) {
        if (QFileInfo(candidate).isExecutable()) {
            return QFileInfo(candidate).absoluteFilePath();
        }
    }
    return QStandardPaths::findExecutable(QStringLiteral("understudyctl"));
}

}  // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("understudy-simulate"));
    QTextStream out(stdout);
    QTextStream err(stderr);
    const int code = understudy::simulate::runSimulate(QCoreApplication::arguments().mid(1),
                                                       QProcessEnvironment::systemEnvironment(),
                                                       defaultCtl(), out, err);
    out.flush();
    err.flush();
    return code;
}
