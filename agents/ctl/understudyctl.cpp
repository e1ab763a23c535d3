// understudyctl: the command line for the Understudy service (understudyctl(1)).
#include <QCoreApplication>
#include <QProcessEnvironment>
#include <QTextStream>
#include <cstdio>

#include "agents/ctl/ctl_command.h"

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("understudyctl"));
    QTextStream out(stdout);
    QTextStream err(stderr);
    const int code = understudy::agents::runCtl(QCoreApplication::arguments().mid(1),
                                                QProcessEnvironment::systemEnvironment(), out, err);
    out.flush();
    err.flush();
    return code;
}
