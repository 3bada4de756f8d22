// A token-level view of a text-format file: used to explain and recover from parse errors
// (textproto_diagnose.cc) and to place the elements of list values (textproto.cc).
// Not a public API.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xpusim::io::detail {

// A position as protobuf reports it: 0-based line and column, where a tab advances the
// column to the next multiple of 8.
struct TokPos {
  int line = -1;
  int col = -1;
};

struct Tok {
  std::string text;
  google::protobuf::io::Tokenizer::TokenType type;
  int line;
  int col;
  int end_col;  // one past the last character
};
using Toks = std::vector<Tok>;

// Tokenizes as TextFormat does ('#' comments, "1.5f" floats).
Toks tokenize(const std::string& text);
bool is_sym(const Tok& t, char c);
// Index of the first token at or after `pos` (t.size() if none).
size_t token_at(const Toks& t, TokPos pos);
// Appends the position of each element of the list whose '[' is t[open].
void list_elements(const Toks& t, size_t open, std::vector<TokPos>* out);
// The token starting the value written at `pos`: the value itself, or the token after
// "name:" when `pos` is a field name. A negative number starts with its '-'.
size_t value_token(const Toks& t, TokPos pos);
bool written_as_infinity(const Toks& t, size_t value);
std::string value_spelling(const Toks& t, size_t value);

// One report from protobuf's parser.
struct RawDiag {
  int line;
  int col;
  std::string msg;
  bool warning;
};

// A report explained: where to point, what to say, and which text to blank out (the whole
// field statement holding the error) so that parsing can go on.
struct Diagnosis {
  TokPos at;
  std::string message;
  std::optional<std::pair<TokPos, TokPos>> blank;
};

Diagnosis diagnose(const RawDiag& raw, const Toks& t, const google::protobuf::Descriptor* root);

}  // namespace xpusim::io::detail
