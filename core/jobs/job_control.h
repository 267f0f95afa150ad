// How long-running core work reports progress and learns it was cancelled.
// Core owns no threads: the caller (CLI, GUI worker) runs the work and
// passes a JobControl; the work calls step() between units and stops with
// JobCancelled when asked.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <string>

namespace qs {

struct JobCancelled : std::exception {
    const char* what() const noexcept override { return "cancelled"; }
};

class JobControl {
public:
    using ProgressFn = std::function<void(double fraction, const std::string& stage)>;

    JobControl() = default;
    explicit JobControl(ProgressFn progress) : progress_(std::move(progress)) {}

    void requestCancel() { cancel_.store(true, std::memory_order_relaxed); }
    bool cancelRequested() const { return cancel_.load(std::memory_order_relaxed); }

    // Report progress in [0, 1]; throws JobCancelled when cancel was requested.
    void step(double fraction, const std::string& stage = {}) const {
        if (cancelRequested()) throw JobCancelled();
        if (progress_) progress_(fraction, stage);
    }

private:
    ProgressFn progress_;
    std::atomic<bool> cancel_{false};
};

}  // namespace qs
