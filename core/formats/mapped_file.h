// A read-only memory mapping of a whole file; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qs {

class MappedFile {
public:
    explicit MappedFile(const std::string& path);  // throws FormatError
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::string& path() const { return path_; }
    const std::byte* data() const { return data_; }
    int64_t size() const { return size_; }
    int64_t mtimeNs() const { return mtimeNs_; }

private:
    std::string path_;
    const std::byte* data_ = nullptr;
    int64_t size_ = 0;
    int64_t mtimeNs_ = 0;
};

}  // namespace qs
