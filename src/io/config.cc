#include "src/io/config.h"
#include "src/io/dram_config.h"
#include "src/io/energy_table.h"

namespace xpusim::io {

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  LoadedConfig lc;
  lc.path = path;
  load_with_base(path, &lc.cfg, &lc.where);
  ErrorList errors;
  for (const std::string& o : overrides) {
    try {
      apply_override(&lc.cfg, o, &lc.where);
    } catch (const InputErrors& e) {
      errors.append(e);
    }
  }
  resolve_energy_table(lc.cfg, lc.where, path, errors);  // configs/energy/ (src/io/energy_table.h)
  resolve_dram_preset(lc.cfg, lc.where, errors);   // gpu.dram.preset (src/io/dram_config.h)
  errors.throw_if_any();
  apply_defaults(lc.cfg);
  validate_config(lc.cfg, lc.where, errors);
  errors.throw_if_any();
  return lc;
}

}  // namespace xpusim::io
