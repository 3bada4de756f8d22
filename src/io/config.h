// Loading a machine config: text format, `base:` inheritance, `--set` overrides, defaults
// (all in defaults.cc), then semantic validation. Every problem is an InputError located
// at the file, line and column that set the offending field (or the override).
#pragma once

#include <string>
#include <vector>

#include "config.pb.h"
#include "src/io/textproto.h"

namespace xpusim::io {

struct LoadedConfig {
  proto::SystemConfig cfg;
  LocationMap where;
  std::string path;
};

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Fills every unset field with its default (docs/config.md lists them).
void apply_defaults(proto::SystemConfig& cfg);

// Semantic checks on a config with defaults applied; adds located errors to `errors`.
void validate_config(const proto::SystemConfig& cfg, const LocationMap& where, ErrorList& errors);

}  // namespace xpusim::io
