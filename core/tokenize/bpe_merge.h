// The merge loop every BPE tokenizer here shares: repeatedly merge the
// adjacent pair of symbols with the highest priority (leftmost on ties) until
// no adjacent pair may merge. A priority queue with lazy invalidation keeps it
// O(n log n) over the whole text, as in sentencepiece bpe_model.cc, llama.cpp
// llm_tokenizer_spm and Hugging Face tokenizers Word::merge_all; the naive
// "scan for the best pair, merge, rescan" loop of llama2.c run.c is O(n^2).
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

namespace qs::bpe {

// Symbols address the text with 32-bit offsets.
inline void checkMergeableLength(size_t bytes) {
    if (bytes > UINT32_MAX)
        throw std::length_error("BPE input of " + std::to_string(bytes) + " bytes: split it below 4 GiB");
}

// A symbol is the byte range [begin, end) of the text being merged.
struct Symbol {
    uint32_t begin = 0;
    uint32_t end = 0;
    int32_t id = -1;      // token id of the range, -1 when it is not a token
    bool frozen = false;  // never merges (sentencepiece user-defined pieces)
    int32_t prev = -1;    // neighbours while merging
    int32_t next = -1;
};

// What merging two neighbours gives: a priority (higher merges first) and the
// token id of the merged range.
struct PairMerge {
    double priority = 0;
    int32_t id = -1;
};

// `symbols` must tile the text in order (each begins where the previous one
// ends). `pairMerge(left, right)` returns std::optional<PairMerge>: nullopt
// when the pair never merges. Returns the symbols left after merging, in order.
template <class PairMergeFn>
std::vector<Symbol> mergeAdjacent(std::vector<Symbol> symbols, PairMergeFn&& pairMerge) {
    struct Candidate {
        double priority;
        int32_t left;
        int32_t right;
        int32_t id;
        uint32_t size;  // bytes of the merged range when queued: tells a stale entry
    };
    // Highest priority first; on equal priority the leftmost pair first.
    const auto lowerFirst = [](const Candidate& a, const Candidate& b) {
        return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(lowerFirst)> queue(lowerFirst);

    const int32_t n = int32_t(symbols.size());
    for (int32_t i = 0; i < n; ++i) {
        symbols[i].prev = i - 1;
        symbols[i].next = i + 1 < n ? i + 1 : -1;
    }
    const auto consider = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = symbols[left];
        const Symbol& r = symbols[right];
        if (l.frozen || r.frozen) return;
        if (const std::optional<PairMerge> m = pairMerge(l, r))
            queue.push({m->priority, left, right, m->id, r.end - l.begin});
    };
    for (int32_t i = 0; i + 1 < n; ++i) consider(i, i + 1);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& l = symbols[c.left];
        Symbol& r = symbols[c.right];
        // A symbol only grows by absorbing its right neighbour, so the pair is
        // still the queued one exactly when both live, touch and keep their size.
        const bool alive = l.end > l.begin && r.end > r.begin && l.next == c.right;
        if (!alive || r.end - l.begin != c.size) continue;
        l.end = r.end;
        l.id = c.id;
        l.next = r.next;
        if (r.next >= 0) symbols[r.next].prev = c.left;
        r.end = r.begin;  // dead
        consider(l.prev, c.left);
        consider(c.left, l.next);
    }

    std::vector<Symbol> out;
    for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = symbols[i].next) out.push_back(symbols[i]);
    return out;
}

}  // namespace qs::bpe
