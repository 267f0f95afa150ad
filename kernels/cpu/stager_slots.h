// The two-slot bookkeeping of a BlockStager (backend.h), shared by the CPU
// and CUDA stagers so both refuse the same misuse: slots are filled in turn,
// the oldest filled one is acquired, and it must be released before its slot
// is filled again.
#pragma once

#include <stdexcept>

namespace qs {

class StagerSlots {
public:
    // The slot a new block goes to.
    int claimForStage() {
        if (filled_ == 2) throw std::logic_error("BlockStager: both slots are in use; release the acquired block first");
        return (head_ + filled_++) % 2;
    }
    // The oldest filled slot, now in use.
    int claimForAcquire() {
        if (filled_ == 0 || headAcquired_)
            throw std::logic_error(filled_ == 0 ? "BlockStager: nothing staged to acquire"
                                                : "BlockStager: the acquired block was not released");
        headAcquired_ = true;
        return head_;
    }
    // The slot released; it may be filled again.
    int releaseAcquired() {
        if (!headAcquired_) throw std::logic_error("BlockStager: release without an acquired block");
        const int slot = head_;
        head_ ^= 1;
        --filled_;
        headAcquired_ = false;
        return slot;
    }

private:
    int head_ = 0;    // the oldest filled slot
    int filled_ = 0;  // slots staged and not yet released
    bool headAcquired_ = false;
};

}  // namespace qs
