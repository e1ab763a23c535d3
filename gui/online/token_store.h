// Where the console keeps the admin token of each service it connected to. The system keyring
// (Secret Service, through QtKeychain) when the console runs in a desktop session that has
// one; otherwise a file only its owner may read (0600) in the console's configuration folder,
// one per service. The token never goes to QSettings or to a log.
#pragma once

#include <QObject>
#include <QString>
#include <QUrl>
#include <functional>

namespace understudy::gui {

class TokenStore : public QObject {
    Q_OBJECT
public:
    explicit TokenStore(QObject* parent = nullptr);

    // Whether a keyring is used (a session bus is there and QtKeychain was built in).
    bool usesKeyring() const { return keyring_; }
    // The file that holds the token of `url` when there is no keyring.
    static QString tokenFile(const QUrl& url);

    // `done` gets the token, or an empty one when none is stored; always on the event loop.
    void load(const QUrl& url, std::function<void(QByteArray)> done);
    // `done` gets an empty string on success, or what went wrong.
    void save(const QUrl& url, const QByteArray& token, std::function<void(QString)> done);
    void forget(const QUrl& url);

private:
    static QString key(const QUrl& url);
    static QByteArray loadFile(const QUrl& url);
    static QString saveFile(const QUrl& url, const QByteArray& token);

    bool keyring_ = false;
};

}  // namespace understudy::gui
