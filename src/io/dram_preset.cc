// gpu.dram.preset: load the preset file and merge the config's dram fields over it.
#include <filesystem>

#include "src/io/dram_config.h"

namespace xpusim::io {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kPrefix = "gpu.dram";
}

void resolve_dram_preset(proto::SystemConfig& cfg, LocationMap& where, ErrorList& errors) {
  if (!cfg.has_gpu() || cfg.gpu().dram().preset().empty()) return;
  const std::string written = cfg.gpu().dram().preset();
  const SourceLoc at = where.find("gpu.dram.preset");
  fs::path file(written);
  if (file.is_relative() && !at.file.empty() && at.file.front() != '<')
    file = fs::path(at.file).parent_path() / file;
  file = file.lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    errors.add(at, fmt::format("gpu.dram.preset: \"{}\" not found (looked for {})", written, file.string()));
    return;
  }
  proto::DramSpec merged;
  LocationMap preset_locs;
  try {
    parse_text_file(file.string(), &merged, &preset_locs);
  } catch (const InputErrors& e) {
    errors.append(e);
    return;
  }
  if (!merged.preset().empty()) {
    errors.add(preset_locs.find("preset"), fmt::format("a DRAM preset cannot name another preset (\"{}\")",
                                                       merged.preset()));
    return;
  }
  // The config's dram fields, with their locations re-keyed relative to the DramSpec.
  LocationMap own_locs;
  const std::string prefix = std::string(kPrefix) + ".";
  for (const auto& [path, loc] : where.entries())
    if (path.starts_with(prefix)) own_locs.set(path.substr(prefix.size()), loc);
  merge_over(&merged, cfg.gpu().dram(), &preset_locs, own_locs);
  const SourceLoc section = where.find(kPrefix);
  where.erase_under(kPrefix);
  where.set(std::string(kPrefix), section);
  for (const auto& [path, loc] : preset_locs.entries()) where.set(prefix + path, loc);
  *cfg.mutable_gpu()->mutable_dram() = std::move(merged);
}

}  // namespace xpusim::io
