// The editable fields of a QuantSpec as the GUI shows them: one value, text,
// set of valid choices and editor widget per field. The plan table's cells,
// its delegate and the Plan editor's default-spec row all go through here,
// so a field is offered, shown and applied the same way everywhere.
#pragma once

#include <vector>

#include <QString>
#include <QVariant>

#include "quant/quant_spec.h"

class QWidget;

namespace qs::views {

enum class SpecField { Method, Format, Bits, Symmetric, Granularity, GroupSize, Activation };
inline constexpr SpecField kSpecFields[] = {SpecField::Method,      SpecField::Format,    SpecField::Bits,
                                            SpecField::Symmetric,   SpecField::Granularity, SpecField::GroupSize,
                                            SpecField::Activation};

struct SpecChoice {
    QString text;
    QVariant value;
};

QString specFieldTitle(SpecField f);
QString specFieldToolTip(SpecField f);
// The field's value as an editor holds it (an int or a bool).
QVariant specFieldValue(const QuantSpec& spec, SpecField f);
QString specFieldText(const QuantSpec& spec, SpecField f);
// The values a combo box offers; empty for Bits (a spin box 2..8).
std::vector<SpecChoice> specFieldChoices(SpecField f);
// Whether the field means anything for `spec` (bits and symmetry are fixed
// for FP8, a group size only matters per group); cells that do not are
// shown dimmed and are not editable.
bool specFieldApplies(const QuantSpec& spec, SpecField f);
// `spec` with the field set, keeping the spec consistent: FP8 weights are
// 8-bit, symmetric and never per group.
QuantSpec withSpecField(QuantSpec spec, SpecField f, const QVariant& value);

// A combo box or spin box for the field, and its value.
QWidget* createSpecFieldEditor(SpecField f, QWidget* parent);
void setSpecEditorValue(QWidget* editor, const QVariant& value);
QVariant specEditorValue(const QWidget* editor);

}  // namespace qs::views
