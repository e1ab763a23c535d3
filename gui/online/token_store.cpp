#include "gui/online/token_store.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTimer>

#ifdef UNDERSTUDY_HAVE_KEYCHAIN
#include <qt6keychain/keychain.h>
#endif

Q_LOGGING_CATEGORY(lcTokens, "understudy.console.tokens", QtInfoMsg)

namespace understudy::gui {

namespace {
const QString kKeyringService = QStringLiteral("understudy-console");
}

TokenStore::TokenStore(QObject* parent) : QObject(parent) {
#ifdef UNDERSTUDY_HAVE_KEYCHAIN
    // Without a session bus the Secret Service cannot be reached, and asking would only time out.
    keyring_ = !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS") &&
               !qEnvironmentVariableIsSet("UNDERSTUDY_CONSOLE_NO_KEYRING");
#endif
}

QString TokenStore::key(const QUrl& url) {
    return url.adjusted(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash).toString();
}

QString TokenStore::tokenFile(const QUrl& url) {
    const QByteArray digest =
        QCryptographicHash::hash(key(url).toUtf8(), QCryptographicHash::Sha256).toHex().left(16);
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation))
        .filePath(QStringLiteral("tokens/%1.token").arg(QString::fromLatin1(digest)));
}

QByteArray TokenStore::loadFile(const QUrl& url) {
    QFile file(tokenFile(url));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.readAll().trimmed();
}

QString TokenStore::saveFile(const QUrl& url, const QByteArray& token) {
    const QString path = tokenFile(url);
    const QString folder = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(folder)) {
        return tr("Could not create %1 to keep the token; check its permissions.").arg(folder);
    }
    QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QSaveFile file(path);
    // Owner-only from the moment it exists: QSaveFile writes a new file, so set them before.
    if (!file.open(QIODevice::WriteOnly) ||
        !file.setPermissions(QFile::ReadOwner | QFile::WriteOwner) ||
        file.write(token) != token.size() || !file.commit()) {
        return tr("Could not write the token to %1: %2.").arg(path, file.errorString());
    }
    return {};
}

void TokenStore::load(const QUrl& url, std::function<void(QByteArray)> done) {
#ifdef UNDERSTUDY_HAVE_KEYCHAIN
    if (keyring_) {
        auto* job = new QKeychain::ReadPasswordJob(kKeyringService, this);
        job->setAutoDelete(true);
        job->setKey(key(url));
        connect(job, &QKeychain::Job::finished, this, [url, done](QKeychain::Job* finished) {
            auto* read = static_cast<QKeychain::ReadPasswordJob*>(finished);
            if (read->error() == QKeychain::NoError) {
                done(read->textData().toUtf8());
                return;
            }
            qCInfo(lcTokens).noquote()
                << "keyring:" << read->errorString() << "- looking for a token file instead";
            done(loadFile(url));
        });
        job->start();
        return;
    }
#endif
    QTimer::singleShot(0, this, [url, done] { done(loadFile(url)); });
}

void TokenStore::save(const QUrl& url, const QByteArray& token, std::function<void(QString)> done) {
#ifdef UNDERSTUDY_HAVE_KEYCHAIN
    if (keyring_) {
        auto* job = new QKeychain::WritePasswordJob(kKeyringService, this);
        job->setAutoDelete(true);
        job->setKey(key(url));
        job->setTextData(QString::fromUtf8(token));
        connect(job, &QKeychain::Job::finished, this, [url, token, done](QKeychain::Job* finished) {
            if (finished->error() == QKeychain::NoError) {
                done({});
                return;
            }
            qCInfo(lcTokens).noquote()
                << "keyring:" << finished->errorString() << "- using a token file";
            done(saveFile(url, token));
        });
        job->start();
        return;
    }
#endif
    const QString error = saveFile(url, token);
    QTimer::singleShot(0, this, [error, done] { done(error); });
}

void TokenStore::forget(const QUrl& url) {
#ifdef UNDERSTUDY_HAVE_KEYCHAIN
    if (keyring_) {
        auto* job = new QKeychain::DeletePasswordJob(kKeyringService, this);
        job->setAutoDelete(true);
        job->setKey(key(url));
        job->start();
    }
#endif
    QFile::remove(tokenFile(url));
}

}  // namespace understudy::gui
