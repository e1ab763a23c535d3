// The one-line answer the console shows first: does the appliance meet the risk target?
#pragma once

#include <QString>

#include "sizing/sizing_result.h"

namespace understudy::gui {

enum class Verdict { ok, warning, critical };

struct VerdictText {
    Verdict verdict = Verdict::ok;
    QString headline;  // "Meets the target", "Does not meet the target", …
    QString detail;    // the figures behind it, one line
};

// critical: a resource's overflow risk exceeds the target, or a cluster is unservable.
// warning: the target is met, but with little margin (risk above half the target) or some
// cluster's risk when active breaks it (capacity below the per-cluster requirement).
// ok otherwise. Over every appliance of the result.
VerdictText judge(const sizing::SizingResult& result);

}  // namespace understudy::gui
