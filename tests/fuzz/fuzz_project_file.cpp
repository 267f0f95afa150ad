// A QuantScope project (.qsproj.h5): its runs and every stored KL base reference.
#include "fuzz_target.h"
#include "project/project_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = qs::fuzz::writeInput(data, size, "project.qsproj.h5");
    qs::fuzz::expectReaderErrorsOnly([&] { qs::listRuns(path); });
    qs::fuzz::expectReaderErrorsOnly([&] {
        std::vector<std::string> keys;
        {
            const qs::Hdf5File file = qs::Hdf5File::openRead(path);
            if (file.has("kl_base")) keys = file.group("kl_base").children();
        }
        for (const auto& key : keys) qs::loadBaseReference(path, key);
    });
    return 0;
}
