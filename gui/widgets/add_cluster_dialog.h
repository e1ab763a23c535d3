// "Add a cluster" for the what-if: a small form whose values are checked by the same rules as
// the fleet parser (validateFleet). The dialog stays open with the error beside the offending
// field until the cluster is accepted; nothing changes before that.
#pragma once

#include <QDialog>
#include <functional>
#include <vector>

#include "base/result.h"
#include "sizing/fleet.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace understudy::gui {

class AddClusterDialog : public QDialog {
    Q_OBJECT
public:
    // `add` tries to add the cluster and says why not; the dialog closes when it succeeds.
    AddClusterDialog(const std::vector<sizing::GroupSpec>& groups,
                     std::function<Status(const sizing::ClusterSpec&)> add,
                     QWidget* parent = nullptr);
    // For an add that needs the service: `submit` starts it and the caller answers later with
    // showNote() (the dialog stays open, e.g. with an admission preview) or finishAdd().
    AddClusterDialog(const std::vector<sizing::GroupSpec>& groups,
                     std::function<void(const sizing::ClusterSpec&)> submit, const QString& title,
                     QWidget* parent = nullptr);
    void finishAdd(const Status& result);
    // Shown above the buttons while the dialog waits for the next press of `okText`.
    void showNote(const QString& note, const QString& okText);
    QLabel* noteLabel() const { return note_; }

    sizing::ClusterSpec cluster() const;
    // Fills the form from an existing cluster, whose name then stays as it is (editing).
    void setCluster(const sizing::ClusterSpec& cluster);
    QLabel* errorLabel() const { return error_; }
    void accept() override;

private:
    QWidget* fieldFor(const std::string& where) const;
    void showError(const Error& error);

    std::function<Status(const sizing::ClusterSpec&)> add_;
    std::function<void(const sizing::ClusterSpec&)> submit_;
    QPushButton* ok_ = nullptr;
    QLabel* note_ = nullptr;
    QLineEdit* name_ = nullptr;
    QSpinBox* priority_ = nullptr;
    QDoubleSpinBox* mtbf_ = nullptr;
    QDoubleSpinBox* mttr_ = nullptr;
    QComboBox* group_ = nullptr;
    QComboBox* memoryMode_ = nullptr;
    QSpinBox* standbyVcpus_ = nullptr;
    QDoubleSpinBox* standbyMemory_ = nullptr;
    QSpinBox* activeVcpus_ = nullptr;
    QDoubleSpinBox* activeMemory_ = nullptr;
    QLabel* error_ = nullptr;
};

}  // namespace understudy::gui
