// A thin RAII layer over the HDF5 C API, just what the project file needs:
// groups, scalar attributes (numbers, short strings), 1-D numeric datasets and
// string datasets (JSON documents of any length). Every failure throws
// Hdf5Error naming the file and the object, never prints HDF5's error stack.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <hdf5.h>

namespace qs {

struct Hdf5Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An open HDF5 object (file or group); closes it when destroyed.
class Hdf5Node {
public:
    Hdf5Node() = default;
    Hdf5Node(hid_t id, std::string path, std::string file);
    Hdf5Node(Hdf5Node&& other) noexcept;
    Hdf5Node& operator=(Hdf5Node&& other) noexcept;
    Hdf5Node(const Hdf5Node&) = delete;
    Hdf5Node& operator=(const Hdf5Node&) = delete;
    ~Hdf5Node();

    hid_t id() const { return id_; }
    // "file.h5:/stats/model.norm.weight", for error messages.
    std::string where(const std::string& child = {}) const;

    bool has(const std::string& name) const;
    Hdf5Node group(const std::string& name) const;        // existing; throws when missing
    Hdf5Node createGroup(const std::string& name) const;  // new
    std::vector<std::string> children() const;             // in creation order
    void remove(const std::string& name) const;            // unlinks a child (no-op when absent)
    // Copies child `name` (a group with everything under it, or a dataset) into `dest`.
    void copyChild(const std::string& name, const Hdf5Node& dest) const;

    void setAttr(const std::string& name, double value) const;
    void setAttr(const std::string& name, int64_t value) const;
    void setAttr(const std::string& name, const std::string& value) const;
    double attrDouble(const std::string& name) const;
    int64_t attrInt(const std::string& name) const;
    std::string attrString(const std::string& name) const;

    void writeDoubles(const std::string& name, const std::vector<double>& values) const;
    void writeFloats(const std::string& name, const std::vector<float>& values) const;
    void writeUInt64s(const std::string& name, const std::vector<uint64_t>& values) const;
    void writeInt64s(const std::string& name, const std::vector<int64_t>& values) const;
    void writeInt32s(const std::string& name, const std::vector<int32_t>& values) const;
    void writeString(const std::string& name, const std::string& text) const;
    std::vector<double> readDoubles(const std::string& name) const;
    std::vector<float> readFloats(const std::string& name) const;
    std::vector<uint64_t> readUInt64s(const std::string& name) const;
    std::vector<int64_t> readInt64s(const std::string& name) const;
    std::vector<int32_t> readInt32s(const std::string& name) const;
    std::string readString(const std::string& name) const;

protected:
    void close();

    hid_t id_ = H5I_INVALID_HID;
    std::string path_;  // path inside the file ("/" for the file itself)
    std::string file_;

private:
    void write(const std::string& name, hid_t memType, const void* data, size_t n) const;
    void read(const std::string& name, hid_t memType, void* data, size_t n) const;
    size_t datasetLength(const std::string& name) const;
};

class Hdf5File : public Hdf5Node {
public:
    // A file that carries a seal (sealHdf5File) is checked against it before
    // libhdf5 sees a byte: libhdf5 1.10 crashes (reads out of bounds) on some
    // corrupt metadata instead of failing, so a damaged project must be turned
    // away first. Files without a seal (written before seals existed) open as they are.
    static Hdf5File openRead(const std::string& path);
    // Truncates; reserves kHdf5SealBytes at the start (an HDF5 user block) for the seal.
    static Hdf5File create(const std::string& path);
    // Flushes and closes; errors surface here rather than in the destructor.
    void close();

private:
    using Hdf5Node::Hdf5Node;
};

// Writes a new file at `path` atomically: `fill` writes into a temporary file
// beside it, which is closed and renamed over `path` only when fill returns.
// On any exception the temporary file is removed and `path` is left untouched.
template <typename Fill>
void writeHdf5Atomically(const std::string& path, Fill&& fill);

// The user block at the start of every file QuantScope writes: the seal
// holds a checksum (FNV-1a) and the length of everything after it.
constexpr size_t kHdf5SealBytes = 512;
// Writes the seal of a closed file made by Hdf5File::create.
void sealHdf5File(const std::string& path);

std::string temporarySibling(const std::string& path);
void commitTemporary(const std::string& tmp, const std::string& path);
void discardTemporary(const std::string& tmp) noexcept;

template <typename Fill>
void writeHdf5Atomically(const std::string& path, Fill&& fill) {
    const std::string tmp = temporarySibling(path);
    try {
        Hdf5File file = Hdf5File::create(tmp);
        fill(static_cast<const Hdf5Node&>(file));
        file.close();
        sealHdf5File(tmp);
        commitTemporary(tmp, path);
    } catch (...) {
        discardTemporary(tmp);
        throw;
    }
}

}  // namespace qs
