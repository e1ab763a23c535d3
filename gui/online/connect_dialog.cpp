#include "gui/online/connect_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "appliance/client/api_client.h"
#include "gui/online/token_store.h"

namespace understudy::gui {

QUrl serviceUrlFromText(const QString& text) {
    QString trimmed = text.trimmed();
    if (!trimmed.contains(QLatin1String("://"))) {
        trimmed.prepend(QStringLiteral("http://"));
    }
    QUrl url(trimmed, QUrl::StrictMode);
    const bool usable =
        url.isValid() && !url.host().isEmpty() &&
        (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"));
    return usable ? url : QUrl();
}

ConnectDialog::ConnectDialog(TokenStore* tokens, const QString& url, QWidget* parent)
    : QDialog(parent), tokens_(tokens) {
    setObjectName(QStringLiteral("connectDialog"));
    setWindowTitle(tr("Connect to understudyd"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    url_ = new QLineEdit(url.isEmpty() ? QString::fromLatin1(client::kDefaultUrl) : url, this);
    url_->setObjectName(QStringLiteral("serviceUrl"));
    url_->setPlaceholderText(QString::fromLatin1(client::kDefaultUrl));
    form->addRow(tr("Service &URL"), url_);
    token_ = new QLineEdit(this);
    token_->setObjectName(QStringLiteral("serviceToken"));
    token_->setEchoMode(QLineEdit::Password);
    token_->setPlaceholderText(tr("the admin token (UNDERSTUDY_ADMIN_TOKEN of the service)"));
    form->addRow(tr("Admin &token"), token_);
    remember_ = new QCheckBox(tokens_->usesKeyring() ? tr("&Remember the token in the keyring")
                                                     : tr("&Remember the token"),
                              this);
    remember_->setObjectName(QStringLiteral("rememberToken"));
    remember_->setChecked(true);
    remember_->setToolTip(tokens_->usesKeyring()
                              ? tr("Kept in the desktop's keyring (Secret Service)")
                              : tr("No keyring here: kept in a file only you can read (0600) "
                                   "in the console's configuration folder"));
    form->addRow(QString(), remember_);
    layout->addLayout(form);
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    note_->setEnabled(false);
    layout->addWidget(note_);
    error_ = new QLabel(this);
    error_->setObjectName(QStringLiteral("connectError"));
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("color: #d93f3f; font-weight: bold;"));
    error_->hide();
    layout->addWidget(error_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(fontMetrics().averageCharWidth() * 72);
    connect(url_, &QLineEdit::editingFinished, this, &ConnectDialog::loadToken);
    loadToken();
    token_->setFocus();
}

void ConnectDialog::loadToken() {
    const QUrl url = serviceUrlFromText(url_->text());
    if (!url.isValid() || !token_->text().isEmpty() || tokenRefused_) {
        return;
    }
    tokens_->load(url, [dialog = QPointer<ConnectDialog>(this)](const QByteArray& token) {
        if (dialog != nullptr && !token.isEmpty() && dialog->token_->text().isEmpty() &&
            !dialog->tokenRefused_) {
            dialog->token_->setText(QString::fromUtf8(token));
            dialog->note_->setText(tr("Using the remembered token for this service."));
        }
    });
}

QUrl ConnectDialog::url() const {
    return serviceUrlFromText(url_->text());
}

QByteArray ConnectDialog::token() const {
    return token_->text().trimmed().toUtf8();
}

bool ConnectDialog::remember() const {
    return remember_->isChecked();
}

void ConnectDialog::showProblem(const QString& text, bool tokenRefused) {
    error_->setText(text);
    error_->show();
    if (tokenRefused) {
        tokenRefused_ = true;
        token_->clear();
        note_->clear();
        token_->setFocus();
    } else {
        url_->setFocus();
    }
}

void ConnectDialog::accept() {
    if (!url().isValid()) {
        error_->setText(tr("“%1” is not a service URL; enter one like %2.")
                            .arg(url_->text(), QString::fromLatin1(client::kDefaultUrl)));
        error_->show();
        url_->setFocus();
        return;
    }
    if (token().isEmpty()) {
        error_->setText(
            tr("Enter the service's admin token; the console needs it for every "
               "view."));
        error_->show();
        token_->setFocus();
        return;
    }
    QDialog::accept();
}

}  // namespace understudy::gui
