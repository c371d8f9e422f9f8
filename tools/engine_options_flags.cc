#include "engine_options_flags.h"

#include "cairn/env.h"
#include "cairn/status.h"
#include "util/options_text.h"

namespace cairn::cli {
namespace {

// A refused name or value speaks for itself; a file that cannot be read keeps its code.
std::string Describe(const Status& s) { return s.IsInvalidArgument() ? s.message() : s.ToString(); }

}  // namespace

void AddEngineOptionFlags(CLI::App* command, EngineOptionFlags* flags) {
  command
      ->add_option("--option", flags->assignments,
                   "engine option NAME=VALUE, repeatable, applied after --config; "
                   "`cairn options` lists every NAME (docs/options.md)")
      ->allow_extra_args(false);  // one NAME=VALUE per --option, so a key after it stays a key
  command->add_option("--config", flags->config_path,
                      "file of engine options, one NAME=VALUE per line, # comments");
}

Options ResolveEngineOptions(const EngineOptionFlags& flags) {
  Options options;
  if (!flags.config_path.empty()) {
    Status s = ReadOptionsFile(Env::Default(), flags.config_path, &options);
    if (!s.ok()) {
      throw CLI::ValidationError("--config", Describe(s));
    }
  }
  for (const std::string& assignment : flags.assignments) {
    Status s = ApplyOptionAssignment(assignment, &options);
    if (!s.ok()) {
      throw CLI::ValidationError("--option", Describe(s));
    }
  }
  return options;
}

}  // namespace cairn::cli
