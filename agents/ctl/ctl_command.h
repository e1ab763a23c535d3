// understudyctl: the command line for everything the API offers (understudyctl(1)).
#pragma once

#include <QProcessEnvironment>
#include <QStringList>
#include <QTextStream>

#include "agents/ctl/ctl_settings.h"
#include "base/result.h"

namespace understudy::agents {

struct CommandLine {
    GlobalOptions global;
    QStringList words;  // the command and what follows it, global options taken out
};

// Global options may stand anywhere (before or after the command); "--" ends them.
Result<CommandLine> parseCommandLine(const QStringList& arguments);

QString ctlUsage();

// Runs one invocation (arguments without the program name) and gives its exit code. Needs a
// QCoreApplication. Tables and answers go to `out`, errors and warnings to `err`.
int runCtl(const QStringList& arguments, const QProcessEnvironment& environment, QTextStream& out,
           QTextStream& err);

}  // namespace understudy::agents
