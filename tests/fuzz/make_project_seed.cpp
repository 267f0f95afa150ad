// Writes the seed project for fuzz_project_file: no project file ships in
// ../shared, so one is made with the real writer (two runs and a KL base
// reference, every kind of object the reader walks).
#include <cstdio>

#include "project/project_file.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT.qsproj.h5\n", argv[0]);
        return 2;
    }
    const std::string path = argv[1];
    std::remove(path.c_str());
    for (const char* kind : {"ppl", "kl"}) {
        qs::RunRecord run;
        run.kind = kind;
        run.model = "qs-tiny-llama";
        run.plan = "rtn w4 g128";
        run.dataset = "wikitext-2";
        run.seconds = 1.5;
        run.settings = {{"ctx", 128}, {"windows", 2}};
        run.metrics = {{"ppl", 21.5}, {"ppl_stderr", 0.4}};
        qs::addRun(path, run);
    }
    qs::BaseReference ref;
    ref.logProbs.vocab = 2048;
    ref.logProbs.k = 2;
    ref.logProbs.ids = {5, 9, 7, 1};
    ref.logProbs.logProbs = {-0.1f, -2.5f, -0.3f, -1.9f};
    ref.perplexity.ctx = 2;
    ref.perplexity.windows = 1;
    ref.perplexity.tokens = 2;
    ref.perplexity.nll = 1.2;
    ref.perplexity.ppl = 3.3;
    qs::saveBaseReference(path, "0123456789abcdef", ref);
    return 0;
}
