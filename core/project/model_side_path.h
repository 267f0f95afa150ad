// Where QuantScope keeps a file that belongs to a model (its statistics
// cache, its default project): inside a Hugging Face directory, or beside a
// single-file model, when that folder is writable; else under
// $XDG_CACHE_HOME/quantscope (default ~/.cache/quantscope) with a name derived
// from the model's absolute path, so read-only shared models are never written.
#pragma once

#include <string>

namespace qs {

// `<dir>/<inDirectoryName>` for a directory model, `<file><besideSuffix>` for a file.
std::string modelSidePath(const std::string& modelPath, const std::string& inDirectoryName,
                          const std::string& besideSuffix);

}  // namespace qs
