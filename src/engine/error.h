// Errors and exit codes.
//
// Two kinds of failure, kept apart:
//  * InputError — something a user wrote is wrong (config, workload, kernel, trace, command
//    line). Reported as "file:line:col: message" (all of them, not just the first), exit 2.
//  * ModelError — a simulator invariant broke (SIM_CHECK). main() dumps every component's
//    state and exits 1.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace xpusim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitModelError = 1;
inline constexpr int kExitInputError = 2;
inline constexpr int kExitCheckFailed = 3;

struct SourceLoc {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
  int col = 0;   // 1-based; 0 = unknown

  std::string str() const;
};

struct InputError {
  SourceLoc loc;
  std::string message;

  std::string str() const;  // "file:line:col: message"
};

// One or more input errors, thrown together after a whole file has been checked.
class InputErrors : public std::exception {
 public:
  InputErrors() = default;
  explicit InputErrors(std::vector<InputError> errors);
  InputErrors(SourceLoc loc, std::string message);

  const std::vector<InputError>& errors() const { return errors_; }
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  std::vector<InputError> errors_;
  std::string text_;
};

// Collects input errors while a file is checked, then throws them all at once.
class ErrorList {
 public:
  void add(SourceLoc loc, std::string message) { errors_.push_back({std::move(loc), std::move(message)}); }
  template <typename... Args>
  void addf(SourceLoc loc, fmt::format_string<Args...> f, Args&&... args) {
    add(std::move(loc), fmt::format(f, std::forward<Args>(args)...));
  }
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  void append(const InputErrors& e) { errors_.insert(errors_.end(), e.errors().begin(), e.errors().end()); }
  void throw_if_any() const {
    if (!errors_.empty()) throw InputErrors(errors_);
  }

 private:
  std::vector<InputError> errors_;
};

// A simulator bug: an invariant that must hold whatever the input.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_model_error(const char* file, int line, const std::string& message);

}  // namespace xpusim

// Always-on invariant check. The message is formatted only on failure.
#define SIM_CHECK(cond, ...)                                                      \
  do {                                                                            \
    if (!(cond)) [[unlikely]]                                                     \
      ::xpusim::throw_model_error(__FILE__, __LINE__,                             \
                                  "check failed: " #cond ": " + fmt::format(__VA_ARGS__)); \
  } while (0)
