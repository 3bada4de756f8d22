#include "src/engine/stats.h"

#include <algorithm>

namespace xpusim::engine {

uint64_t& Stats::counter(std::string_view owner, std::string_view name) {
  std::string full = owner.empty() ? std::string(name) : std::string(owner) + "." + std::string(name);
  const auto [it, added] = index_.try_emplace(full, nullptr);
  if (added) {
    entries_.push_back({std::move(full), 0});
    it->second = &entries_.back().value;
  }
  return *it->second;
}

std::vector<std::pair<std::string, uint64_t>> Stats::snapshot() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.emplace_back(e.name, e.value);
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t Stats::total(std::string_view suffix) const {
  uint64_t sum = 0;
  for (const auto& e : entries_) {
    const std::string_view n = e.name;
    if (n.size() > suffix.size() && n.substr(n.size() - suffix.size()) == suffix &&
        n[n.size() - suffix.size() - 1] == '.')
      sum += e.value;
  }
  return sum;
}

}  // namespace xpusim::engine
