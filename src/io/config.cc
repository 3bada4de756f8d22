#include "src/io/config.h"

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
  errors.throw_if_any();
  apply_defaults(lc.cfg);
  validate_config(lc.cfg, lc.where, errors);
  errors.throw_if_any();
  return lc;
}

}  // namespace xpusim::io
