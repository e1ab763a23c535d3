// The console's actions: named, so tests and the shortcut list find them, with their tip both
// as tooltip and in the status bar.
#pragma once

#include <QKeySequence>
#include <QString>

class QAction;
class QObject;

namespace understudy::gui {

QAction* consoleAction(QObject* parent, const char* name, const QString& text,
                       const QKeySequence& shortcut, const QString& tip);

}  // namespace understudy::gui
