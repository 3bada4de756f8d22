#include "src/energy/counters.h"

namespace xpusim::energy {

namespace {
bool ends_with_dot(std::string_view n, std::string_view suffix) {
  return n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         n[n.size() - suffix.size() - 1] == '.';
}
}  // namespace

uint64_t sum_suffix(const Counters& c, std::string_view suffix) {
  uint64_t t = 0;
  for (const auto& [n, v] : c)
    if (ends_with_dot(n, suffix)) t += v;
  return t;
}

std::string_view last_element(std::string_view path) {
  const size_t dot = path.rfind('.');
  std::string_view last = dot == std::string_view::npos ? path : path.substr(dot + 1);
  return last.substr(0, last.find('['));
}

uint64_t sum_at(const Counters& c, std::string_view kind, std::string_view suffix) {
  uint64_t t = 0;
  for (const auto& [n, v] : c) {
    if (!ends_with_dot(n, suffix)) continue;
    const std::string_view path = std::string_view(n).substr(0, n.size() - suffix.size() - 1);
    if (last_element(path).substr(0, kind.size()) == kind) t += v;
  }
  return t;
}

bool split_action(std::string_view name, std::string_view& path, std::string_view& action) {
  const size_t at = name.find(".energy.");
  if (at == std::string_view::npos) return false;
  path = name.substr(0, at);
  action = name.substr(at + 8);
  return true;
}

}  // namespace xpusim::energy
