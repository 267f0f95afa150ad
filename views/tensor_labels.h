// Short, readable forms of canonical tensor names for legends and captions.
#pragma once

#include <string>

#include <QString>

namespace qs::views {

// "model.layers.3.mlp.down_proj.weight" -> "layers.3.mlp.down_proj";
// names without the usual prefix/suffix are returned unchanged.
QString shortTensorName(const std::string& canonical);

}  // namespace qs::views
