// Reading the statistics snapshot (counter name, value; sorted by name) that the run driver
// hands to the energy model and the roofline: a kernel's counters are the difference of two
// snapshots. Names are "<instance path>.<counter>"; energy actions "<path>.energy.<action>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xpusim::energy {

using Counters = std::vector<std::pair<std::string, uint64_t>>;

// Sum of every counter whose name ends with "." + suffix.
uint64_t sum_suffix(const Counters& c, std::string_view suffix);

// Sum of every counter named "<path>.<suffix>" whose path's last element starts with `kind`
// ("l2" matches "gpu.memory.l2[3]"; "sm" matches "gpu.sm[0]").
uint64_t sum_at(const Counters& c, std::string_view kind, std::string_view suffix);

// An energy action counter split into its component path and action; false for other counters.
bool split_action(std::string_view name, std::string_view& path, std::string_view& action);

// The last element of a path without its index: "gpu.memory.l2[3]" -> "l2".
std::string_view last_element(std::string_view path);

}  // namespace xpusim::energy
