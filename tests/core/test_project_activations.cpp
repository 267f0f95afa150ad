// Activation statistics of a calibrated quantization, as the project file
// keeps them for the activation views: one entry per linear layer, q/k/v (and
// gate/up) sharing their input's numbers, equal to a direct capture of block
// 0's inputs, and read back from the project exactly; the per-token absmax
// quantiles agree with a float64 recomputation, and projects saved without
// them still load.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "check.h"
#include "formats/tensor_names.h"
#include "project/activation_store.h"
#include "project/project_file.h"
#include "tiny_block_inputs.h"

using namespace qs;
using namespace qs::test;

QS_TEST(calibration_activations_are_captured_and_stored) {
    TinyBlockInputs in(1, 4, 64);
    QuantSpec s;
    s.bits = 8;
    const PlanQuantizeResult r = quantizePlanWithCalibration(in.model, uniformPlan(s), in.calibration);
    QS_CHECK_EQ(r.activations.size(), size_t(7 * in.model.numBlocks()));
    // Block 0 sees the embedding: its statistics are those of a direct capture.
    const BlockInputs x = captureBlockInputs(in.model.config(), in.model.loadBlock(0), in.calib(0));
    const ActivationStats direct = activationStats(x[size_t(InputSite::Mlp)]);
    const LayerActivationStats& up = r.activations[size_t(int(Projection::Up))];
    QS_CHECK_EQ(up.name, linearTensorName(0, int(Projection::Up)));
    QS_CHECK(up.stats.channelAbsmax == direct.channelAbsmax);
    QS_CHECK(up.stats.channelMeanAbs == direct.channelMeanAbs);
    QS_CHECK_EQ(up.stats.tokens, int64_t(4 * 64));
    QS_CHECK(r.activations[size_t(int(Projection::Gate))].stats.channelAbsmax == up.stats.channelAbsmax);

    const std::string path = tempDir() + "/act.qsproj.h5";
    QS_CHECK(loadActivationStats(path).empty());
    saveActivationStats(path, r.activations);
    saveActivationStats(path, r.activations);  // replaces, never duplicates
    const auto back = loadActivationStats(path);
    QS_CHECK_EQ(back.size(), r.activations.size());
    for (size_t i = 0; i < back.size() && i < r.activations.size(); ++i) {
        QS_CHECK_EQ(back[i].name, r.activations[i].name);
        QS_CHECK(back[i].stats.channelAbsmax == r.activations[i].stats.channelAbsmax);
        QS_CHECK(back[i].stats.channelMeanAbs == r.activations[i].stats.channelMeanAbs);
        QS_CHECK_EQ(back[i].stats.tokenAbsmaxMax, r.activations[i].stats.tokenAbsmaxMax);
        QS_CHECK(back[i].stats.tokenAbsmaxQuantiles == r.activations[i].stats.tokenAbsmaxQuantiles);
    }
}

QS_TEST(token_absmax_quantiles_match_a_float64_recomputation) {
    TinyBlockInputs in(1, 4, 64);
    const BlockInputs x = captureBlockInputs(in.model.config(), in.model.loadBlock(0), in.calib(0));
    for (const SiteInput& site : x) {
        const ActivationStats s = activationStats(site);
        std::vector<double> tokenAbsmax;
        for (int64_t r = 0; r < site.rows; ++r) {
            double m = 0;
            for (int64_t j = 0; j < site.cols; ++j) m = std::max(m, std::fabs(double(site.row(r)[j])));
            tokenAbsmax.push_back(m);
        }
        std::sort(tokenAbsmax.begin(), tokenAbsmax.end());
        QS_CHECK_EQ(tokenAbsmax.size(), size_t(4 * 64));
        QS_CHECK_EQ(s.tokenAbsmaxQuantiles.size(), kTokenAbsmaxPercents.size());
        for (size_t i = 0; i < s.tokenAbsmaxQuantiles.size() && i < kTokenAbsmaxPercents.size(); ++i) {
            // Rank round(p (n - 1)): an element of the data, no interpolation.
            const double rank = std::round(kTokenAbsmaxPercents[i] / 100.0 * double(tokenAbsmax.size() - 1));
            QS_CHECK_EQ(double(s.tokenAbsmaxQuantiles[i]), tokenAbsmax[size_t(rank)]);
        }
        QS_CHECK(std::is_sorted(s.tokenAbsmaxQuantiles.begin(), s.tokenAbsmaxQuantiles.end()));
        QS_CHECK_EQ(s.tokenAbsmaxMin, s.tokenAbsmaxQuantiles.front());
        QS_CHECK_EQ(s.tokenAbsmaxMax, s.tokenAbsmaxQuantiles.back());
        QS_CHECK(s.tokenAbsmaxMax > s.tokenAbsmaxMin);  // real hidden states: tokens differ
        QS_CHECK_EQ(s.tokenAbsmaxMax, s.absmax());      // the largest element, seen per token and per channel
    }
}

QS_TEST(projects_saved_without_quantiles_load_with_none) {
    TinyBlockInputs in(1, 2, 32);
    const BlockInputs x = captureBlockInputs(in.model.config(), in.model.loadBlock(0), in.calib(0));
    const std::vector<LayerActivationStats> layers = {{linearTensorName(0, int(Projection::Up)),
                                                       activationStats(x[size_t(InputSite::Mlp)])}};
    const std::string path = tempDir() + "/old.qsproj.h5";
    saveActivationStats(path, layers);
    const auto dropQuantiles = [&](const std::vector<double>& percents) {
        updateProject(path, [&](const Hdf5Node& root) {
            const Hdf5Node g = root.group("activations").group(layers[0].name);
            g.remove("token_absmax_quantiles");
            g.remove("token_absmax_percents");
            if (!percents.empty()) {
                g.writeDoubles("token_absmax_percents", percents);
                g.writeFloats("token_absmax_quantiles", std::vector<float>(percents.size(), 1.0f));
            }
        });
    };
    dropQuantiles({});
    const auto back = loadActivationStats(path);
    QS_CHECK_EQ(back.size(), size_t(1));
    if (back.size() == 1) {
        QS_CHECK(back[0].stats.tokenAbsmaxQuantiles.empty());
        QS_CHECK(back[0].stats.channelAbsmax == layers[0].stats.channelAbsmax);
        QS_CHECK_EQ(back[0].stats.tokenAbsmaxMax, layers[0].stats.tokenAbsmaxMax);
    }
    // Another set of percents is refused, naming the file and the dataset.
    dropQuantiles({0, 50, 100});
    const std::string message = thrownMessage([&] { loadActivationStats(path); });
    QS_CHECK(message.find(path) != std::string::npos);
    QS_CHECK(message.find("token_absmax_percents") != std::string::npos);
}
