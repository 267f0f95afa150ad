// AWQ on qs-tiny-llama blocks 0 and 1 (8 x 128 calibration tokens of the
// held-out book) at W4 g128 and W3 g128 asymmetric: every group's output
// error is below RTN's at the same spec, the chosen ratio lies on the grid,
// and clipping never increases the error.
#include <cmath>

#include "check.h"
#include "quant/awq.h"
#include "tiny_block_inputs.h"

using namespace qs;

namespace {

constexpr double kClipSlack = 1e-9;  // clipping's per-group choice includes no clipping

}  // namespace

QS_TEST(awq_beats_rtn_on_every_group) {
    const test::TinyBlockInputs in(2, 8, 128);
    const ModelConfig& c = in.model.config();
    for (int bits : {4, 3}) {
        QuantSpec spec;
        spec.bits = bits;
        spec.symmetric = false;
        spec.granularity = Granularity::PerGroup;
        spec.groupSize = 128;
        spec.method = QuantMethod::Awq;
        for (int b = 0; b < 2; ++b) {
            DecoderBlockWeights block = in.model.loadBlock(b);
            const BlockQuantReport r = awqBlock(c, block, in.calib(b), spec);
            QS_CHECK_EQ(r.groups.size(), size_t(4));
            for (const GroupReport& g : r.groups) {
                QS_CHECK(g.relativeError < g.baselineError);
                QS_CHECK(g.relativeError <= g.errorBeforeClip * (1 + kClipSlack));
                QS_CHECK(g.errorBeforeClip <= g.baselineError);
                QS_CHECK(g.exponent >= 0 && g.exponent < 1);
                QS_CHECK_NEAR(g.exponent * 20, std::round(g.exponent * 20), 1e-9);
                if (g.group == "o") QS_CHECK_EQ(g.exponent, 0.0);  // no v -> o with 8 heads over 2 kv heads
            }
        }
    }
}
