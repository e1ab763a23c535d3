#include "gui/widgets/add_cluster_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "sizing/fleet_file.h"

namespace understudy::gui {

namespace {

QDoubleSpinBox* gibBox(double value, QWidget* parent) {
    auto* box = new QDoubleSpinBox(parent);
    box->setDecimals(2);
    box->setRange(0.0, 1048576.0);
    box->setSingleStep(1.0);
    box->setSuffix(QStringLiteral(" GiB"));
    box->setValue(value);
    return box;
}

QDoubleSpinBox* hoursBox(double value, QWidget* parent) {
    auto* box = new QDoubleSpinBox(parent);
    box->setDecimals(1);
    box->setRange(0.0, 1e9);
    box->setSuffix(QStringLiteral(" h"));
    box->setValue(value);
    return box;
}

QSpinBox* vcpuBox(int value, QWidget* parent) {
    auto* box = new QSpinBox(parent);
    box->setRange(0, static_cast<int>(sizing::kMaxVcpus));
    box->setSuffix(QObject::tr(" vCPUs"));
    box->setValue(value);
    return box;
}

std::int64_t mib(const QDoubleSpinBox* gib) {
    return static_cast<std::int64_t>(std::llround(gib->value() * 1024.0));
}

}  // namespace

AddClusterDialog::AddClusterDialog(const std::vector<sizing::GroupSpec>& groups,
                                   std::function<Status(const sizing::ClusterSpec&)> add,
                                   QWidget* parent)
    : QDialog(parent), add_(std::move(add)) {
    setWindowTitle(tr("Add a cluster to the what-if"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    name_ = new QLineEdit(this);
    name_->setObjectName(QStringLiteral("clusterName"));
    name_->setPlaceholderText(tr("e.g. payroll"));
    form->addRow(tr("&Name"), name_);
    priority_ = new QSpinBox(this);
    priority_->setObjectName(QStringLiteral("clusterPriority"));
    priority_->setRange(0, static_cast<int>(sizing::kMaxPriority));
    priority_->setValue(500);
    priority_->setToolTip(tr("0–1000; a higher priority wins under contention"));
    form->addRow(tr("&Priority"), priority_);
    mtbf_ = hoursBox(8760.0, this);
    mtbf_->setObjectName(QStringLiteral("clusterMtbf"));
    form->addRow(tr("MT&BF (hours between failovers)"), mtbf_);
    mttr_ = hoursBox(24.0, this);
    mttr_->setObjectName(QStringLiteral("clusterMttr"));
    mttr_->setToolTip(tr("How long a takeover lasts on the appliance, switch-back included"));
    form->addRow(tr("MTT&R (hours on the appliance)"), mttr_);
    group_ = new QComboBox(this);
    group_->setObjectName(QStringLiteral("clusterGroup"));
    group_->addItem(tr("(no group)"), QString());
    for (const sizing::GroupSpec& group : groups) {
        group_->addItem(QString::fromStdString(group.name), QString::fromStdString(group.name));
    }
    form->addRow(tr("&Group"), group_);
    standbyVcpus_ = vcpuBox(1, this);
    standbyVcpus_->setObjectName(QStringLiteral("standbyVcpus"));
    form->addRow(tr("&Standby vCPUs"), standbyVcpus_);
    standbyMemory_ = gibBox(2.0, this);
    standbyMemory_->setObjectName(QStringLiteral("standbyMemory"));
    form->addRow(tr("Standby &memory"), standbyMemory_);
    activeVcpus_ = vcpuBox(4, this);
    activeVcpus_->setObjectName(QStringLiteral("activeVcpus"));
    form->addRow(tr("&Active vCPUs"), activeVcpus_);
    activeMemory_ = gibBox(16.0, this);
    activeMemory_->setObjectName(QStringLiteral("activeMemory"));
    form->addRow(tr("Active memor&y"), activeMemory_);
    memoryMode_ = new QComboBox(this);
    memoryMode_->setObjectName(QStringLiteral("memoryMode"));
    memoryMode_->addItem(tr("Balloon (memory grows at takeover)"));
    memoryMode_->addItem(tr("Reserved (memory held at the active size)"));
    form->addRow(tr("Memory m&ode"), memoryMode_);
    layout->addLayout(form);

    error_ = new QLabel(this);
    error_->setObjectName(QStringLiteral("addClusterError"));
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setStyleSheet(QStringLiteral("color: #d93f3f; font-weight: bold;"));
    error_->hide();
    layout->addWidget(error_);
    note_ = new QLabel(this);
    note_->setObjectName(QStringLiteral("addClusterNote"));
    note_->setWordWrap(true);
    note_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    note_->hide();
    layout->addWidget(note_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    ok_ = buttons->button(QDialogButtonBox::Ok);
    ok_->setText(tr("Add to what-if"));
    connect(buttons, &QDialogButtonBox::accepted, this, &AddClusterDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AddClusterDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(fontMetrics().averageCharWidth() * 70);
}

sizing::ClusterSpec AddClusterDialog::cluster() const {
    sizing::ClusterSpec cluster;
    cluster.name = name_->text().trimmed().toStdString();
    cluster.priority = priority_->value();
    cluster.mtbf_hours = mtbf_->value();
    cluster.mttr_hours = mttr_->value();
    cluster.group = group_->currentData().toString().toStdString();
    cluster.standby = {standbyVcpus_->value(), mib(standbyMemory_)};
    cluster.active = {activeVcpus_->value(), mib(activeMemory_)};
    cluster.memory_mode = memoryMode_->currentIndex() == 1 ? sizing::MemoryMode::reserved
                                                           : sizing::MemoryMode::balloon;
    return cluster;
}

void AddClusterDialog::setCluster(const sizing::ClusterSpec& cluster) {
    name_->setText(QString::fromStdString(cluster.name));
    name_->setReadOnly(true);
    priority_->setValue(cluster.priority);
    mtbf_->setValue(cluster.mtbf_hours);
    mttr_->setValue(cluster.mttr_hours);
    const int group = group_->findData(QString::fromStdString(cluster.group));
    group_->setCurrentIndex(std::max(0, group));
    standbyVcpus_->setValue(static_cast<int>(cluster.standby.vcpus));
    standbyMemory_->setValue(static_cast<double>(cluster.standby.memory_mib) / 1024.0);
    activeVcpus_->setValue(static_cast<int>(cluster.active.vcpus));
    activeMemory_->setValue(static_cast<double>(cluster.active.memory_mib) / 1024.0);
    memoryMode_->setCurrentIndex(cluster.memory_mode == sizing::MemoryMode::reserved ? 1 : 0);
    priority_->setFocus();
}

QWidget* AddClusterDialog::fieldFor(const std::string& where) const {
    const std::pair<const char*, QWidget*> fields[] = {{"standby.vcpus", standbyVcpus_},
                                                       {"standby.memory_mib", standbyMemory_},
                                                       {"active.vcpus", activeVcpus_},
                                                       {"active.memory_mib", activeMemory_},
                                                       {"mtbf_hours", mtbf_},
                                                       {"mttr_hours", mttr_},
                                                       {"priority", priority_},
                                                       {"group", group_},
                                                       {"name", name_}};
    for (const auto& [suffix, widget] : fields) {
        const std::string tail = suffix;
        if (where.size() >= tail.size() &&
            where.compare(where.size() - tail.size(), tail.size(), tail) == 0) {
            return widget;
        }
    }
    return nullptr;
}

AddClusterDialog::AddClusterDialog(const std::vector<sizing::GroupSpec>& groups,
                                   std::function<void(const sizing::ClusterSpec&)> submit,
                                   const QString& title, QWidget* parent)
    : AddClusterDialog(groups, std::function<Status(const sizing::ClusterSpec&)>(), parent) {
    submit_ = std::move(submit);
    setWindowTitle(title);
    ok_->setText(tr("Check admission"));
}

void AddClusterDialog::showNote(const QString& note, const QString& okText) {
    ok_->setEnabled(true);
    ok_->setText(okText);
    note_->setText(note);
    note_->setVisible(!note.isEmpty());
}

void AddClusterDialog::finishAdd(const Status& result) {
    ok_->setEnabled(true);
    if (result) {
        error_->hide();
        QDialog::accept();
        return;
    }
    showError(result.error());
}

void AddClusterDialog::accept() {
    if (submit_) {
        error_->hide();
        ok_->setEnabled(false);
        submit_(cluster());
        return;
    }
    const Status added = add_(cluster());
    if (added) {
        error_->hide();
        QDialog::accept();
        return;
    }
    showError(added.error());
}

void AddClusterDialog::showError(const Error& error) {
    QWidget* field = fieldFor(error.where);
    QString fieldName;
    if (field != nullptr) {
        if (auto* form = qobject_cast<QFormLayout*>(layout()->itemAt(0)->layout())) {
            if (auto* label = qobject_cast<QLabel*>(form->labelForField(field))) {
                fieldName = label->text().remove(QLatin1Char('&'));
            }
        }
        field->setFocus();
    }
    const QString field_text = fieldName.isEmpty() ? QString() : fieldName + QStringLiteral(" ");
    const QString message = QString::fromStdString(error.message);
    error_->setText(submit_ ? tr("Not registered — %1%2").arg(field_text, message)
                            : tr("Not added — %1%2. Correct the value and press Add again.")
                                  .arg(field_text, message));
    error_->show();
}

}  // namespace understudy::gui
