#include "project/hdf5_file.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>

#include <unistd.h>

#include "project/fnv1a.h"

namespace qs {
namespace {

// HDF5 prints its error stack to stderr by default; errors here become
// exceptions instead. The setting is per thread in thread-safe HDF5 builds
// (Debian's), so each thread that opens a file turns it off once.
void silenceHdf5Errors() {
    thread_local bool silenced = false;
    if (!silenced) H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
}

// Closes whatever kind of HDF5 id it holds.
struct Handle {
    hid_t id;
    explicit Handle(hid_t h) : id(h) {}
    ~Handle() {
        if (id >= 0) H5Idec_ref(id);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
};

constexpr std::string_view kSealMagic = "QuantScope HDF5 seal 1\n";
constexpr std::string_view kHdf5Signature = "\x89HDF\r\n\x1a\n";

// FNV-1a and length of everything after the seal.
struct SealedContent {
    uint64_t hash = kFnv1aSeed;
    uint64_t bytes = 0;
};

SealedContent hashAfterSeal(std::FILE* f) {
    SealedContent c;
    std::vector<char> buf(size_t(1) << 20);
    if (std::fseek(f, long(kHdf5SealBytes), SEEK_SET) != 0) return c;
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), f)) > 0;) {
        c.hash = fnv1a64(buf.data(), n, c.hash);
        c.bytes += n;
    }
    return c;
}

std::string sealText(const SealedContent& c) {
    char text[96];
    std::snprintf(text, sizeof text, "%.*sfnv1a64 %016llx bytes %llu\n", int(kSealMagic.size()), kSealMagic.data(),
                  static_cast<unsigned long long>(c.hash), static_cast<unsigned long long>(c.bytes));
    return text;
}

// A sealed file must match its seal; an unsealed one must be HDF5 from byte 0
// (written before seals). Anything else is refused before libhdf5 reads it.
void checkSeal(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) throw Hdf5Error(path + ": cannot open");
    std::string head(kHdf5SealBytes, '\0');
    head.resize(std::fread(head.data(), 1, head.size(), f.get()));
    if (head.starts_with(kHdf5Signature)) return;
    if (!head.starts_with(kSealMagic)) throw Hdf5Error(path + ": not an HDF5 file (truncated or corrupt?)");
    const std::string expected = sealText(hashAfterSeal(f.get()));
    if (head.size() < kHdf5SealBytes || head.compare(0, expected.size(), expected) != 0)
        throw Hdf5Error(path + ": corrupt: its contents no longer match the checksum written with them "
                               "(truncated or changed since it was saved)");
}

std::string childPath(const std::string& parent, const std::string& name) {
    return parent == "/" ? "/" + name : parent + "/" + name;
}

// Opens an attribute by name, or a new scalar one of `type` (replacing an old one).
hid_t replaceScalarAttr(hid_t owner, const std::string& name, hid_t type) {
    if (H5Aexists(owner, name.c_str()) > 0) H5Adelete(owner, name.c_str());
    Handle space(H5Screate(H5S_SCALAR));
    return H5Acreate2(owner, name.c_str(), type, space.id, H5P_DEFAULT, H5P_DEFAULT);
}

}  // namespace

Hdf5Node::Hdf5Node(hid_t id, std::string path, std::string file)
    : id_(id), path_(std::move(path)), file_(std::move(file)) {}

Hdf5Node::Hdf5Node(Hdf5Node&& other) noexcept
    : id_(other.id_), path_(std::move(other.path_)), file_(std::move(other.file_)) {
    other.id_ = H5I_INVALID_HID;
}

Hdf5Node& Hdf5Node::operator=(Hdf5Node&& other) noexcept {
    if (this != &other) {
        close();
        id_ = other.id_;
        path_ = std::move(other.path_);
        file_ = std::move(other.file_);
        other.id_ = H5I_INVALID_HID;
    }
    return *this;
}

Hdf5Node::~Hdf5Node() { close(); }

void Hdf5Node::close() {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = H5I_INVALID_HID;
}

std::string Hdf5Node::where(const std::string& child) const {
    return file_ + ":" + (child.empty() ? path_ : childPath(path_, child));
}

bool Hdf5Node::has(const std::string& name) const { return H5Lexists(id_, name.c_str(), H5P_DEFAULT) > 0; }

Hdf5Node Hdf5Node::group(const std::string& name) const {
    if (!has(name)) throw Hdf5Error(where(name) + ": missing group");
    hid_t g = H5Gopen2(id_, name.c_str(), H5P_DEFAULT);
    if (g < 0) throw Hdf5Error(where(name) + ": not a readable group");
    return Hdf5Node(g, childPath(path_, name), file_);
}

