#include "gui/widgets/console_action.h"

#include <QAction>

namespace understudy::gui {

QAction* consoleAction(QObject* parent, const char* name, const QString& text,
                       const QKeySequence& shortcut, const QString& tip) {
    auto* action = new QAction(text, parent);
    action->setObjectName(QString::fromLatin1(name));
    action->setShortcut(shortcut);
    action->setToolTip(tip);
    action->setStatusTip(tip);
    return action;
}

}  // namespace understudy::gui
