// What the console remembers between sessions (window layout, palette, last fleet file and
// export folder, service URL), in one settings store for the whole console.
#pragma once

#include <QSettings>

namespace understudy::gui {

QSettings consoleSettings();

}  // namespace understudy::gui
