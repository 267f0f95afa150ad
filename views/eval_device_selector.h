// Where evaluation jobs compute: Auto, CPU or CUDA (kernels/backend.h). The
// choice is resolved at once, so the window can say what it resolved to
// ("CUDA not built in, using the CPU"); CUDA stays selectable without a GPU
// and then resolves to the CPU with that line.
#pragma once

#include <memory>

#include <QComboBox>
#include <QString>

namespace qs {
class KernelBackend;
}

namespace qs::views {

class EvalDeviceSelector : public QComboBox {
    Q_OBJECT
public:
    explicit EvalDeviceSelector(QWidget* parent = nullptr);

    // The backend of the resolved device, shared with the jobs that use it.
    std::shared_ptr<const qs::KernelBackend> backend() const { return backend_; }
    // DeviceChoice::line of the current choice, also the tooltip.
    QString resolvedLine() const { return line_; }

signals:
    void deviceChanged(const QString& resolvedLine);

private:
    void resolve();

    std::shared_ptr<const qs::KernelBackend> backend_;
    QString line_;
};

}  // namespace qs::views
