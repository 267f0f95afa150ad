#include "plot_export.h"

#include <filesystem>

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QSvgGenerator>
#include <qcustomplot.h>

#include "formats/staged_directory.h"

namespace qs::views {

namespace {

QString writeSvg(QCustomPlot* plot, const QString& path, QSize size) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(plot->windowTitle());
    svg.setDescription(QStringLiteral("QuantScope chart"));
    // QCPPainter in vectorized mode keeps lines and text as paths rather than
    // cached pixmaps, exactly as QCustomPlot::savePdf does.
    QCPPainter painter;
    if (!painter.begin(&svg)) return QObject::tr("cannot write the SVG file");
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    plot->toPainter(&painter, size.width(), size.height());
    painter.end();
    return {};
}

}  // namespace

QString exportPlot(QCustomPlot* plot, const QString& path, const PlotExportOptions& options) {
    const QSize size = options.size.isEmpty() ? plot->size() : options.size;
    const QString suffix = QFileInfo(path).suffix().toLower();
    // Drawn into a hidden sibling and renamed over `path`, so an existing
    // figure stays whole if drawing fails midway (formats/staged_directory.h).
    const QString stage = QString::fromStdString(stagingPathFor(path.toStdString()));
    QString problem;
    if (suffix == QLatin1String("png")) {
        const double scale = options.dpi / 96.0;
        if (!plot->savePng(stage, size.width(), size.height(), scale, -1, options.dpi))
            problem = QObject::tr("cannot write the PNG file");
    } else if (suffix == QLatin1String("pdf")) {
        // savePdf draws through QPdfWriter: vector paths and text, no raster.
        if (!plot->savePdf(stage, size.width(), size.height(), QCP::epNoCosmetic, QStringLiteral("QuantScope"),
                           plot->windowTitle()))
            problem = QObject::tr("cannot write the PDF file");
    } else if (suffix == QLatin1String("svg")) {
        problem = writeSvg(plot, stage, size);
    } else {
        return QStringLiteral("%1: %2").arg(path, QObject::tr("unknown export format \"%1\" (use .png, .pdf or .svg)").arg(suffix));
    }
    std::error_code ec;
    if (problem.isEmpty()) {
        std::filesystem::rename(stage.toStdString(), path.toStdString(), ec);
        if (ec) problem = QObject::tr("cannot replace the file: %1").arg(QString::fromStdString(ec.message()));
    }
    if (problem.isEmpty()) return {};
    std::filesystem::remove(stage.toStdString(), ec);
    return QStringLiteral("%1: %2").arg(path, problem);
}

QString plotExportFilter() {
    return QObject::tr("PNG image (*.png);;PDF document (*.pdf);;SVG drawing (*.svg)");
}

void exportPlotInteractively(QCustomPlot* plot, QWidget* dialogParent, const QString& suggestedName,
                             std::optional<PrintSize> print) {
    QSettings settings;
    const QString lastDir = settings.value(QStringLiteral("export/lastDir"),
                                           QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
                                .toString();
    QString selectedFilter;
    QString path = QFileDialog::getSaveFileName(dialogParent, QObject::tr("Export Chart"),
                                                lastDir + QLatin1Char('/') + suggestedName + QStringLiteral(".png"),
                                                plotExportFilter(), &selectedFilter);
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty()) {
        // The filter the user picked decides the format when no extension was typed.
        const QString ext = selectedFilter.section(QLatin1String("*."), 1).left(3);
        path += QLatin1Char('.') + (ext.isEmpty() ? QStringLiteral("png") : ext);
    }
    settings.setValue(QStringLiteral("export/lastDir"), QFileInfo(path).absolutePath());
    const QString error = print ? exportPrintFigure(plot, path, *print) : exportPlot(plot, path);
    if (!error.isEmpty()) QMessageBox::warning(dialogParent, QObject::tr("Export failed"), error);
}

}  // namespace qs::views
