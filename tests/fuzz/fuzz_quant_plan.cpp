// A quantization plan file, loaded and checked against a small model (the
// check runs every override's regex against every layer name).
#include "fuzz_target.h"
#include "quant/quant_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = qs::fuzz::writeInput(data, size, "plan.json");
    qs::fuzz::expectReaderErrorsOnly([&] {
        const qs::QuantPlan plan = qs::loadQuantPlan(path);
        qs::ModelConfig config;
        config.hiddenSize = 64;
        config.intermediateSize = 172;
        config.numLayers = 3;
        config.numHeads = 8;
        config.numKvHeads = 4;
        config.headDim = 8;
        config.vocabSize = 512;
        qs::checkAgainstModel(plan, config);
    });
    return 0;
}
