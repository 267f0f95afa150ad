#include "quant/export_fake.h"

#include <filesystem>
#include <memory>

#include "formats/format_error.h"
#include "formats/staged_directory.h"
#include "formats/tensor_names.h"
#include "quant/activation_record.h"
#include "quant/export_rotary_order.h"
#include "quant/export_tokenizer.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

// The writer asks for tensors in name order, which keeps each block's
// tensors together; holding the last block loaded makes one call per block.
// Each block's input rounding is noted as it comes, for the record.
class LastBlock {
public:
    explicit LastBlock(const QuantizedBlockSource& source) : source_(source) {}
    const DecoderBlockWeights& get(int block) {
        if (!weights_ || weights_->block != block) {
            weights_ = std::make_unique<DecoderBlockWeights>(source_(block));
            weights_->block = block;
            for (int p = 0; p < kProjectionCount; ++p)
                if (const InputQuant& q = weights_->linear[size_t(p)].inputQuant; q.format != InputQuant::Format::None)
                    activations_[linearTensorName(block, p)] = q;
        }
        return *weights_;
    }
    const ActivationRecord& activations() const { return activations_; }

private:
    const QuantizedBlockSource& source_;
    std::unique_ptr<DecoderBlockWeights> weights_;
    ActivationRecord activations_;
};

}  // namespace

void writeFakeQuantExport(const Checkpoint& src, const QuantizedBlockSource& blocks, const ExportOptions& options,
                          const std::string& outDir) {
    const DType dtype = exportDtype(src, options);
    StagedDirectory stage(outDir, options.overwrite);
    const std::string modelFile = (fs::path(stage.path()) / "model.safetensors").string();

    auto lastBlock = std::make_shared<LastBlock>(blocks);
    std::vector<SafetensorsTensor> tensors;
    for (const TensorView& t : src.tensors()) {
        // Block norms carry the scales SmoothQuant and AWQ fold into them: they
        // come from the quantized block, like the linears.
        if (const auto norm = parseBlockNormName(t.name)) {
            SafetensorsTensor out{t.name, dtype, t.shape, {}, {}};
            out.produce = [lastBlock, norm, dtype] {
                const DecoderBlockWeights& b = lastBlock->get(norm->block);
                const std::vector<float>& w = norm->postAttention ? b.postAttentionNorm : b.inputNorm;
                return encodeFloats(w.data(), int64_t(w.size()), dtype);
            };
            tensors.push_back(std::move(out));
            continue;
        }
        const auto linear = parseLinearName(t.name);
        if (!linear) {
            tensors.push_back(sourceTensorAs(t, dtype));
            continue;
        }
        SafetensorsTensor out{t.name, dtype, t.shape, {}, {}};
        const TensorView* view = &t;
        out.produce = [lastBlock, linear, view, dtype, &src, order = exportRowOrder(src.config, linear->projection)] {
            const LinearWeights& l = lastBlock->get(linear->block).linear[static_cast<size_t>(linear->projection)];
            if (static_cast<int64_t>(l.w.size()) != view->numel() || l.outFeatures != view->rows())
                throw FormatError(src.path, "quantized block " + std::to_string(linear->block) + " gives " +
                                                std::to_string(l.outFeatures) + " x " + std::to_string(l.inFeatures) +
                                                " weights for " + view->name + ", which has " +
                                                std::to_string(view->rows()) + " x " + std::to_string(view->cols()));
            if (order) return encodeFloats(reorderRows(l.w, l.inFeatures, *order).data(), view->numel(), dtype);
            return encodeFloats(l.w.data(), view->numel(), dtype);
        };
        tensors.push_back(std::move(out));
    }
    writeSafetensorsFile(modelFile, std::move(tensors), {{"format", "pt"}});
    writeJsonFile((fs::path(stage.path()) / "config.json").string(), exportConfigJson(src, dtype));
    writeExportTokenizer(src, stage.path());
    writeQuantizationRecord(stage.path(), "fake", dtype, options, activationRecordJson(lastBlock->activations()));
    stage.commit();
}

}  // namespace qs
