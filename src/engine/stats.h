// Named statistics. A component registers its counters once, in its constructor, and keeps
// the returned reference: the hot path is a plain increment, with no lookup and no strings.
// Names are "<instance path>.<counter>", e.g. "gpu.sm[3].warp_instructions".
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xpusim::engine {

class Stats {
 public:
  // Registers (or finds) a counter. The reference stays valid for the Stats' lifetime.
  uint64_t& counter(std::string_view owner, std::string_view name);

  // Every counter, sorted by full name.
  std::vector<std::pair<std::string, uint64_t>> snapshot() const;

  // Sum of every counter whose name ends with "." + suffix (e.g. all SMs' "warp_instructions").
  uint64_t total(std::string_view suffix) const;

 private:
  struct Entry {
    std::string name;
    uint64_t value = 0;
  };
  std::deque<Entry> entries_;  // deque: stable addresses
  std::unordered_map<std::string, uint64_t*> index_;  // full name -> value
};

}  // namespace xpusim::engine
