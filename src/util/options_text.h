// Options as text: the one table that names every field of cairn::Options a user can set
// from text, with a one-line description, a parser and a formatter. The `cairn` program's
// `--option NAME=VALUE` and `--config FILE` flags, and `cairn stats`, all go through it
// (docs/options.md is the user's reference).
//
// Adding a field to Options means adding one row to the table in options_text.cc; the build
// fails until that row exists (a static_assert counts the fields of Options).
//
// Text format: NAME=VALUE, whitespace around NAME and VALUE ignored. A config text holds one
// NAME=VALUE per line; blank lines and lines whose first non-blank character is '#' are
// ignored. Values by kind:
//   - bool: true or false;
//   - size in bytes: a decimal integer, optionally followed at once by KiB, MiB, GiB or TiB
//     (powers of 1024), e.g. 65536, 64KiB, 1GiB;
//   - count: a decimal integer;
//   - enum: one of the names listed in the field's description.
// Anything else (a sign, trailing characters, a value outside the field's range, a number that
// overflows) is refused with InvalidArgument naming the option and the value.
//
// Pure functions over caller-owned data except ReadOptionsFile; all are thread-safe.
#ifndef CAIRN_UTIL_OPTIONS_TEXT_H_
#define CAIRN_UTIL_OPTIONS_TEXT_H_

#include <span>
#include <string>
#include <string_view>

#include "cairn/options.h"
#include "cairn/status.h"

namespace cairn {

class Env;

// One settable field of Options.
struct OptionField {
  std::string_view name;         // the field's name in options.h
  std::string_view description;  // one line, with the accepted values and the default
  // Parses `value` into the field of *options. On failure an InvalidArgument whose message
  // says what was expected (without the option's name; SetOption adds it), *options unchanged.
  Status (*parse)(std::string_view value, Options* options);
  // The field's value as text that `parse` reads back to the same value.
  std::string (*format)(const Options& options);
};

// Every field of Options except `env` (a pointer, which text cannot name), in options.h order.
std::span<const OptionField> OptionFields();

// The field called `name`, or nullptr.
const OptionField* FindOptionField(std::string_view name);

// Sets option `name` from `value`. InvalidArgument naming both if the name is unknown or the
// value is bad; *options is then unchanged.
Status SetOption(std::string_view name, std::string_view value, Options* options);

// Applies one "NAME=VALUE" assignment. InvalidArgument (naming the assignment) if it has no
// '=' or SetOption refuses it.
Status ApplyOptionAssignment(std::string_view assignment, Options* options);

// Applies config text (the format above), line by line, in order. On the first bad line,
// InvalidArgument prefixed "<source>:<line number>: "; lines before it have been applied.
Status ApplyOptionsText(std::string_view text, std::string_view source, Options* options);

// Reads the config file `path` through `env` and applies it (ApplyOptionsText). The Env's
// error if it cannot be read; InvalidArgument if it is larger than kMaxOptionsFileBytes.
Status ReadOptionsFile(Env* env, const std::string& path, Options* options);

// A config file is read whole; a real one is a few hundred bytes, so anything this large is
// the wrong file.
inline constexpr size_t kMaxOptionsFileBytes = 1u << 20;

// Every field of `options` as "NAME=VALUE\n" lines in table order: config text that
// ApplyOptionsText reads back to the same options. With `describe`, each line is preceded by
// "# <description>\n".
std::string FormatOptions(const Options& options, bool describe = false);

}  // namespace cairn

#endif  // CAIRN_UTIL_OPTIONS_TEXT_H_
