#include "src/engine/env.h"

#include <fmt/format.h>

#include <cstdio>

namespace xpusim::engine {

void Env::warn(std::string_view kind, const std::string& message) {
  constexpr uint64_t kLimit = 5;
  ++warnings_;
  for (auto& k : warn_kinds_) {
    if (k.kind == kind) {
      if (++k.count <= kLimit) fmt::print(stderr, "warning: {}\n", message);
      if (k.count == kLimit) fmt::print(stderr, "warning: further '{}' warnings are counted, not shown\n", kind);
      return;
    }
  }
  warn_kinds_.push_back({std::string(kind), 1});
  fmt::print(stderr, "warning: {}\n", message);
}

}  // namespace xpusim::engine