Hdf5Node Hdf5Node::createGroup(const std::string& name) const {
    // Track creation order so children() lists groups as they were written.
    Handle props(H5Pcreate(H5P_GROUP_CREATE));
    H5Pset_link_creation_order(props.id, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t g = H5Gcreate2(id_, name.c_str(), H5P_DEFAULT, props.id, H5P_DEFAULT);
    if (g < 0) throw Hdf5Error(where(name) + ": cannot create group");
    return Hdf5Node(g, childPath(path_, name), file_);
}

std::vector<std::string> Hdf5Node::children() const {
    std::vector<std::string> names;
    H5G_info_t info;
    if (H5Gget_info(id_, &info) < 0) throw Hdf5Error(where() + ": cannot list");
    // Creation order when the group tracks it, else by name.
    Handle props(H5Gget_create_plist(id_));
    unsigned flags = 0;
    H5Pget_link_creation_order(props.id, &flags);
    const H5_index_t index = (flags & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        ssize_t len = H5Lget_name_by_idx(id_, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (len < 0) throw Hdf5Error(where() + ": cannot read a link name");
        std::string name(static_cast<size_t>(len), '\0');
        H5Lget_name_by_idx(id_, ".", index, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
        names.push_back(std::move(name));
    }
    return names;
}

void Hdf5Node::remove(const std::string& name) const {
    if (has(name) && H5Ldelete(id_, name.c_str(), H5P_DEFAULT) < 0) throw Hdf5Error(where(name) + ": cannot remove");
}

void Hdf5Node::copyChild(const std::string& name, const Hdf5Node& dest) const {
    if (H5Ocopy(id_, name.c_str(), dest.id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
        throw Hdf5Error(where(name) + ": cannot copy to " + dest.where(name));
}

void Hdf5Node::setAttr(const std::string& name, double value) const {
    Handle a(replaceScalarAttr(id_, name, H5T_IEEE_F64LE));
    if (a.id < 0 || H5Awrite(a.id, H5T_NATIVE_DOUBLE, &value) < 0) throw Hdf5Error(where() + ": cannot write " + name);
}

void Hdf5Node::setAttr(const std::string& name, int64_t value) const {
    Handle a(replaceScalarAttr(id_, name, H5T_STD_I64LE));
    if (a.id < 0 || H5Awrite(a.id, H5T_NATIVE_INT64, &value) < 0) throw Hdf5Error(where() + ": cannot write " + name);
}

void Hdf5Node::setAttr(const std::string& name, const std::string& value) const {
    Handle type(H5Tcopy(H5T_C_S1));
    H5Tset_size(type.id, value.size() + 1);
    H5Tset_cset(type.id, H5T_CSET_UTF8);
    Handle a(replaceScalarAttr(id_, name, type.id));
    if (a.id < 0 || H5Awrite(a.id, type.id, value.c_str()) < 0) throw Hdf5Error(where() + ": cannot write " + name);
}

double Hdf5Node::attrDouble(const std::string& name) const {
    Handle a(H5Aopen(id_, name.c_str(), H5P_DEFAULT));
    double v = 0;
    if (a.id < 0 || H5Aread(a.id, H5T_NATIVE_DOUBLE, &v) < 0) throw Hdf5Error(where() + ": missing attribute " + name);
    return v;
}

int64_t Hdf5Node::attrInt(const std::string& name) const {
    Handle a(H5Aopen(id_, name.c_str(), H5P_DEFAULT));
    int64_t v = 0;
    if (a.id < 0 || H5Aread(a.id, H5T_NATIVE_INT64, &v) < 0) throw Hdf5Error(where() + ": missing attribute " + name);
    return v;
}

std::string Hdf5Node::attrString(const std::string& name) const {
    Handle a(H5Aopen(id_, name.c_str(), H5P_DEFAULT));
    if (a.id < 0) throw Hdf5Error(where() + ": missing attribute " + name);
    Handle type(H5Aget_type(a.id));
    if (H5Tget_class(type.id) != H5T_STRING || H5Tis_variable_str(type.id) > 0)
        throw Hdf5Error(where() + ": attribute " + name + " is not a fixed-length string");
    std::string s(H5Tget_size(type.id), '\0');
    if (H5Aread(a.id, type.id, s.data()) < 0) throw Hdf5Error(where() + ": cannot read attribute " + name);
    s.resize(std::char_traits<char>::length(s.c_str()));
    return s;
}

void Hdf5Node::write(const std::string& name, hid_t memType, const void* data, size_t n) const {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    Handle space(H5Screate_simple(1, dims, nullptr));
    Handle d(H5Dcreate2(id_, name.c_str(), memType, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (d.id < 0 || (n > 0 && H5Dwrite(d.id, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        throw Hdf5Error(where(name) + ": cannot write dataset");
}

size_t Hdf5Node::datasetLength(const std::string& name) const {
    Handle d(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
    if (d.id < 0) throw Hdf5Error(where(name) + ": missing dataset");
    Handle space(H5Dget_space(d.id));
    if (H5Sget_simple_extent_ndims(space.id) != 1) throw Hdf5Error(where(name) + ": expected a 1-D dataset");
    hsize_t dims[1] = {0};
    H5Sget_simple_extent_dims(space.id, dims, nullptr);
    return static_cast<size_t>(dims[0]);
}

void Hdf5Node::read(const std::string& name, hid_t memType, void* data, size_t n) const {
    if (n == 0) return;
    Handle d(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
    if (d.id < 0 || H5Dread(d.id, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        throw Hdf5Error(where(name) + ": cannot read dataset");
}

void Hdf5Node::writeDoubles(const std::string& name, const std::vector<double>& v) const {
    write(name, H5T_NATIVE_DOUBLE, v.data(), v.size());
}
void Hdf5Node::writeFloats(const std::string& name, const std::vector<float>& v) const {
    write(name, H5T_NATIVE_FLOAT, v.data(), v.size());
}
void Hdf5Node::writeUInt64s(const std::string& name, const std::vector<uint64_t>& v) const {
    write(name, H5T_NATIVE_UINT64, v.data(), v.size());
}
void Hdf5Node::writeInt64s(const std::string& name, const std::vector<int64_t>& v) const {
    write(name, H5T_NATIVE_INT64, v.data(), v.size());
}
void Hdf5Node::writeInt32s(const std::string& name, const std::vector<int32_t>& v) const {
    write(name, H5T_NATIVE_INT32, v.data(), v.size());
}
// Text is stored as bytes (a 1-D uint8 dataset): no length limit, no terminator games.
void Hdf5Node::writeString(const std::string& name, const std::string& text) const {
    write(name, H5T_NATIVE_UCHAR, text.data(), text.size());
}

std::vector<double> Hdf5Node::readDoubles(const std::string& name) const {
    std::vector<double> v(datasetLength(name));
    read(name, H5T_NATIVE_DOUBLE, v.data(), v.size());
    return v;
}
std::vector<float> Hdf5Node::readFloats(const std::string& name) const {
    std::vector<float> v(datasetLength(name));
    read(name, H5T_NATIVE_FLOAT, v.data(), v.size());
    return v;
}
std::vector<uint64_t> Hdf5Node::readUInt64s(const std::string& name) const {
    std::vector<uint64_t> v(datasetLength(name));
    read(name, H5T_NATIVE_UINT64, v.data(), v.size());
    return v;
}
std::vector<int64_t> Hdf5Node::readInt64s(const std::string& name) const {
    std::vector<int64_t> v(datasetLength(name));
    read(name, H5T_NATIVE_INT64, v.data(), v.size());
    return v;
}
std::vector<int32_t> Hdf5Node::readInt32s(const std::string& name) const {
    std::vector<int32_t> v(datasetLength(name));
    read(name, H5T_NATIVE_INT32, v.data(), v.size());
    return v;
}
std::string Hdf5Node::readString(const std::string& name) const {
    std::string s(datasetLength(name), '\0');
    read(name, H5T_NATIVE_UCHAR, s.data(), s.size());
    return s;
}

Hdf5File Hdf5File::openRead(const std::string& path) {
    silenceHdf5Errors();
    if (!std::filesystem::exists(path)) throw Hdf5Error(path + ": no such file");
    checkSeal(path);
    if (H5Fis_hdf5(path.c_str()) <= 0) throw Hdf5Error(path + ": not an HDF5 file (truncated or corrupt?)");
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) throw Hdf5Error(path + ": cannot open as HDF5 (truncated or corrupt?)");
    return Hdf5File(f, "/", path);
}

Hdf5File Hdf5File::create(const std::string& path) {
    silenceHdf5Errors();
    Handle props(H5Pcreate(H5P_FILE_CREATE));
    H5Pset_link_creation_order(props.id, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_userblock(props.id, kHdf5SealBytes);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, props.id, H5P_DEFAULT);
    if (f < 0) throw Hdf5Error(path + ": cannot create");
    return Hdf5File(f, "/", path);
}

void Hdf5File::close() {
    if (id_ < 0) return;
    const hid_t f = id_;
    id_ = H5I_INVALID_HID;
    if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0 || H5Fclose(f) < 0) throw Hdf5Error(file_ + ": cannot write");
}

void sealHdf5File(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "r+b"), &std::fclose);
    if (!f) throw Hdf5Error(path + ": cannot open to seal");
    const std::string seal = sealText(hashAfterSeal(f.get()));
    if (std::fseek(f.get(), 0, SEEK_SET) != 0 || std::fwrite(seal.data(), 1, seal.size(), f.get()) != seal.size() ||
        std::fclose(f.release()) != 0)
        throw Hdf5Error(path + ": cannot write its seal");
}

std::string temporarySibling(const std::string& path) {
    return path + ".tmp-" + std::to_string(::getpid());
}

void commitTemporary(const std::string& tmp, const std::string& path) {
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Hdf5Error(path + ": cannot replace with " + tmp + ": " + ec.message());
}

void discardTemporary(const std::string& tmp) noexcept {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
}

}  // namespace qs
