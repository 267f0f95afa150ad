#include "project/activation_store.h"

#include <algorithm>
#include <filesystem>

#include "project/project_file.h"

namespace qs {

namespace {

// The percents are stored beside the quantiles so a file stays readable if
// the set ever changes; this build reads only the set it computes.
std::vector<float> readTokenQuantiles(const Hdf5Node& g) {
    if (!g.has("token_absmax_quantiles")) return {};  // saved before the quantiles were kept
    const std::vector<double> percents = g.readDoubles("token_absmax_percents");
    if (!std::equal(percents.begin(), percents.end(), kTokenAbsmaxPercents.begin(), kTokenAbsmaxPercents.end()))
        throw Hdf5Error(g.where("token_absmax_percents") + ": not the " + std::to_string(kTokenAbsmaxPercents.size()) +
                        " percents 0, 1, 5, 25, 50, 75, 95, 99, 100 this version reads");
    std::vector<float> q = g.readFloats("token_absmax_quantiles");
    if (q.size() != percents.size())
        throw Hdf5Error(g.where("token_absmax_quantiles") + ": " + std::to_string(q.size()) + " values for " +
                        std::to_string(percents.size()) + " percents");
    return q;
}

}  // namespace

void saveActivationStats(const std::string& projectPath, const std::vector<LayerActivationStats>& layers) {
    updateProject(projectPath, [&](const Hdf5Node& root) {
        root.remove("activations");
        Hdf5Node all = root.createGroup("activations");
        for (const LayerActivationStats& l : layers) {
            Hdf5Node g = all.createGroup(l.name);
            g.setAttr("tokens", l.stats.tokens);
            g.setAttr("token_absmax_min", double(l.stats.tokenAbsmaxMin));
            g.setAttr("token_absmax_max", double(l.stats.tokenAbsmaxMax));
            g.writeFloats("channel_absmax", l.stats.channelAbsmax);
            g.writeDoubles("channel_mean_abs", l.stats.channelMeanAbs);
            if (l.stats.tokenAbsmaxQuantiles.empty()) continue;
            g.writeDoubles("token_absmax_percents", {kTokenAbsmaxPercents.begin(), kTokenAbsmaxPercents.end()});
            g.writeFloats("token_absmax_quantiles", l.stats.tokenAbsmaxQuantiles);
        }
    });
}

std::vector<LayerActivationStats> loadActivationStats(const std::string& projectPath) {
    std::vector<LayerActivationStats> out;
    if (!std::filesystem::exists(projectPath)) return out;
    Hdf5File file = Hdf5File::openRead(projectPath);
    if (!file.has("activations")) return out;
    Hdf5Node all = file.group("activations");
    for (const std::string& name : all.children()) {
        Hdf5Node g = all.group(name);
        LayerActivationStats l;
        l.name = name;
        l.stats.tokens = g.attrInt("tokens");
        l.stats.tokenAbsmaxMin = float(g.attrDouble("token_absmax_min"));
        l.stats.tokenAbsmaxMax = float(g.attrDouble("token_absmax_max"));
        l.stats.channelAbsmax = g.readFloats("channel_absmax");
        l.stats.channelMeanAbs = g.readDoubles("channel_mean_abs");
        l.stats.tokenAbsmaxQuantiles = readTokenQuantiles(g);
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace qs
