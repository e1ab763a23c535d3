// Help › Contents (F1): how to get around the console and what its words mean, the glossary
// the views, the reports and understudyctl share (understudy-console(1)).
#pragma once

#include <QDialog>

class QTextBrowser;

namespace understudy::gui {

class HelpDialog : public QDialog {
    Q_OBJECT
public:
    explicit HelpDialog(QWidget* parent = nullptr);
    QTextBrowser* page() const { return page_; }

private:
    QTextBrowser* page_ = nullptr;
};

// "understudy-console 1.4.0".
QString consoleVersionText();

}  // namespace understudy::gui
