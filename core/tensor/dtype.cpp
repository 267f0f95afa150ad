#include "tensor/dtype.h"


namespace qs {

namespace {
struct DTypeInfo {
    DType type;
    std::string_view name;
    std::string_view altName;
    int64_t blockElems;
    int64_t blockBytes;
};

constexpr DTypeInfo kInfos[] = {
    {DType::F32, "F32", "F32", 1, 4},        {DType::F16, "F16", "F16", 1, 2},
    {DType::BF16, "BF16", "BF16", 1, 2},     {DType::F8E4M3, "F8_E4M3", "F8E4M3", 1, 1},
    {DType::I8, "I8", "I8", 1, 1},           {DType::I32, "I32", "I32", 1, 4},
    {DType::Q8_0, "Q8_0", "Q8_0", 32, 34},   {DType::Q4_0, "Q4_0", "Q4_0", 32, 18},
    {DType::Gptq2, "GPTQ2", "GPTQ2", 16, 4}, {DType::Gptq3, "GPTQ3", "GPTQ3", 32, 12},
    {DType::Gptq4, "GPTQ4", "GPTQ4", 8, 4},  {DType::Gptq8, "GPTQ8", "GPTQ8", 4, 4},
};

const DTypeInfo& info(DType t) { return kInfos[static_cast<int>(t)]; }
}  // namespace

std::string_view dtypeName(DType t) { return info(t).name; }

std::optional<DType> dtypeFromName(std::string_view name) {
    for (const auto& i : kInfos)
        if (i.name == name || i.altName == name) return i.type;
    return std::nullopt;
}

int64_t dtypeBlockElems(DType t) { return info(t).blockElems; }
int64_t dtypeBlockBytes(DType t) { return info(t).blockBytes; }

int64_t dtypeByteSize(DType t, int64_t elems) {
    const auto& i = info(t);
    if (elems < 0 || elems % i.blockElems != 0) return -1;
    return elems / i.blockElems * i.blockBytes;
}

}  // namespace qs
