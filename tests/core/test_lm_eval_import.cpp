// lm-evaluation-harness results read back as runs (analysis/lm_eval_results.h)
// on a fixture written from the harness's documented layout
// (tests/data/lm_eval: arc_challenge, hellaswag, piqa, winogrande, an mmlu
// group with nested categories, wikitext, and gsm8k, which has no metric we
// import): the runs carry the file's numbers exactly, groups count their
// members' samples, bad files name the file, a jobs directory's results are
// found per cell, and (with HDF5) the runs survive a project file.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "analysis/lm_eval_results.h"
#include "analysis/slurm_jobs.h"
#include "check.h"
#include "eval/text_windows.h"  // readTextFile
#ifdef QS_HAVE_HDF5
#include "project/project_file.h"
#endif

namespace fs = std::filesystem;
using namespace qs;
using nlohmann::json;

namespace {

const fs::path kFixture =
    fs::path(__FILE__).parent_path().parent_path() / "data" / "lm_eval" / "results_2024-11-05T14-03-27.512338.json";

const json kCell = {{"name", "cluster"}, {"cell", "gptq-w4-g128"}, {"method", "gptq"}, {"bits", 4}, {"group", 128}};

const RunRecord& runFor(const LmEvalImport& imp, const std::string& task) {
    for (const RunRecord& r : imp.runs)
        if (r.dataset == task) return r;
    throw std::runtime_error("no run for " + task);
}

void writeText(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

QS_TEST(task_runs_carry_the_files_numbers_without_the_filter_suffix) {
    const LmEvalImport imp = parseLmEvalResults(kFixture.string(), kCell, "W4 g128 GPTQ");
    QS_CHECK_EQ(imp.runs.size(), size_t(11));
    QS_CHECK_EQ(imp.skipped.size(), size_t(1));
    QS_CHECK_EQ(imp.skipped.at(0), "gsm8k: no acc, acc_norm or perplexity metric (filter none)");

    const RunRecord& arc = runFor(imp, "arc_challenge");
    QS_CHECK_EQ(arc.kind, "task");
    QS_CHECK_EQ(arc.model, "/scratch/qs/jobs/gptq-w4-g128/model");
    QS_CHECK_EQ(arc.plan, "W4 g128 GPTQ");
    QS_CHECK_EQ(arc.created, "2024-11-05T14:03:27Z");
    QS_CHECK_EQ(arc.metrics.size(), size_t(5));
    QS_CHECK_EQ(arc.metrics["acc"].get<double>(), 0.5179180887372014);
    QS_CHECK_EQ(arc.metrics["acc_stderr"].get<double>(), 0.014602005585490978);
    QS_CHECK_EQ(arc.metrics["acc_norm"].get<double>(), 0.5435153583617748);
    QS_CHECK_EQ(arc.metrics["acc_norm_stderr"].get<double>(), 0.014555949760496439);
    QS_CHECK_EQ(arc.metrics["n"].get<int64_t>(), 1172);
    QS_CHECK_EQ(arc.settings["source"], "lm-eval");
    QS_CHECK_EQ(arc.settings["file"], kFixture.string());
    QS_CHECK_EQ(arc.settings["lm_eval_version"], "0.4.5");
    QS_CHECK_EQ(arc.settings["date"].get<double>(), 1730815407.2811053);
    QS_CHECK_EQ(arc.settings["n_shot"].get<int>(), 0);
    QS_CHECK_EQ(arc.settings["task_version"].get<double>(), 1.0);
    QS_CHECK_EQ(arc.settings["sweep"].dump(), kCell.dump());
    QS_CHECK(!arc.settings.contains("group"));

    // winogrande reports acc only: no acc_norm key is made up.
    const RunRecord& wino = runFor(imp, "winogrande");
    QS_CHECK_EQ(wino.metrics.size(), size_t(3));
    QS_CHECK_EQ(wino.metrics["acc"].get<double>(), 0.7355958958168903);
    QS_CHECK_EQ(wino.metrics["n"].get<int64_t>(), 1267);
    QS_CHECK(!wino.metrics.contains("acc_norm"));
    QS_CHECK_EQ(runFor(imp, "hellaswag").metrics["acc_norm"].get<double>(), 0.7897829117705636);
    QS_CHECK_EQ(runFor(imp, "piqa").metrics["n"].get<int64_t>(), 1838);
}

QS_TEST(wikitext_is_a_perplexity_run_and_na_errors_are_left_out) {
    const LmEvalImport imp = parseLmEvalResults(kFixture.string());
    const RunRecord& wiki = runFor(imp, "wikitext");
    QS_CHECK_EQ(wiki.kind, "perplexity");
    QS_CHECK_EQ(wiki.metrics.size(), size_t(4));
    QS_CHECK_EQ(wiki.metrics["word_perplexity"].get<double>(), 8.707287462497532);
    QS_CHECK_EQ(wiki.metrics["byte_perplexity"].get<double>(), 1.4985765013493524);
    QS_CHECK_EQ(wiki.metrics["bits_per_byte"].get<double>(), 0.5835935003862218);
    QS_CHECK_EQ(wiki.metrics["n"].get<int64_t>(), 62);  // documents
    QS_CHECK(!wiki.metrics.contains("word_perplexity_stderr"));  // "N/A" in the file
    QS_CHECK(!wiki.settings.contains("sweep"));
    QS_CHECK_EQ(wiki.plan, "");
}

QS_TEST(groups_sum_their_members_samples_and_members_name_their_group) {
    const LmEvalImport imp = parseLmEvalResults(kFixture.string());
    const RunRecord& mmlu = runFor(imp, "mmlu");
    QS_CHECK_EQ(mmlu.metrics["acc"].get<double>(), 0.4748603351955307);
    QS_CHECK_EQ(mmlu.metrics["acc_stderr"].get<double>(), 0.0213479121354288);
    QS_CHECK_EQ(mmlu.metrics["n"].get<int64_t>(), 126 + 311 + 100);
    QS_CHECK(!mmlu.settings.contains("group"));
    QS_CHECK_EQ(runFor(imp, "mmlu_humanities").metrics["n"].get<int64_t>(), 126 + 311);
    QS_CHECK_EQ(runFor(imp, "mmlu_humanities").settings["group"], "mmlu");
    QS_CHECK_EQ(runFor(imp, "mmlu_formal_logic").settings["group"], "mmlu_humanities");
    QS_CHECK_EQ(runFor(imp, "mmlu_formal_logic").metrics["acc"].get<double>(), 0.3412698412698413);
    // The harness's group score is the sample-weighted mean of its members.
    QS_CHECK_NEAR(mmlu.metrics["acc"].get<double>() * 537, 0.3412698412698413 * 126 + 0.4662379421221865 * 311 + 0.67 * 100,
                  1e-9);
}

QS_TEST(model_args_as_an_object_and_the_content_hash) {
    const fs::path path = fs::path(test::tempDir()) / "results_object_args.json";
    writeText(path, R"({"results": {"piqa": {"acc,none": 0.75, "acc_stderr,none": "N/A"}},
                        "config": {"model_args": {"pretrained": "/m/a", "dtype": "auto"}}})");
    const LmEvalImport imp = parseLmEvalResults(path.string());
    QS_CHECK_EQ(imp.runs.size(), size_t(1));
    QS_CHECK_EQ(imp.runs[0].model, "/m/a");
    QS_CHECK_EQ(imp.runs[0].metrics.dump(), json({{"acc", 0.75}}).dump());
    QS_CHECK_EQ(imp.runs[0].created, "");  // no date: addRun stamps the import time

    const std::string hash = lmEvalFileHash(readTextFile(path.string()));
    QS_CHECK_EQ(hash.size(), size_t(16));
    QS_CHECK_EQ(imp.runs[0].settings["file_hash"], hash);
    QS_CHECK(importedLmEvalFileHashes(imp.runs) == std::set<std::string>{hash});
    QS_CHECK(hash != lmEvalFileHash(readTextFile(kFixture.string())));
    RunRecord local;  // our own runs are never taken for imported files
    local.settings = {{"file_hash", hash}};
    QS_CHECK(importedLmEvalFileHashes({local}).empty());
}

QS_TEST(bad_files_name_the_file_and_the_problem) {
    const fs::path dir = test::tempDir();
    const std::string missing = (dir / "missing.json").string();
    QS_CHECK_THROWS_WITH(parseLmEvalResults(missing), missing);
    writeText(dir / "truncated.json", "{\"results\": {\"piqa\": ");
    QS_CHECK_THROWS_WITH(parseLmEvalResults((dir / "truncated.json").string()),
                         (dir / "truncated.json").string() + ": not valid JSON");
    writeText(dir / "other.json", "{\"accuracy\": 0.5}");
    QS_CHECK_THROWS_WITH(parseLmEvalResults((dir / "other.json").string()),
                         (dir / "other.json").string() +
                             ": no \"results\" object: not an lm-evaluation-harness results file");
}

QS_TEST(jobs_directory_results_are_found_per_cell) {
    const fs::path jobs = fs::path(test::tempDir()) / "jobs";
    fs::create_directories(jobs);
    JobsManifest m;
    m.model = "/m/base";
    m.tasks = {"piqa"};
    m.cells.push_back({{{"name", "cluster"}, {"cell", "base"}, {"method", ""}, {"bits", 16}, {"group", 0}}, "", "/m/base",
                       "original"});
    m.cells.push_back({kCell, "W4 g128 GPTQ", "gptq-w4-g128/model", "gptq"});
    writeJobsManifestAndScript(jobs.string(), m, SlurmJobOptions{});
    // Where `lm_eval --output_path <cell>/lm_eval` puts it: a folder per sanitized model path.
    const fs::path results = jobs / "gptq-w4-g128" / kJobsResultsFolder / "__scratch__qs__jobs__gptq-w4-g128__model";
    fs::create_directories(results);
    fs::copy_file(kFixture, results / kFixture.filename());
    writeText(results / "samples_piqa_2024-11-05T14-03-27.512338.jsonl", "{}\n");

    const std::vector<JobsResultFile> found = jobsResultFiles(jobs.string());
    QS_CHECK_EQ(found.size(), size_t(1));
    QS_CHECK_EQ(found.at(0).path, (results / kFixture.filename()).string());
    QS_CHECK_EQ(found.at(0).cell.key(), "gptq-w4-g128");
    QS_CHECK_EQ(found.at(0).cell.plan, "W4 g128 GPTQ");
    QS_CHECK_EQ(found.at(0).cell.sweep.dump(), kCell.dump());
}

#ifdef QS_HAVE_HDF5
QS_TEST(imported_runs_round_trip_through_a_project_file) {
    const std::string project = (fs::path(test::tempDir()) / "import.qsproj.h5").string();
    const LmEvalImport imp = parseLmEvalResults(kFixture.string(), kCell, "W4 g128 GPTQ");
    for (const RunRecord& r : imp.runs) addRun(project, r);
    const std::vector<RunRecord> back = listRuns(project);
    QS_CHECK_EQ(back.size(), imp.runs.size());
    for (size_t i = 0; i < back.size() && i < imp.runs.size(); ++i) {
        QS_CHECK_EQ(back[i].kind, imp.runs[i].kind);
        QS_CHECK_EQ(back[i].dataset, imp.runs[i].dataset);
        QS_CHECK_EQ(back[i].model, imp.runs[i].model);
        QS_CHECK_EQ(back[i].plan, "W4 g128 GPTQ");
        QS_CHECK_EQ(back[i].created, "2024-11-05T14:03:27Z");
        QS_CHECK_EQ(back[i].metrics.dump(), imp.runs[i].metrics.dump());
        QS_CHECK_EQ(back[i].settings["sweep"]["cell"], "gptq-w4-g128");
    }
    QS_CHECK(importedLmEvalFileHashes(back) == std::set<std::string>{lmEvalFileHash(readTextFile(kFixture.string()))});
}
#endif
