#include "src/io/energy_table.h"

#include <google/protobuf/descriptor.h>

#include <filesystem>

namespace xpusim::io {

namespace fs = std::filesystem;

namespace {

// Every double in the spec must be >= 0 (energies and powers); reports each bad one.
void check_non_negative(const google::protobuf::Message& m, const std::string& path, const LocationMap& where,
                        ErrorList& errors) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated() || !r->HasField(m, f)) continue;
    const std::string p = path + "." + f->name();
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE)
      check_non_negative(r->GetMessage(m, f), p, where, errors);
    else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE && r->GetDouble(m, f) < 0)
      errors.addf(where.find(p), "{}: an energy or power cannot be negative, got {}", p, r->GetDouble(m, f));
  }
}

}  // namespace

std::vector<std::string> energy_table_candidates(const std::string& config_file, const std::string& node) {
  const fs::path dir = fs::path(config_file).parent_path();
  const std::string file = node + ".textproto";
  return {(dir / ".." / "energy" / file).lexically_normal().string(), (dir / "energy" / file).lexically_normal().string()};
}

void resolve_energy_table(proto::SystemConfig& cfg, LocationMap& where, const std::string& config_path,
                          ErrorList& errors) {
  // a --set override has no file: resolve it beside the config itself
  auto file_of = [&](const SourceLoc& at) { return fs::is_regular_file(at.file) ? at.file : config_path; };
  if (!cfg.has_energy()) return;
  proto::EnergySpec& e = *cfg.mutable_energy();
  std::string path;
  if (e.has_node() && !e.table().empty()) {
    errors.add(where.find("energy.table"), "energy: set either node or table, not both");
    return;
  }
  if (e.has_node()) {
    const SourceLoc at = where.find("energy.node");
    const auto cands = energy_table_candidates(file_of(at), e.node());
    for (const auto& c : cands)
      if (fs::exists(c)) {
        path = c;
        break;
      }
    if (path.empty()) {
      std::string looked;
      for (const auto& c : cands) looked += "\n  " + c;
      errors.addf(at, "energy.node \"{}\": no table {}.textproto; looked for:{}", e.node(), e.node(), looked);
      return;
    }
  } else if (!e.table().empty()) {
    const SourceLoc at = where.find("energy.table");
    path = (fs::path(file_of(at)).parent_path() / e.table()).lexically_normal().string();
    if (!fs::exists(path)) {
      errors.addf(at, "energy.table \"{}\": no such file ({})", e.table(), path);
      return;
    }
  }
  if (!path.empty()) {
    proto::EnergySpec table;
    LocationMap tw;
    try {
      parse_text_file(path, &table, &tw);
    } catch (const InputErrors& x) {
      for (const auto& err : x.errors()) errors.add(err.loc, err.message);
      return;
    }
    // Table fields the config does not set take their location from the table file.
    for (const auto& [p, loc] : tw.entries())
      if (!where.has("energy." + p)) where.set("energy." + p, loc);
    table.MergeFrom(e);  // the config's own fields win
    table.clear_table();
    e = table;
  }
  check_non_negative(e, "energy", where, errors);
}

}  // namespace xpusim::io
