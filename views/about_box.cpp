#include "about_box.h"

#include <QCoreApplication>
#include <QMessageBox>
#include <QWidget>

namespace qs::views {

void showAboutBox(QWidget* parent) {
    // The methods are named by the papers whose algorithms they implement, so
    // results can be compared with the published numbers.
    const QString text =
        QCoreApplication::translate(
            "AboutBox",
            "<h3>%1 %2</h3>"
            "<p>A workbench for post-training quantization of LLaMA-family models: "
            "weight and activation statistics, quantization plans, evaluation.</p>"
            "<p>Built with Qt %3, running on Qt %4.</p>"
            "<p>Methods follow:</p><ul>"
            "<li>GPTQ: Frantar et al., <i>GPTQ: Accurate Post-Training Quantization for Generative "
            "Pre-trained Transformers</i>, 2022</li>"
            "<li>AWQ: Lin et al., <i>AWQ: Activation-aware Weight Quantization for LLM Compression and "
            "Acceleration</i>, 2023</li>"
            "<li>SmoothQuant: Xiao et al., <i>SmoothQuant: Accurate and Efficient Post-Training Quantization "
            "for Large Language Models</i>, 2023</li>"
            "<li>Low-bit LLaMA 3: Huang et al., <i>How Good Are Low-bit Quantized LLaMA3 Models? "
            "An Empirical Study</i>, 2024</li>"
            "</ul>")
            .arg(QCoreApplication::applicationName().toHtmlEscaped(),
                 QCoreApplication::applicationVersion().toHtmlEscaped(), QStringLiteral(QT_VERSION_STR),
                 QString::fromLatin1(qVersion()));
    QMessageBox::about(parent, QCoreApplication::translate("AboutBox", "About %1").arg(QCoreApplication::applicationName()),
                       text);
}

}  // namespace qs::views
