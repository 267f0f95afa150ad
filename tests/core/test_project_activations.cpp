// Activation statistics of a calibrated quantization, as the project file
// keeps them for the activation views: one entry per linear layer, q/k/v (and
// gate/up) sharing their input's numbers, equal to a direct capture of block
// 0's inputs, and read back from the project exactly.
#include <filesystem>

#include "check.h"
#include "formats/tensor_names.h"
#include "project/activation_store.h"
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
    }
}
