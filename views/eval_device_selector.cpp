#include "eval_device_selector.h"

#include "backend.h"

namespace qs::views {

EvalDeviceSelector::EvalDeviceSelector(QWidget* parent) : QComboBox(parent) {
    setObjectName(QStringLiteral("DeviceSelector"));
    // The data are resolveDevice's requests.
    addItem(tr("Auto"), QStringLiteral("auto"));
    addItem(tr("CPU"), QStringLiteral("cpu"));
    addItem(tr("CUDA"), QStringLiteral("cuda"));
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(this, &QComboBox::currentIndexChanged, this, &EvalDeviceSelector::resolve);
    resolve();
}

void EvalDeviceSelector::resolve() {
    const qs::DeviceChoice choice = qs::resolveDevice(currentData().toString().toStdString());
    backend_ = qs::makeKernelBackend(choice.device);
    line_ = QString::fromStdString(choice.line);
    setToolTip(tr("Where evaluations compute: %1").arg(line_));
    emit deviceChanged(line_);
}

}  // namespace qs::views
