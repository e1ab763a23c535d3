// The console's two palettes. The light one is the style's own; the dark one is tuned so that
// disabled text, links, tooltips and the charts' colours keep their contrast.
#pragma once

#include <QPalette>

namespace understudy::gui {

QPalette darkPalette();
// Applies the dark palette, or the one the application started with, to the whole application.
void applyPalette(bool dark);

}  // namespace understudy::gui
