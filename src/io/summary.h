// The readable summary printed after a run.
#pragma once

#include <string>

#include "report.pb.h"

namespace xpusim::io {

std::string format_summary(const proto::Report& r);

}  // namespace xpusim::io
