// A project file is checked against its seal before libhdf5 reads it:
// libhdf5 1.10 reads out of bounds (SIGSEGV in H5F__accum_read under
// H5Dopen2) on some corrupt metadata, found by fuzz_project_file.
#include <filesystem>
#include <fstream>

#include "check.h"
#include "project/project_file.h"

namespace fs = std::filesystem;

namespace {

std::string savedProject(const std::string& name) {
    const std::string path = qs::test::tempDir() + "/" + name;
    qs::RunRecord run;
    run.kind = "perplexity";
    run.metrics = {{"ppl", 12.25}};
    qs::addRun(path, run);
    qs::addRun(path, run);
    return path;
}

std::string bytesOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

}  // namespace

QS_TEST(a_saved_project_is_sealed_and_reads_back) {
    const std::string path = savedProject("sealed.qsproj.h5");
    QS_CHECK(bytesOf(path).starts_with("QuantScope HDF5 seal 1\n"));
    QS_CHECK_EQ(qs::listRuns(path).size(), size_t(2));
}

QS_TEST(a_byte_changed_after_saving_is_refused_before_hdf5_reads_it) {
    const std::string path = savedProject("flipped.qsproj.h5");
    std::string bytes = bytesOf(path);
    QS_CHECK(bytes.size() > qs::kHdf5SealBytes + 100);
    bytes[bytes.size() / 2] ^= 0x10;
    overwrite(path, bytes);
    const std::string msg = qs::test::thrownMessage([&] { qs::listRuns(path); });
    QS_CHECK(msg.find(path) != std::string::npos);
    QS_CHECK(msg.find("corrupt") != std::string::npos);
}

QS_TEST(a_truncated_project_is_refused) {
    const std::string path = savedProject("truncated.qsproj.h5");
    fs::resize_file(path, fs::file_size(path) - 1);
    QS_CHECK(qs::test::thrownMessage([&] { qs::listRuns(path); }).find("corrupt") != std::string::npos);
}

QS_TEST(a_damaged_seal_is_refused) {
    const std::string path = savedProject("damaged-seal.qsproj.h5");
    std::string bytes = bytesOf(path);
    bytes[3] = 'X';
    overwrite(path, bytes);
    QS_CHECK(qs::test::thrownMessage([&] { qs::listRuns(path); }).find("not an HDF5 file") != std::string::npos);
}
