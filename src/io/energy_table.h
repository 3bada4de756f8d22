// The machine config's energy table (proto/energy.proto): `energy { node: "7nm" }` or
// `energy { table: "file.textproto" }` names a table file, which the loader reads; fields
// written in the config's own energy block override the table's. docs/models/energy.md.
#pragma once

#include <string>
#include <vector>

#include "config.pb.h"
#include "src/io/textproto.h"

namespace xpusim::io {

// Called by load_config after inheritance and overrides. A config without `energy` is left
// alone (runs report no energy). Problems (unknown node, unreadable table, both node and
// table, a negative figure) are added to `errors`, located where the config set them.
// `config_path` stands in for the directory when the field came from the command line.
void resolve_energy_table(proto::SystemConfig& cfg, LocationMap& where, const std::string& config_path,
                          ErrorList& errors);

// Where `node: "X"` is looked up, first match wins: <dir>/../energy/X.textproto and
// <dir>/energy/X.textproto, <dir> being the directory of the file that set `node`.
std::vector<std::string> energy_table_candidates(const std::string& config_file, const std::string& node);

}  // namespace xpusim::io
