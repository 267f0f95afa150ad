// Sweeps on the real model (qs-tiny-llama): every cell's run stores the same
// number a separate evaluation of that plan gives (the CLI's eval path:
// planBlockAdjuster + perplexityOfText), a rerun skips what is stored, and a
// sweep cancelled midway completes on the next run without duplicates.
#include <filesystem>
#include <map>
#include <string>

#include "analysis/sweep_grid.h"
#include "analysis/sweep_results.h"
#include "check.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "project/project_file.h"
#include "project/sweep_runner.h"
#include "quant/plan_adjuster.h"

using namespace qs;

namespace {

std::string tinyDir() { return qs::test::sharedDir() + "/models/qs-tiny-llama"; }
std::string wikiText() { return qs::test::sharedDir() + "/data/text/wikitext-2-raw.wiki.test.raw"; }
std::string bookText() { return qs::test::sharedDir() + "/data/text/frankenstein-heldout.txt"; }

constexpr int64_t kCtx = 128;
constexpr int64_t kWindows = 3;

SweepOptions smallSweep() {
    SweepOptions o;
    o.name = "test";
    o.grid = parseSweepGrid("rtn,gptq", "4,8", "128");
    o.metrics = {SweepMetric{RunKind::Perplexity, wikiText()}};
    o.ctx = kCtx;
    o.maxWindows = kWindows;
    o.calibPath = bookText();
    o.calib.sequences = 4;
    o.calib.length = 64;
    return o;
}

// The perplexity `quantscope-cli eval --method M --bits B --group G --calib ...` prints.
double separateEvalPpl(const LlamaModel& model, const Tokenizer& tok, const SweepCell& cell, const SweepOptions& o) {
    PerplexityOptions p;
    p.ctx = kCtx;
    p.maxWindows = kWindows;
    if (cell.plan) {
        const TokenBatch calib = calibrationFromFile(tok, *o.calibPath, o.calib, model.config());
        p.adjustBlock = planBlockAdjuster(model, *cell.plan, &calib);
    }
    return perplexityOfText(model, tok, readTextFile(wikiText()), wikiText(), p).ppl;
}

std::map<std::string, double> pplByCell(const std::vector<RunRecord>& runs) {
    std::map<std::string, double> ppl;
    for (const RunRecord& r : runs) ppl[r.settings["sweep"]["cell"].get<std::string>()] = r.metrics["ppl"].get<double>();
    return ppl;
}

}  // namespace

QS_TEST(grid_cells_keys_and_errors) {
    const auto cells = sweepCells(parseSweepGrid("rtn,awq", "2,8,4", "0,64"));
    QS_CHECK_EQ(cells.size(), size_t(1 + 2 * 3 * 2));
    QS_CHECK_EQ(cells[0].key(), std::string("base"));
    QS_CHECK(!cells[0].plan.has_value());
    QS_CHECK_EQ(cells[0].method, std::string("base"));
    QS_CHECK_EQ(cells[0].bits, 16);
    QS_CHECK_EQ(cells[1].key(), std::string("rtn-w8-pc"));  // bits descending
    QS_CHECK_EQ(cells[2].key(), std::string("rtn-w8-g64"));
    QS_CHECK_EQ(cells.back().key(), std::string("awq-w2-g64"));
    QS_CHECK_EQ(cells.back().plan->defaultSpec.groupSize, 64);
    QS_CHECK(cells.back().plan->defaultSpec.method == QuantMethod::Awq);
    QS_CHECK_THROWS_WITH(parseSweepGrid("rtn,foo", "4", "128"), "unknown method 'foo'");
    QS_CHECK_THROWS_WITH(parseSweepGrid("rtn", "4,x", "128"), "bits: 'x' is not a count");
    QS_CHECK_THROWS_WITH(sweepCells(parseSweepGrid("rtn", "9", "128")), "sweep cell rtn-w9-g128");
    QS_CHECK_THROWS_WITH(sweepCells(parseSweepGrid("rtn", "4", "100")), "sweep cell rtn-w4-g100");
}

