#include "gui/widgets/console_settings.h"

namespace understudy::gui {

QSettings consoleSettings() {
    return QSettings(QStringLiteral("Understudy"), QStringLiteral("understudy-console"));
}

}  // namespace understudy::gui
