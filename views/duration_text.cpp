#include "duration_text.h"

namespace qs::views {

QString durationText(double seconds) {
    const qint64 s = qint64(seconds + 0.5);
    const QString ms = QStringLiteral("%1:%2").arg((s / 60) % 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return s >= 3600 ? QStringLiteral("%1:%2").arg(s / 3600).arg(ms.rightJustified(5, QLatin1Char('0'))) : ms;
}

}  // namespace qs::views
