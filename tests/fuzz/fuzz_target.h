// What every reader harness shares. A harness defines libFuzzer's entry point
// and runs one reader on the bytes; the same object links into libFuzzer
// (QS_FUZZ) or into mutation_driver.cpp (plain main, every build).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tensor/tensor_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace qs::fuzz {

// Writes the input to `fileName` inside a private directory of this process
// (created on first use, removed at exit) and returns its path: most readers
// take a path, and some pick their parser by the file's name.
std::string writeInput(const uint8_t* data, size_t size, std::string_view fileName);
// The private directory, for harnesses that need sibling files.
const std::string& inputDir();

[[noreturn]] void unexpectedException(const std::exception& e);

// Runs `read`; the errors a reader is meant to throw on bad input
// (std::runtime_error and its FormatError / Hdf5Error / regex_error children,
// std::invalid_argument) are the expected outcome. Anything else escaping a
// reader (json::type_error, std::out_of_range, std::bad_alloc, ...) means a
// missing check: it is reported and the process aborts, like a crash.
template <typename Fn>
void expectReaderErrorsOnly(Fn&& read) {
    try {
        read();
    } catch (const std::runtime_error&) {
    } catch (const std::invalid_argument&) {
    } catch (const std::exception& e) {
        unexpectedException(e);
    }
}

// Reads the first and last byte of a tensor, so ASan sees a view that points
// outside its mapping. Returns them to keep the reads alive.
unsigned touch(const TensorView& t);

}  // namespace qs::fuzz
