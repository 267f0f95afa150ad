// A tiny test harness for the Qt-free tests (they also run on the GPU
// machine, which has no Qt). QS_TEST registers a case; failed checks are
// reported with file:line and the case continues; main prints
// "N passed, N failed" and exits non-zero on any failure. `binary NAME` runs
// only the case NAME; a NAME that matches no case is a failure that lists
// the cases.
#pragma once

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace qs::test {

struct Case {
    const char* name;
    std::function<void()> fn;
};
std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);
std::string sharedDir();   // ../shared (QS_SHARED_DIR at configure time)
std::string tempDir();     // a fresh directory for this test binary
inline std::string tinyModelDir() { return sharedDir() + "/models/qs-tiny-llama"; }  // the demo model

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

template <typename Fn>
std::string thrownMessage(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

}  // namespace qs::test

#define QS_TEST(name)                                                    \
    static void name();                                                  \
    static const ::qs::test::Registrar qs_registrar_##name(#name, name); \
    static void name()

#define QS_CHECK(cond) \
    do { if (!(cond)) ::qs::test::fail(__FILE__, __LINE__, "check failed: " #cond); } while (0)

#define QS_CHECK_EQ(a, b)                                                                      \
    do {                                                                                       \
        const auto& qs_a = (a);                                                                \
        const auto& qs_b = (b);                                                                \
        if (!(qs_a == qs_b)) {                                                                 \
            std::ostringstream qs_os;                                                          \
            qs_os << #a " == " #b " failed: " << qs_a << " vs " << qs_b;                       \
            ::qs::test::fail(__FILE__, __LINE__, qs_os.str());                                 \
        }                                                                                      \
    } while (0)

// |a - b| <= tol
#define QS_CHECK_NEAR(a, b, tol)                                                               \
    do {                                                                                       \
        const double qs_a = double(a), qs_b = double(b), qs_t = double(tol);                  \
        if (!(std::fabs(qs_a - qs_b) <= qs_t)) {                                               \
            std::ostringstream qs_os;                                                          \
            qs_os.precision(10);                                                               \
            qs_os << #a " ~ " #b " failed: " << qs_a << " vs " << qs_b << " (tol " << qs_t << ")"; \
            ::qs::test::fail(__FILE__, __LINE__, qs_os.str());                                 \
        }                                                                                      \
    } while (0)

// The expression must throw, and the message must contain `substr`.
#define QS_CHECK_THROWS_WITH(expr, substr)                                                     \
    do {                                                                                       \
        const std::string qs_msg = ::qs::test::thrownMessage([&] { (void)(expr); });           \
        if (qs_msg.find(substr) == std::string::npos)                                          \
            ::qs::test::fail(__FILE__, __LINE__, std::string(#expr " should throw \"") + (substr) + \
                                                     "\" but gave: " + qs_msg);                \
    } while (0)
