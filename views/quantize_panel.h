// The Plan tab's Quantize section: the calibration set (a text file, how many
// samples of how many tokens), Quantize with a progress bar per block and
// Cancel, and the per-layer report of the last quantization. The work is
// QuantizeService's; the panel keeps the finished result, and which plan and
// calibration it belongs to, so the plan editor can hand the quantized
// blocks to the Evaluate panel while the plan is unchanged.
#pragma once

#include <functional>
#include <memory>

#include <QString>
#include <QWidget>

#include "quant/calibration.h"
#include "quant/quant_plan.h"
#include "quantize_service.h"

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace qs {
class Checkpoint;
struct DecoderBlockWeights;
}  // namespace qs

namespace qs::views {

class QuantReportModel;

class QuantizePanel : public QWidget {
    Q_OBJECT
public:
    explicit QuantizePanel(QWidget* parent = nullptr);

    QuantizeService* service() const { return service_; }
    QuantReportModel* reportModel() const { return report_; }
    QTableView* reportView() const { return reportView_; }
    QPushButton* quantizeButton() const { return quantize_; }
    QPushButton* cancelButton() const { return cancel_; }
    QString statusText() const;

    // The model quantized and the project its activation statistics go to;
    // null disables the section. The previous result is dropped.
    void setModel(std::shared_ptr<const qs::Checkpoint> ckpt, const QString& projectPath);
    // Fills the calibration row; samples / length 0 keep the form's values.
    void setCalibration(const QString& textFile, int samples, int length);
    qs::CalibrationOptions calibrationOptions() const;
    // Where the next quantization runs (the main window's device selector); null: the CPU.
    void setBackend(std::shared_ptr<const qs::KernelBackend> backend) { backend_ = std::move(backend); }

    // Starts quantizing the open model by `plan` on the calibration row's set.
    void start(const qs::QuantPlan& plan);
    // The last result when it was made from `plan` (as its JSON says) on the
    // open model, else null.
    QuantizeResultPtr resultFor(const qs::QuantPlan& plan) const;
    // "<plan label>, calibrated on <file> (N x L)": the label runs are stored under.
    QString resultLabel() const { return resultLabel_; }

    // Shows a line in the section's status (the plan editor's notes on Quantize).
    void setStatus(const QString& text, bool error);

signals:
    // A quantization finished; resultFor(plan) now returns it.
    void quantized();

private:
    std::shared_ptr<const qs::KernelBackend> backend_;

    void chooseCalibrationFile();
    void onStarted();
    void onProgress(double fraction, double secondsLeft, const QString& stage);
    void onFinished(QuantizeResultPtr result);
    void onStopped(const QString& message, bool error);

    QuantizeService* service_;
    QuantReportModel* report_;
    std::shared_ptr<const qs::Checkpoint> checkpoint_;
    QString projectPath_;
    // What the running job was asked for, and what the kept result was made from.
    qs::QuantPlan pendingPlan_, resultPlan_;
    QString pendingLabel_, resultLabel_;
    QuantizeResultPtr result_;

    QLineEdit* file_;
    QSpinBox* samples_;
    QSpinBox* length_;
    QPushButton* quantize_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    QTableView* reportView_;
};

}  // namespace qs::views
