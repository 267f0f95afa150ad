// The Evaluate dock: what to measure (perplexity on a text, accuracy on a
// task file, KL against the unquantized base), on which file, with which
// window settings; Run and Cancel, and a progress bar that says tokens/s and
// time left. The work is EvalService's; this panel only builds requests and
// shows progress.
#pragma once

#include <functional>
#include <memory>

#include <QString>
#include <QWidget>

#include "project/project_file.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QWidget;

namespace qs {
class Checkpoint;
class KernelBackend;
struct DecoderBlockWeights;
}  // namespace qs

namespace qs::views {

class EvalService;
struct EvalRequest;
class TaskTypeBox;

class EvaluatePanel : public QWidget {
    Q_OBJECT
public:
    EvaluatePanel(EvalService* service, QWidget* parent = nullptr);

    // The model runs are made on and the project they are stored in; a null
    // checkpoint disables the panel with a hint.
    void setModel(std::shared_ptr<const qs::Checkpoint> ckpt, const QString& projectPath);
    // The quantization plan the next runs use (empty label and adjuster:
    // unquantized); `plan` is its JSON, recorded with each run for the Runs
    // table's diff (null: not recorded).
    void setPlan(const QString& label, std::function<void(qs::DecoderBlockWeights&)> adjustBlock,
                 nlohmann::json plan = {});

    // The request the form describes (for the Run button, --evaluate-text and tests).
    EvalRequest request() const;
    // Where the next evaluations run (the window's device selector); null: the CPU.
    void setBackend(std::shared_ptr<const qs::KernelBackend> backend) { backend_ = std::move(backend); }
    // Fills the form for a perplexity run on `textFile`; ctx / maxWindows 0 keep the form's values.
    void setPerplexityRun(const QString& textFile, int ctx, int maxWindows);

public slots:
    // Starts the request the form describes.
    void run();

private:
    void chooseDataset();
    void updateForm();
    void onStarted();
    void onProgress(double fraction, double tokensPerSecond, double secondsLeft, const QString& stage);
    void onStopped(const QString& message);

    EvalService* service_;
    std::shared_ptr<const qs::Checkpoint> checkpoint_;
    QString projectPath_;
    QString planLabel_;
    std::function<void(qs::DecoderBlockWeights&)> adjustBlock_;
    nlohmann::json planJson_;
    std::shared_ptr<const qs::KernelBackend> backend_;

    QLabel* hint_;
    QWidget* form_;
    QComboBox* kind_;
    QLineEdit* dataset_;
    TaskTypeBox* taskType_;
    QSpinBox* limit_;
    QSpinBox* ctx_;
    QSpinBox* windows_;
    QLabel* plan_;
    QPushButton* run_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    QString rate_;  // the last tokens/s of the running or finished job
};

}  // namespace qs::views
