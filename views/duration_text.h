// How long-running jobs show time left on their progress bars.
#pragma once

#include <QString>

namespace qs::views {

// "0:42", "12:05", "1:02:03".
QString durationText(double seconds);

}  // namespace qs::views
