#include "tensor_labels.h"

namespace qs::views {

QString shortTensorName(const std::string& canonical) {
    QString name = QString::fromStdString(canonical);
    if (name.startsWith(QLatin1String("model."))) name.remove(0, 6);
    if (name.endsWith(QLatin1String(".weight"))) name.chop(7);
    return name;
}

}  // namespace qs::views
