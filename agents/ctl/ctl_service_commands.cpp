// status, check and backup: the service itself rather than what it manages.
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

int CtlSession::status(const QStringList& args) {
    if (auto error = expectArgs(args, 0, 0, QStringLiteral("status"))) {
        return invalid(*error);
    }
    if (json_) {
        return show<client::Health>(client::api::health(), {});
    }
    auto health = client_.callSync(client::api::health());
    if (!health) {
        return fail(health.error());
    }
    out_ << keyValues({{QStringLiteral("service"), url_},
                       {QStringLiteral("status"), health->status},
                       {QStringLiteral("version"), health->version},
                       {QStringLiteral("database"), health->database}});
    // The headroom needs the admin token; with a cluster token the links are all there is.
    auto appliances = client_.callSync(client::api::appliances());
    if (appliances) {
        out_ << '\n';
        printAppliances(*appliances);
    } else if (appliances.error().status == 401 || appliances.error().status == 403) {
        Table table(
            {QStringLiteral("APPLIANCE"), QStringLiteral("STATE"), QStringLiteral("CONNECTED")});
        for (const client::ApplianceLink& link : health->appliances) {
            table.addRow({link.name, link.state, yesNo(link.connected)});
        }
        out_ << '\n' << table.render();
    } else {
        return fail(appliances.error());
    }
    out_.flush();
    return kExitDone;
}

int CtlSession::check(const QStringList& args) {
    if (auto error = expectArgs(args, 0, 0, QStringLiteral("check"))) {
        return invalid(*error);
    }
    auto answer = client_.sendSync(client::api::health(true).request);
    if (!answer) {
        return fail(answer.error());
    }
    auto health = client::decodeBody<client::Health>(answer->body);
    if (!health) {
        return fail(health.error());
    }
    if (json_) {
        printRaw(answer->body);
    } else {
        out_ << keyValues({{QStringLiteral("status"), health->status},
                           {QStringLiteral("version"), health->version},
                           {QStringLiteral("database"), health->database}});
        for (const client::ApplianceLink& link : health->appliances) {
            out_ << QStringLiteral("appliance %1: %2\n").arg(link.name, link.state);
        }
        out_.flush();
    }
    if (health->status != QLatin1String("ok") || health->database != QLatin1String("ok")) {
        err_ << "error: the service is " << health->status << " (database: " << health->database
             << "); see its log for the cause\n";
        err_.flush();
        return kExitUnavailable;
    }
    return kExitDone;
}

// --- backup ----------------------------------------------------------------------------------

int CtlSession::backup(const QStringList& args) {
    if (auto error = expectArgs(args, 1, 1, QStringLiteral("backup FILE"))) {
        return invalid(*error);
    }
    const QFileInfo target(args[0]);
    if (target.isDir()) {
        return invalid(QStringLiteral("%1 is a folder; give the backup's file name").arg(args[0]));
    }
    if (!target.absoluteDir().exists()) {
        return invalid(QStringLiteral("the folder %1 does not exist; create it first")
                           .arg(target.absolutePath()));
    }
    auto written = client_.downloadBackupSync(args[0]);
    if (!written) {
        return fail(written.error());
    }
    if (!json_) {
        out_ << "wrote " << *written << " bytes to " << args[0] << '\n';
    } else {
        QJsonObject object;
        object.insert(QStringLiteral("file"), target.absoluteFilePath());
        object.insert(QStringLiteral("bytes"), *written);
        printRaw(QJsonDocument(object).toJson(QJsonDocument::Compact));
    }
    return kExitDone;
}
}  // namespace understudy::agents
