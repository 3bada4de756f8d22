#include "src/engine/error.h"

namespace xpusim {

std::string SourceLoc::str() const {
  if (file.empty()) return "<input>";
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

std::string InputError::str() const { return loc.str() + ": " + message; }

InputErrors::InputErrors(std::vector<InputError> errors) : errors_(std::move(errors)) {
  for (size_t i = 0; i < errors_.size(); ++i) {
    if (i) text_ += '\n';
    text_ += errors_[i].str();
  }
}

InputErrors::InputErrors(SourceLoc loc, std::string message)
    : InputErrors(std::vector<InputError>{{std::move(loc), std::move(message)}}) {}

void throw_model_error(const char* file, int line, const std::string& message) {
  throw ModelError(fmt::format("{} ({}:{})", message, file, line));
}

}  // namespace xpusim
