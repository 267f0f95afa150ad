#include "project/activation_store.h"

#include <filesystem>

#include "project/project_file.h"

namespace qs {

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
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace qs
