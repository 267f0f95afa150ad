#include "model_info_panel.h"

#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>

#include "formats/checkpoint.h"
#include "quant/activation_record.h"
#include "quant/export_directory.h"

namespace qs::views {

ModelInfoPanel::ModelInfoPanel(QWidget* parent) : QWidget(parent), form_(new QFormLayout(this)) {
    form_->setContentsMargins(10, 6, 10, 6);
    form_->setHorizontalSpacing(14);
    form_->setVerticalSpacing(3);
    form_->setLabelAlignment(Qt::AlignRight);
    clear();
}

void ModelInfoPanel::clear() {
    while (form_->rowCount() > 0) form_->removeRow(0);
    auto* none = new QLabel(tr("No model open"), this);
    none->setEnabled(false);
    form_->addRow(none);
}

void ModelInfoPanel::setCheckpoint(const qs::Checkpoint& ckpt) {
    while (form_->rowCount() > 0) form_->removeRow(0);
    const QLocale locale;
    auto add = [this](const QString& label, const QString& value) {
        auto* v = new QLabel(value, this);
        v->setTextInteractionFlags(Qt::TextSelectableByMouse);
        form_->addRow(label, v);
    };
    auto number = [&locale](int64_t n) { return locale.toString(qlonglong(n)); };

    const ModelConfig& c = ckpt.config;
    add(tr("Model"), QFileInfo(QString::fromStdString(ckpt.path)).fileName());
    add(tr("Format"), QString::fromUtf8(checkpointFormatName(ckpt.format).data(),
                                        qsizetype(checkpointFormatName(ckpt.format).size())));
    if (ckpt.hasConfig) {
        add(tr("Hidden / MLP"), tr("%1 / %2").arg(number(c.hiddenSize), number(c.intermediateSize)));
        add(tr("Layers"), number(c.numLayers));
        add(tr("Heads (q / kv)"), tr("%1 / %2, head dim %3").arg(number(c.numHeads), number(c.numKvHeads),
                                                                  number(c.headDim)));
        add(tr("Vocabulary"), number(c.vocabSize));
        add(tr("Context"), number(c.maxPositions));
        if (!c.torchDtype.empty()) add(tr("Dtype"), QString::fromStdString(c.torchDtype));
    }
    int64_t parameters = 0;
    for (const TensorView& t : ckpt.tensors()) parameters += t.numel();
    add(tr("Tensors"), tr("%1 (%2 parameters)").arg(number(int64_t(ckpt.tensors().size())), number(parameters)));
    // A re-opened W8A8 / FP8 fake export: its weights are plain floats, the
    // input rounding comes from its record and is applied in every evaluation.
    try {
        if (const size_t rounded = readActivationRecord(ckpt).size())
            add(tr("Activations"), tr("rounded as recorded in %1 (%2 of %3 linears)")
                                       .arg(QString::fromUtf8(kQuantizationRecordFile), number(int64_t(rounded)),
                                            number(c.numLayers * kProjectionCount)));
    } catch (const std::exception& e) {
        add(tr("Activations"), tr("record unreadable: %1").arg(QString::fromUtf8(e.what())));
    }
}

}  // namespace qs::views
