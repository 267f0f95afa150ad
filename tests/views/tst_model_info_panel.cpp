// The Model panel says when a re-opened W8A8 export rounds its linears'
// inputs as recorded (quant/activation_record.h), says nothing of it for a
// plain model, and shows a broken record as unreadable instead of failing.
#include <fstream>

#include <QLabel>
#include <QTemporaryDir>
#include <QtTest>

#include "formats/checkpoint.h"
#include "model/llama_model.h"
#include "model_info_panel.h"
#include "quant/apply_plan.h"
#include "quant/export_fake.h"

using qs::views::ModelInfoPanel;

namespace {
const std::string kTinyLlama = QS_SHARED_DIR "/models/qs-tiny-llama";

// The texts of the panel's labels, joined by newlines.
QString panelText(const ModelInfoPanel& panel) {
    QStringList texts;
    for (const QLabel* l : panel.findChildren<QLabel*>()) texts << l->text();
    return texts.join('\n');
}
}  // namespace

class TestModelInfoPanel : public QObject {
    Q_OBJECT
private slots:
    void showsTheRecordedActivationRounding() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string out = dir.path().toStdString() + "/w8a8";
        const auto src = qs::openCheckpoint(kTinyLlama);
        const qs::LlamaModel model(*src);
        qs::QuantSpec spec;
        spec.bits = 8;
        spec.granularity = qs::Granularity::PerChannel;
        spec.activation.format = qs::ActivationFormat::Int8;
        qs::writeFakeQuantExport(
            *src,
            [&](int b) {
                qs::DecoderBlockWeights w = model.loadBlock(b);
                qs::applyPlanToBlock(qs::uniformPlan(spec), w);
                return w;
            },
            {}, out);

        ModelInfoPanel panel;
        panel.setCheckpoint(*src);
        QVERIFY(!panelText(panel).contains("Activations"));
        const auto exported = qs::openCheckpoint(out);
        panel.setCheckpoint(*exported);
        QVERIFY2(panelText(panel).contains("(28 of 28 linears)"), qPrintable(panelText(panel)));

        std::ofstream(out + "/quantscope_quantization.json", std::ios::trunc) << "{\"activations\": [";
        panel.setCheckpoint(*exported);
        QVERIFY2(panelText(panel).contains("record unreadable") && panelText(panel).contains("broken JSON"),
                 qPrintable(panelText(panel)));
    }
};

QTEST_MAIN(TestModelInfoPanel)
#include "tst_model_info_panel.moc"
