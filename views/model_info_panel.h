// The open model at a glance: format and the LLaMA hyper-parameters every
// reader fills (qs::ModelConfig), plus tensor and parameter counts.
#pragma once

#include <QWidget>

class QFormLayout;
class QLabel;

namespace qs {
class Checkpoint;
}

namespace qs::views {

class ModelInfoPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelInfoPanel(QWidget* parent = nullptr);

    void setCheckpoint(const qs::Checkpoint& ckpt);
    void clear();

private:
    QFormLayout* form_;
};

}  // namespace qs::views
