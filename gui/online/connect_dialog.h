// File > Connect…: the service's URL and an admin token. The URL is remembered in QSettings,
// the token (when "Remember" is ticked) in the TokenStore, never in QSettings.
#pragma once

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace understudy::gui {

class TokenStore;

class ConnectDialog : public QDialog {
    Q_OBJECT
public:
    ConnectDialog(TokenStore* tokens, const QString& url, QWidget* parent = nullptr);

    QUrl url() const;
    QByteArray token() const;
    bool remember() const;
    // Why the last attempt failed, above the buttons. A refused token is emptied from the field
    // and no remembered token fills it again.
    void showProblem(const QString& text, bool tokenRefused);
    QLineEdit* urlEdit() const { return url_; }
    QLineEdit* tokenEdit() const { return token_; }
    QLabel* problemLabel() const { return error_; }
    void accept() override;

private:
    void loadToken();

    TokenStore* tokens_;
    QLineEdit* url_ = nullptr;
    QLineEdit* token_ = nullptr;
    QCheckBox* remember_ = nullptr;
    QLabel* note_ = nullptr;
    QLabel* error_ = nullptr;
    bool tokenRefused_ = false;
};

// The URL as typed, with http:// added when no scheme was given; invalid when it cannot be one.
QUrl serviceUrlFromText(const QString& text);

}  // namespace understudy::gui
