#include "gui/app/help_dialog.h"

#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace understudy::gui {

namespace {

QString helpHtml() {
    return HelpDialog::tr(R"(
<h2>understudy-console</h2>
<p>Offline, it sizes a fleet file (File › Open, Ctrl+O) and lets you play with it in the
what-if. Online (File › Connect, Ctrl+K), it follows an understudyd: Dashboard, Nodes,
Timeline and Events, live. Ctrl+1 … Ctrl+6 go to the tabs; Service › and the Nodes toolbar hold
the actions (Take over Ctrl+Alt+T, Release Ctrl+Alt+L, Fence Ctrl+Alt+F). In the Events tab a
double-click opens an event in plain words.</p>
<p>When the service does not answer, the views turn grey and say <i>Not live — data as of
HH:MM:SS</i>: they show what the service said then, and every action waits until it is back.</p>
<h3>Glossary</h3>
<dl>
<dt><b>Appliance</b></dt><dd>A host that runs the passive nodes of many clusters.</dd>
<dt><b>Standby footprint</b></dt><dd>The vCPUs and memory a passive node holds while its
cluster runs elsewhere.</dd>
<dt><b>Active footprint</b></dt><dd>What it grows to when it takes over.</dd>
<dt><b>Takeover</b></dt><dd>A passive node growing to its active footprint because its cluster
failed over to it.</dd>
<dt><b>Grant</b></dt><dd>What a node was given at takeover <i>over its standby footprint</i>
(active − standby), held until it is released. Shown as "+8 vCPUs · 44 GiB" everywhere.</dd>
<dt><b>Release</b></dt><dd>Shrinking back to standby; the grant returns to the free capacity.</dd>
<dt><b>Denial</b></dt><dd>A takeover refused because the grant does not fit in what is
free, even after preemption.</dd>
<dt><b>Preemption</b></dt><dd>A takeover of lower priority shrunk back to standby to make room
for one of higher priority; it is restored when capacity returns.</dd>
<dt><b>Partial CPU</b></dt><dd>A takeover granted all its memory but fewer vCPUs, within the
CPU overcommit.</dd>
<dt><b>Fencing</b></dt><dd>Powering a node off, on, or rebooting it, so that a failed node cannot
write to shared data.</dd>
<dt><b>Free</b></dt><dd>Usable capacity − foreign domains − standby footprints − grants.</dd>
<dt><b>Overbooking</b></dt><dd>The sum of the active footprints over the usable capacity,
written "1.27 ×": above 1 × not every cluster can be active at once.</dd>
<dt><b>Overflow risk (steady state)</b></dt><dd>The long-run share of time during which the
clusters failed over at once would need more than the capacity, from each cluster's MTBF and
MTTR (the sizing engine). Written "1 in 350"; the exact value is in the tooltip.</dd>
<dt><b>Denial risk (now)</b></dt><dd>The chance that, from the state of now, a cluster that is
not active fails within the horizon and is denied.</dd>
<dt><b>Target</b></dt><dd>The overflow risk the fleet must stay under, e.g. "1 in 10,000"
(0.0001); admission refuses a cluster that would break it.</dd>
<dt><b>Admission</b></dt><dd>The check a new or grown cluster goes through before the service
accepts it.</dd>
<dt><b>Appliance states</b></dt><dd><i>connected</i>; <i>unreachable</i> (not known to be off;
its nodes' requests fail); <i>lost</i> (declared off; its standby nodes are moved to the
others).</dd>
</dl>
<p>More: understudy-console(1), understudyctl(1) and the project's docs/.</p>
)");
}

}  // namespace

QString consoleVersionText() {
    return QStringLiteral("understudy-console %1").arg(QStringLiteral(UNDERSTUDY_VERSION));
}

HelpDialog::HelpDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("helpDialog"));
    setWindowTitle(tr("understudy-console help"));
    auto* layout = new QVBoxLayout(this);
    page_ = new QTextBrowser(this);
    page_->setObjectName(QStringLiteral("helpPage"));
    page_->setHtml(helpHtml());
    layout->addWidget(page_, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    const int unit = fontMetrics().averageCharWidth();
    resize(unit * 90, fontMetrics().height() * 40);
}

}  // namespace understudy::gui