QS_TEST(sweep_matches_separate_evaluations_and_resumes) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const auto tok = tokenizerForCheckpoint(*ckpt);
    const std::string project = qs::test::tempDir() + "/sweep.qsproj.h5";
    const SweepOptions o = smallSweep();

    // Cancel once the second run is stored: the first two survive on disk.
    JobControl control;
    int storedBeforeCancel = 0;
    SweepHooks hooks;
    hooks.control = &control;
    hooks.stored = [&](const RunRecord& run) {
        QS_CHECK(!run.id.empty());
        if (++storedBeforeCancel == 2) control.requestCancel();
    };
    QS_CHECK_THROWS_WITH(runSweep(model, *tok, project, o, hooks), "cancelled");
    QS_CHECK_EQ(storedBeforeCancel, 2);
    QS_CHECK_EQ(listRuns(project).size(), size_t(2));

    const SweepOutcome rest = runSweep(model, *tok, project, o);
    QS_CHECK_EQ(rest.skipped, 2);
    QS_CHECK_EQ(rest.stored.size(), size_t(3));  // 5 cells: base, rtn w8/w4, gptq w8/w4
    const std::vector<RunRecord> runs = listRuns(project);
    QS_CHECK_EQ(runs.size(), size_t(5));
    const auto ppl = pplByCell(runs);
    QS_CHECK_EQ(ppl.size(), size_t(5));

    // Each cell's number is exactly what a separate evaluation prints.
    for (const SweepCell& cell : sweepCells(o.grid)) {
        const double expected = separateEvalPpl(model, *tok, cell, o);
        QS_CHECK_EQ(ppl.at(cell.key()), expected);
    }
    // Sanity of the grid itself: 4 bits cost more than 8, GPTQ helps at 4 bits.
    QS_CHECK(ppl.at("rtn-w4-g128") > ppl.at("rtn-w8-g128"));
    QS_CHECK(ppl.at("gptq-w4-g128") < ppl.at("rtn-w4-g128"));

    // A third run has nothing left to do.
    const SweepOutcome again = runSweep(model, *tok, project, o);
    QS_CHECK_EQ(again.skipped, 5);
    QS_CHECK(again.stored.empty());
    // A different metric setting is a different run, not a skipped one.
    SweepOptions moreWindows = o;
    moreWindows.grid = parseSweepGrid("rtn", "8", "128");
    moreWindows.maxWindows = kWindows + 1;
    QS_CHECK_EQ(runSweep(model, *tok, project, moreWindows).stored.size(), size_t(2));
}

QS_TEST(sweep_refuses_bad_options_before_any_work) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    SweepOptions o = smallSweep();
    o.calibPath.reset();
    QS_CHECK_THROWS_WITH(validateSweep(model, o), "sweep cell gptq-w8-g128 needs calibration data");
    o = smallSweep();
    o.metrics.clear();
    QS_CHECK_THROWS_WITH(validateSweep(model, o), "at least one metric");
}

QS_TEST(a_second_model_in_the_same_project_runs_its_own_cells) {
    const std::string project = qs::test::tempDir() + "/two-models.qsproj.h5";
    SweepOptions o = smallSweep();
    o.grid = parseSweepGrid("rtn", "4", "128");
    o.calibPath.reset();
    const auto hf = openCheckpoint(tinyDir());
    const auto bin = openCheckpoint(tinyDir() + "/model.llama2c.bin");  // the same weights as a llama2.c file
    const LlamaModel hfModel(*hf), binModel(*bin);
    const auto hfTok = tokenizerForCheckpoint(*hf), binTok = tokenizerForCheckpoint(*bin);

    QS_CHECK_EQ(runSweep(hfModel, *hfTok, project, o).stored.size(), size_t(2));
    const SweepOutcome second = runSweep(binModel, *binTok, project, o);
    QS_CHECK_EQ(second.skipped, 0);  // the first model's runs are not the second's
    QS_CHECK_EQ(second.stored.size(), size_t(2));
    QS_CHECK_EQ(second.stored[0].settings["sweep"]["model"].get<std::string>(), sweepModelId(bin->path));

    // The same model reached through another spelling of its path is the same model.
    const auto again = openCheckpoint(tinyDir() + "/./");
    const LlamaModel againModel(*again);
    QS_CHECK_EQ(runSweep(againModel, *hfTok, project, o).skipped, 2);

    const SweepTable table = buildSweepTable(listRuns(project));
    QS_CHECK_EQ(table.models().size(), size_t(2));
    QS_CHECK_EQ(table.rows.size(), size_t(4));
}
