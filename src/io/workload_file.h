// Loading a workload file: text format, then structural checks (names unique and
// resolvable, files present, dimensions positive). Kernel-dependent checks (arguments
// against .param types) happen when the kernels are assembled, in the run driver.
#pragma once

#include <string>

#include "src/io/textproto.h"
#include "workload.pb.h"

namespace xpusim::io {

struct LoadedWorkload {
  proto::Workload wl;
  LocationMap where;
  std::string path;
  std::string dir;  // relative paths inside the workload resolve against this
  std::string resolve(const std::string& rel) const;
};

LoadedWorkload load_workload(const std::string& path);

}  // namespace xpusim::io
