// The form of a sweep (core/project/sweep_runner.h), as tall and narrow as a
// column beside its results: which methods, bit widths and granularities,
// the window settings, the calibration text for GPTQ and AWQ, and what each
// cell is evaluated on (SweepMetricsForm: texts, KL, tasks); Run, Cancel and
// the progress of all runs and of the current one. The work is
// SweepService's; results land in the project and the Results view shows them.
#pragma once

#include <memory>

#include <QString>
#include <QWidget>

#include "project/sweep_runner.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace qs {
class Checkpoint;
}

namespace qs::views {

class SweepMetricsForm;
class SweepService;

class SweepPanel : public QWidget {
    Q_OBJECT
public:
    SweepPanel(SweepService* service, QWidget* parent = nullptr);

    void setModel(std::shared_ptr<const qs::Checkpoint> ckpt, const QString& projectPath);
    // The options the form describes; std::invalid_argument when it is incomplete.
    qs::SweepOptions options() const;
    // Fills the form (for --sweep-text and tests): the one text, calibration
    // file and the window and calibration sizes (0: keep the form's).
    void setRun(const QString& text, const QString& calibrationText, int ctx, int maxWindows, int samples, int length);
    // Where the next sweep runs (the main window's device selector); null: the CPU.
    void setBackend(std::shared_ptr<const qs::KernelBackend> backend) { backend_ = std::move(backend); }
    // The texts and tasks, to fill beyond setRun's one text.
    SweepMetricsForm* metricsForm() const { return metrics_; }
    // Progress, the outcome, or what the form lacks before Run can start.
    QString statusText() const;

public slots:
    void run();

private:
    std::shared_ptr<const qs::KernelBackend> backend_;

    void updateForm();
    void onStopped(const QString& message);

    SweepService* service_;
    std::shared_ptr<const qs::Checkpoint> checkpoint_;
    QString projectPath_;

    QLineEdit* name_;
    QCheckBox* methods_[3];
    QCheckBox* bits_[4];
    QCheckBox* perChannel_;
    QCheckBox* perGroup_;
    QComboBox* groupSize_;
    SweepMetricsForm* metrics_;
    QLineEdit* calibration_;
    QSpinBox* samples_;
    QSpinBox* length_;
    QSpinBox* ctx_;
    QSpinBox* windows_;
    QPushButton* run_;
    QPushButton* cancel_;
    QProgressBar* progress_;     // all runs
    QProgressBar* runProgress_;  // the current run
    QLabel* status_;
};

}  // namespace qs::views
