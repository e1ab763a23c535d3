#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

Error usageError(const QString& message) {
    return Error{"usage", message.toStdString(), {}};
}

bool takeValue(const QStringList& words, qsizetype& i, const QString& name,
               std::optional<QString>& value, std::optional<Error>& error) {
    const QString& word = words[i];
    if (word == name) {
        if (i + 1 >= words.size()) {
            error = usageError(QStringLiteral("%1 needs a value").arg(name));
            return true;
        }
        value = words[++i];
        return true;
    }
    if (word.startsWith(name + QLatin1Char('='))) {
        value = word.mid(name.size() + 1);
        return true;
    }
    return false;
}

CtlSession::CtlSession(const CtlSettings& settings, bool json, QTextStream& out, QTextStream& err)
    : client_(clientOptions(settings)),
      url_(settings.url.toString()),
      json_(json),
      out_(out),
      err_(err) {}

int CtlSession::fail(const client::ApiError& error) {
    err_ << describeError(error);
    err_.flush();
    return exitCodeFor(error);
}

int CtlSession::invalid(const Error& error) {
    err_ << "error: " << QString::fromStdString(error.describe()) << '\n';
    if (error.code == "usage") {
        err_ << "Run 'understudyctl --help' for the commands and options.\n";
    }
    err_.flush();
    return kExitUsage;
}

void CtlSession::printRaw(const QByteArray& body) {
    out_ << QString::fromUtf8(body);
    if (!body.isEmpty() && !body.endsWith('\n')) {
        out_ << '\n';
    }
    out_.flush();
}

std::optional<Error> CtlSession::expectArgs(const QStringList& args, qsizetype min, qsizetype max,
                                            const QString& form) {
    if (args.size() < min || args.size() > max) {
        return usageError(QStringLiteral("usage: understudyctl %1").arg(form));
    }
    for (const QString& arg : args) {
        if (arg.startsWith(QStringLiteral("--"))) {
            return usageError(
                QStringLiteral("unknown option %1; usage: understudyctl %2").arg(arg, form));
        }
    }
    return std::nullopt;
}

}  // namespace understudy::agents
