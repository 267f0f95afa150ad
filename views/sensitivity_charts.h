// The two charts of a sensitivity scan beside its heatmap: the layers ranked
// by measured KL (top 20, horizontal bars, per-group layers in a second
// colour; clicking a bar names its layer), and one cheap proxy against the
// measured KL with Spearman's rank correlation in the caption, which says
// whether that proxy would have found the same sensitive layers.
#pragma once

#include <set>
#include <string>

#include "plot_panel.h"
#include "sensitivity_service.h"

class QComboBox;
class QMouseEvent;

namespace qs::views {

class KlRankView : public PlotPanel {
    Q_OBJECT
public:
    static constexpr int kMaxBars = 20;

    explicit KlRankView(QWidget* parent = nullptr);

    // Layers in `perGroup` are drawn in the second colour.
    void setResult(SensitivityResultPtr result, const std::set<std::string>& perGroup);
    // Ranked layer names as drawn, most sensitive first.
    const std::vector<std::string>& ranked() const { return ranked_; }

signals:
    void layerClicked(const std::string& name);

private:
    void onMousePress(QMouseEvent* event);

    std::vector<std::string> ranked_;
};

class ProxyScatterView : public PlotPanel {
    Q_OBJECT
public:
    enum class Proxy { WeightSnr, OutputError, OutlierRatioIn, OutlierRatioOut, DeltaNll };

    explicit ProxyScatterView(QWidget* parent = nullptr);

    void setResult(SensitivityResultPtr result);
    void setProxy(Proxy proxy);
    Proxy proxy() const;
    // The Spearman the caption shows for the chosen proxy (NaN without a result).
    double spearman() const { return spearman_; }

private:
    void rebuild();

    SensitivityResultPtr result_;
    QComboBox* proxy_;
    double spearman_ = 0;
};

}  // namespace qs::views
