// The layer-major working-set estimate (model/memory_estimate.h) with the real
// Llama-3-70B shapes (the shapes of test_open_70b_shapes.cpp), each part
// against arithmetic written out here; and the scratch part against the
// buffers forwardDecoderBlock really allocates on qs-tiny-llama.
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "formats/checkpoint.h"
#include "model/decoder_block.h"
#include "model/llama_model.h"
#include "model/memory_estimate.h"

using namespace qs;

namespace {

constexpr int64_t kHidden = 8192, kInter = 28672, kHeads = 64, kKv = 8, kLayers = 80, kVocab = 128256;
constexpr int64_t kGpuBytes = 80'000'000'000;  // an 80 GB H100 / A100

ModelConfig llama3_70b() {
    ModelConfig c;
    c.hiddenSize = kHidden;
    c.intermediateSize = kInter;
    c.numLayers = kLayers;
    c.numHeads = kHeads;
    c.numKvHeads = kKv;
    c.headDim = kHidden / kHeads;  // 128
    c.vocabSize = kVocab;
    return c;
}

// GPTQ's calibration set: 128 samples of 2048 tokens, BF16 blocks on the GPU.
WorkingSetRequest gptqCalibration(const std::vector<QuantMethod>& methods) {
    WorkingSetRequest r;
    r.weights = DType::BF16;
    r.tokens = 128 * 2048;  // 262,144 rows
    r.longestSequence = 2048;
    r.methods = methods;
    return r;
}

}  // namespace

QS_TEST(seventy_b_parts_match_the_arithmetic) {
    const std::vector<QuantMethod> gptq{QuantMethod::Gptq};
    const WorkingSet w = estimateWorkingSet(llama3_70b(), gptqCalibration(gptq));

    // One block: q and o are 8192 x 8192 (134,217,728 both), k and v 1024 x 8192
    // (16,777,216 both), gate, up, down 8192 x 28672 (704,643,072 all three),
    // two norms of 8192: 855,654,400 parameters; two blocks at 2 bytes.
    QS_CHECK_EQ(w.blocks, int64_t(2) * 855'654'400 * 2);  // 3,422,617,600
    // 262,144 rows x 8192 x 4 bytes.
    QS_CHECK_EQ(w.hidden, int64_t(8'589'934'592));
    // 4096 rows x (normed 8192 + q 8192 + attention 8192 + k 1024 + v 1024
    // + gate 28672 + up 28672 = 83,968) x 4 bytes.
    QS_CHECK_EQ(w.scratch, int64_t(4096) * 83'968 * 4);  // 1,375,731,712
    // 64 heads x 2048 x 2048 scores x 4 bytes.
    QS_CHECK_EQ(w.attention, int64_t(1'073'741'824));
    // down_proj's Hessian 28672^2 x 8 = 6,576,668,672 bytes, three of them
    // (the stage's, the factored copy, U), plus its weights in float64:
    // 8192 x 28672 x 8 = 1,879,048,192.
    QS_CHECK_EQ(w.method, int64_t(3) * 6'576'668'672 + 1'879'048'192);  // 21,609,054,208
    // Head: (128256 + 1) x 8192 x 2 bytes = 2,101,362,688; its chunk is
    // 256 MiB / (128256 x 4) = 523 rows of normed 8192 + logits 128256 floats
    // = 285,449,216 bytes.
    QS_CHECK_EQ(w.head, int64_t(2'101'362'688) + 285'449'216);
    // Blocks run with the head released: hidden + blocks + scratch + attention + method.
    const int64_t total = 8'589'934'592 + 3'422'617'600 + 1'375'731'712 + 1'073'741'824 + 21'609'054'208;
    QS_CHECK_EQ(w.total(), total);  // 36,071,079,936 bytes
    QS_CHECK(w.total() < kGpuBytes);
    std::printf("Llama-3-70B GPTQ 128 x 2048, BF16 blocks: %s\n", workingSetLine(w).c_str());
}

QS_TEST(seventy_b_evaluation_and_other_methods) {
    WorkingSetRequest eval = gptqCalibration({});
    const WorkingSet e = estimateWorkingSet(llama3_70b(), eval);
    QS_CHECK_EQ(e.method, 0);
    const std::vector<QuantMethod> rtn{QuantMethod::Rtn};
    QS_CHECK_EQ(estimateWorkingSet(llama3_70b(), gptqCalibration(rtn)).total(), e.total());

    // AWQ keeps every input site [262,144, in]: in = 8192 (q/k/v) + 8192 (o)
    // + 8192 (gate/up) + 28672 (down) = 53,248 floats a row; its search keeps
    // gate + up's reference outputs (262,144 x 57,344 floats) and candidate
    // weights (57,344 x 8192 floats); statistics 2 x 28672 float64.
    const int64_t awq = int64_t(262'144) * 53'248 * 4 + int64_t(262'144) * 57'344 * 4 + int64_t(57'344) * 8192 * 4 +
                        2 * 28'672 * 8;
    QS_CHECK_EQ(methodWorkingSetBytes(llama3_70b(), QuantMethod::Awq, 128 * 2048), awq);
    // With 128 x 2048 tokens that is 117.8 GB: the smoothing methods need fewer
    // calibration tokens on a 70B model (reported, not hidden).
    QS_CHECK(awq > kGpuBytes);
    const std::vector<QuantMethod> mixed{QuantMethod::Rtn, QuantMethod::Gptq, QuantMethod::Awq};
    QS_CHECK_EQ(estimateWorkingSet(llama3_70b(), gptqCalibration(mixed)).method, awq);  // the largest method counts

    const nlohmann::json j = workingSetJson(e);
    QS_CHECK_EQ(j.at("total_bytes").get<int64_t>(), e.total());
    QS_CHECK_EQ(j.at("blocks_bytes").get<int64_t>(), e.blocks);
    QS_CHECK_THROWS_WITH(estimateWorkingSet(llama3_70b(), [] {
                             WorkingSetRequest r;
                             r.weights = DType::Q4_0;
                             return r;
                         }()),
                         "plain dtype");
}

// The scratch part is what BlockScratch really holds after one chunk.
QS_TEST(scratch_matches_the_forward_pass_buffers) {
    const auto ckpt = openCheckpoint(qs::test::sharedDir() + "/models/qs-tiny-llama/model.safetensors");
    const LlamaModel model(*ckpt);
    const ModelConfig& c = model.config();
    const int64_t rows = 37;
    std::vector<float> hidden(size_t(rows * c.hiddenSize), 0.01f);
    const int64_t starts[] = {0, rows};
    const RopeTable rope = makeRopeTable(model.ropeInverseFrequencies(), rows);
    BlockScratch scratch;
    forwardDecoderBlock(c, model.loadBlock(0), rope, model.ropeLayout(), hidden.data(), starts, 1, scratch);
    const size_t floats = scratch.normed.size() + scratch.q.size() + scratch.k.size() + scratch.v.size() +
                          scratch.attention.size() + scratch.gate.size() + scratch.up.size();
    WorkingSetRequest r;
    r.tokens = rows;
    r.longestSequence = rows;
    const WorkingSet w = estimateWorkingSet(c, r);
    QS_CHECK_EQ(w.scratch, int64_t(floats * sizeof(float)));
    QS_CHECK_EQ(w.hidden, int64_t(hidden.size() * sizeof(float)));
}
