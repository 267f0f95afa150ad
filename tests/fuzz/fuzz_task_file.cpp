// A zero-shot task file, read as every task type (each jsonl layout, MMLU's CSV).
#include "eval/task_readers.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using qs::TaskType;
    const std::string path = qs::fuzz::writeInput(data, size, "valid.jsonl");
    for (TaskType type : {TaskType::HellaSwag, TaskType::Arc, TaskType::Piqa, TaskType::WinoGrande, TaskType::BoolQ,
                          TaskType::Lambada, TaskType::Mmlu, TaskType::OpenBookQa})
        qs::fuzz::expectReaderErrorsOnly([&] { qs::readTaskFile(path, type); });
    return 0;
}
