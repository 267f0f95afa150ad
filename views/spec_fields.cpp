#include "spec_fields.h"

#include <QComboBox>
#include <QSpinBox>

namespace qs::views {

namespace {

// The activation column folds format and granularity into one choice.
enum ActivationChoice { ActNone, ActInt8Token, ActInt8Tensor, ActFp8Token, ActFp8Tensor };

int activationChoice(const ActivationSpec& a) {
    switch (a.format) {
    case ActivationFormat::None: return ActNone;
    case ActivationFormat::Int8: return a.perToken ? ActInt8Token : ActInt8Tensor;
    case ActivationFormat::F8E4M3: return a.perToken ? ActFp8Token : ActFp8Tensor;
    }
    return ActNone;
}

ActivationSpec activationFromChoice(int choice) {
    ActivationSpec a;
    a.format = choice == ActNone ? ActivationFormat::None
               : (choice == ActInt8Token || choice == ActInt8Tensor) ? ActivationFormat::Int8
                                                                      : ActivationFormat::F8E4M3;
    a.perToken = choice != ActInt8Tensor && choice != ActFp8Tensor;
    return a;
}

QString textOf(const std::vector<SpecChoice>& choices, const QVariant& value) {
    for (const SpecChoice& c : choices)
        if (c.value == value) return c.text;
    return value.toString();
}

}  // namespace

QString specFieldTitle(SpecField f) {
    switch (f) {
    case SpecField::Method: return QObject::tr("Method");
    case SpecField::Format: return QObject::tr("Weights");
    case SpecField::Bits: return QObject::tr("Bits");
    case SpecField::Symmetric: return QObject::tr("Symmetry");
    case SpecField::Granularity: return QObject::tr("Granularity");
    case SpecField::GroupSize: return QObject::tr("Group");
    case SpecField::Activation: return QObject::tr("Activations");
    }
    return {};
}

QString specFieldToolTip(SpecField f) {
    switch (f) {
    case SpecField::Method: return QObject::tr("How the quantized weights are chosen (GPTQ, AWQ and SmoothQuant need calibration)");
    case SpecField::Format: return QObject::tr("Integer grid or FP8 E4M3 weights");
    case SpecField::Bits: return QObject::tr("Integer weight bits (2..8); FP8 is always 8");
    case SpecField::Symmetric: return QObject::tr("Symmetric grid around zero, or asymmetric with a zero point");
    case SpecField::Granularity: return QObject::tr("One scale per tensor, per output channel, or per group of inputs");
    case SpecField::GroupSize: return QObject::tr("Input elements per group; must divide the layer's in-features");
    case SpecField::Activation: return QObject::tr("How the layer's input is quantized (dynamic per token, or one static scale)");
    }
    return {};
}

QVariant specFieldValue(const QuantSpec& s, SpecField f) {
    switch (f) {
    case SpecField::Method: return int(s.method);
    case SpecField::Format: return int(s.format);
    case SpecField::Bits: return s.bits;
    case SpecField::Symmetric: return s.symmetric;
    case SpecField::Granularity: return int(s.granularity);
    case SpecField::GroupSize: return s.groupSize;
    case SpecField::Activation: return activationChoice(s.activation);
    }
    return {};
}

QString specFieldText(const QuantSpec& s, SpecField f) {
    return f == SpecField::Bits ? QString::number(s.bits) : textOf(specFieldChoices(f), specFieldValue(s, f));
}

std::vector<SpecChoice> specFieldChoices(SpecField f) {
    switch (f) {
    case SpecField::Method:
        return {{QStringLiteral("RTN"), int(QuantMethod::Rtn)},
                {QStringLiteral("GPTQ"), int(QuantMethod::Gptq)},
                {QStringLiteral("AWQ"), int(QuantMethod::Awq)},
                {QStringLiteral("SmoothQuant"), int(QuantMethod::SmoothQuant)},
                {QStringLiteral("bi-smooth"), int(QuantMethod::BiSmooth)}};
    case SpecField::Format:
        return {{QStringLiteral("int"), int(WeightFormat::Int)}, {QStringLiteral("fp8"), int(WeightFormat::F8E4M3)}};
    case SpecField::Bits: return {};
    case SpecField::Symmetric: return {{QStringLiteral("sym"), true}, {QStringLiteral("asym"), false}};
    case SpecField::Granularity:
        return {{QStringLiteral("per-tensor"), int(Granularity::PerTensor)},
                {QStringLiteral("per-channel"), int(Granularity::PerChannel)},
                {QStringLiteral("per-group"), int(Granularity::PerGroup)}};
    case SpecField::GroupSize:
        return {{QStringLiteral("32"), 32}, {QStringLiteral("64"), 64}, {QStringLiteral("128"), 128},
                {QStringLiteral("256"), 256}};
    case SpecField::Activation:
        return {{QStringLiteral("none"), int(ActNone)},
                {QStringLiteral("int8-token"), int(ActInt8Token)},
                {QStringLiteral("int8-tensor"), int(ActInt8Tensor)},
                {QStringLiteral("fp8-token"), int(ActFp8Token)},
                {QStringLiteral("fp8-tensor"), int(ActFp8Tensor)}};
    }
    return {};
}

bool specFieldApplies(const QuantSpec& s, SpecField f) {
    switch (f) {
    case SpecField::Bits:
    case SpecField::Symmetric: return s.format == WeightFormat::Int;
    case SpecField::GroupSize: return s.granularity == Granularity::PerGroup;
    default: return true;
    }
}

QuantSpec withSpecField(QuantSpec s, SpecField f, const QVariant& value) {
    switch (f) {
    case SpecField::Method: s.method = QuantMethod(value.toInt()); break;
    case SpecField::Format: s.format = WeightFormat(value.toInt()); break;
    case SpecField::Bits: s.bits = value.toInt(); break;
    case SpecField::Symmetric: s.symmetric = value.toBool(); break;
    case SpecField::Granularity: s.granularity = Granularity(value.toInt()); break;
    case SpecField::GroupSize: s.groupSize = value.toInt(); break;
    case SpecField::Activation: s.activation = activationFromChoice(value.toInt()); break;
    }
    if (s.format == WeightFormat::F8E4M3) {
        s.bits = 8;
        s.symmetric = true;
        if (s.granularity == Granularity::PerGroup) s.granularity = Granularity::PerChannel;
    }
    return s;
}

QWidget* createSpecFieldEditor(SpecField f, QWidget* parent) {
    if (f == SpecField::Bits) {
        auto* spin = new QSpinBox(parent);
        spin->setRange(2, 8);
        spin->setToolTip(specFieldToolTip(f));
        return spin;
    }
    auto* combo = new QComboBox(parent);
    for (const SpecChoice& c : specFieldChoices(f)) combo->addItem(c.text, c.value);
    combo->setToolTip(specFieldToolTip(f));
    return combo;
}

void setSpecEditorValue(QWidget* editor, const QVariant& value) {
    if (auto* spin = qobject_cast<QSpinBox*>(editor)) spin->setValue(value.toInt());
    else if (auto* combo = qobject_cast<QComboBox*>(editor)) combo->setCurrentIndex(combo->findData(value));
}

QVariant specEditorValue(const QWidget* editor) {
    if (auto* spin = qobject_cast<const QSpinBox*>(editor)) return spin->value();
    if (auto* combo = qobject_cast<const QComboBox*>(editor)) return combo->currentData();
    return {};
}

}  // namespace qs::views
