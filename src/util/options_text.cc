#include "util/options_text.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "cairn/env.h"
#include "util/constants.h"

namespace cairn {
namespace {

// --- Values ---------------------------------------------------------------------------------

// The largest size any byte option accepts, 256 TiB: more memory or disk than one database
// will have, and far enough below 2^64 that the engine's doublings and sums of sizes (e.g.
// twice memtable_size_bytes) cannot overflow.
constexpr uint64_t kMaxOptionBytes = uint64_t{1} << 48;

// DB::Open raises a smaller memtable_size_bytes to this; text refuses it instead, so that what
// `cairn stats` prints is what the engine uses.
constexpr uint64_t kMinMemtableSizeBytes = 4u << 10;

struct SizeUnit {
  std::string_view suffix;
  uint64_t bytes;
};
// Largest first: FormatSize picks the largest unit that divides the value exactly.
constexpr std::array<SizeUnit, 4> kSizeUnits = {{
    {"TiB", uint64_t{1} << 40},
    {"GiB", uint64_t{1} << 30},
    {"MiB", uint64_t{1} << 20},
    {"KiB", uint64_t{1} << 10},
}};

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// A plain decimal integer: digits only (no sign, no spaces, no base prefix), fitting 64 bits.
Status ParseDecimal(std::string_view text, uint64_t* value) {
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    return Status::InvalidArgument("not a decimal integer");
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  if (error == std::errc::result_out_of_range) {
    return Status::InvalidArgument("too large");
  }
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("not a decimal integer (trailing characters)");
  }
  return Status::OK();
}

const char kSizeSyntax[] =
    "expected bytes: an integer, optionally followed by KiB, MiB, GiB or TiB";

Status ParseSize(std::string_view text, uint64_t* value) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    digits++;
  }
  std::string_view suffix = text.substr(digits);
  uint64_t unit = 1;
  if (!suffix.empty()) {
    unit = 0;
    for (const SizeUnit& u : kSizeUnits) {
      if (suffix == u.suffix) {
        unit = u.bytes;
      }
    }
    if (unit == 0) {
      return Status::InvalidArgument(kSizeSyntax);
    }
  }
  Status s = ParseDecimal(text.substr(0, digits), value);
  if (!s.ok()) {
    return Status::InvalidArgument(std::string(kSizeSyntax) + "; " + s.message());
  }
  if (*value > std::numeric_limits<uint64_t>::max() / unit) {
    return Status::InvalidArgument("too large");
  }
  *value *= unit;
  return Status::OK();
}

std::string FormatSize(uint64_t bytes) {
  for (const SizeUnit& u : kSizeUnits) {
    if (bytes != 0 && bytes % u.bytes == 0) {
      return std::to_string(bytes / u.bytes) + std::string(u.suffix);
    }
  }
  return std::to_string(bytes);
}

// --- Fields by kind -------------------------------------------------------------------------
// Each kind is a pair of function templates over the member pointer (and its range), so one
// table row instantiates a parser and a formatter for exactly that field.

template <typename M>
struct MemberOf;
template <typename T>
struct MemberOf<T Options::*> {
  using Type = T;
};
template <auto kMember>
using FieldType = typename MemberOf<decltype(kMember)>::Type;

template <auto kMember>
Status ParseBool(std::string_view text, Options* options) {
  if (text == "true" || text == "false") {
    options->*kMember = text == "true";
    return Status::OK();
  }
  return Status::InvalidArgument("expected true or false");
}
template <auto kMember>
std::string FormatBool(const Options& options) {
  return options.*kMember ? "true" : "false";
}

// Unsigned range check shared by sizes and counts. Every count in Options has a lower bound of
// at least 0, so no signed text is ever needed.
template <auto kMember, uint64_t kMin, uint64_t kMax, bool kIsSize>
Status StoreInRange(uint64_t value, Options* options) {
  using T = FieldType<kMember>;
  static_assert(std::is_integral_v<T> && kMin <= kMax &&
                kMax <= static_cast<uint64_t>(std::numeric_limits<T>::max()));
  if (value < kMin || value > kMax) {
    auto show = [](uint64_t v) { return kIsSize ? FormatSize(v) : std::to_string(v); };
    return Status::InvalidArgument("out of range [" + show(kMin) + ", " + show(kMax) + "]");
  }
  options->*kMember = static_cast<T>(value);
  return Status::OK();
}

template <auto kMember, uint64_t kMin, uint64_t kMax>
Status ParseBytes(std::string_view text, Options* options) {
  uint64_t value = 0;
  CAIRN_RETURN_IF_ERROR(ParseSize(text, &value));
  return StoreInRange<kMember, kMin, kMax, true>(value, options);
}
template <auto kMember>
std::string FormatBytes(const Options& options) {
  return FormatSize(static_cast<uint64_t>(options.*kMember));
}

template <auto kMember, uint64_t kMin, uint64_t kMax>
Status ParseCount(std::string_view text, Options* options) {
  uint64_t value = 0;
  CAIRN_RETURN_IF_ERROR(ParseDecimal(text, &value));
  return StoreInRange<kMember, kMin, kMax, false>(value, options);
}
template <auto kMember>
std::string FormatCount(const Options& options) {
  return std::to_string(options.*kMember);
}

template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};
constexpr std::array<EnumName<WalRecovery>, 2> kWalRecoveryNames = {{
    {"strict", WalRecovery::kStrict},
    {"salvage", WalRecovery::kSalvage},
}};
constexpr std::array<EnumName<Compression>, 3> kCompressionNames = {{
    {"none", Compression::kNone},
    {"lz4", Compression::kLZ4},
    {"zstd", Compression::kZstd},
}};

template <auto kMember, const auto& kNames>
Status ParseEnum(std::string_view text, Options* options) {
  std::string expected;
  for (const auto& entry : kNames) {
    if (text == entry.name) {
      options->*kMember = entry.value;
      return Status::OK();
    }
    expected += (expected.empty() ? "" : ", ") + std::string(entry.name);
  }
  return Status::InvalidArgument("expected one of: " + expected);
}
template <auto kMember, const auto& kNames>
std::string FormatEnum(const Options& options) {
  for (const auto& entry : kNames) {
    if (options.*kMember == entry.value) {
      return std::string(entry.name);
    }
  }
  // Only a value cast from outside the enum gets here; print it so it is refused on reading.
  return std::to_string(static_cast<int>(options.*kMember));
}

template <auto kMember>
constexpr OptionField Bool(std::string_view name, std::string_view description) {
  return {name, description, &ParseBool<kMember>, &FormatBool<kMember>};
}
template <auto kMember, uint64_t kMin = 0, uint64_t kMax = kMaxOptionBytes>
constexpr OptionField Bytes(std::string_view name, std::string_view description) {
  return {name, description, &ParseBytes<kMember, kMin, kMax>, &FormatBytes<kMember>};
}
template <auto kMember, uint64_t kMin, uint64_t kMax>
constexpr OptionField Count(std::string_view name, std::string_view description) {
  return {name, description, &ParseCount<kMember, kMin, kMax>, &FormatCount<kMember>};
}
template <auto kMember, const auto& kNames>
constexpr OptionField Enum(std::string_view name, std::string_view description) {
  return {name, description, &ParseEnum<kMember, kNames>, &FormatEnum<kMember, kNames>};
}

constexpr uint64_t kIntMax = std::numeric_limits<int>::max();
constexpr uint64_t kSizeMax = std::numeric_limits<size_t>::max();

// --- The table ------------------------------------------------------------------------------
// One row per field of Options, in options.h order; ranges are what the engine uses without
// adjusting (DB::Open raises some values that are too small; those are refused here).
constexpr auto kOptionFields = std::to_array<OptionField>({
    Bool<&Options::create_if_missing>(
        "create_if_missing", "create the database if the directory holds none; default true"),
    Bool<&Options::error_if_exists>("error_if_exists",
                                    "fail if a database already exists; default false"),
    Bytes<&Options::memtable_size_bytes, kMinMemtableSizeBytes>(
        "memtable_size_bytes",
        "a MemTable this full becomes immutable and a new one with a new WAL starts; "
        "default 64MiB"),
    Enum<&Options::wal_recovery, kWalRecoveryNames>(
        "wal_recovery",
        "strict (refuse to open when acknowledged WAL data is damaged) or salvage (open with "
        "what precedes the damage, report the loss); default strict"),
    Count<&Options::wal_recycle_files, 0, kSizeMax>(
        "wal_recycle_files", "obsolete WAL files kept for reuse; 0 turns recycling off; default 2"),
    Bytes<&Options::wal_preallocate_bytes>(
        "wal_preallocate_bytes",
        "a new WAL (when none can be recycled) is first zero-filled to this size; 0: off; "
        "default 8MiB"),
    Bytes<&Options::wal_background_sync_bytes>(
        "wal_background_sync_bytes",
        "with sync=false writes, fdatasync the WAL in the background once this much is "
        "unsynced; 0: off; default 1MiB"),
    Bytes<&Options::block_size_bytes, kSegmentTargetBlockBytesMin, kSegmentTargetBlockBytesMax>(
        "block_size_bytes", "target size of a segment data block before compression; default 8KiB"),
    Count<&Options::bloom_bits_per_key, 0, kSegmentMaxBloomBitsPerKey>(
        "bloom_bits_per_key",
        "Bloom filter bits per key (10: about 1% false positives); "
        "0 disables filters; default 10"),
    Enum<&Options::compression, kCompressionNames>(
        "compression", "data block compression: none, lz4 or zstd; default lz4"),
    Bytes<&Options::block_cache_bytes>(
        "block_cache_bytes", "memory for decoded blocks shared by all reads; default 64MiB"),
    Bytes<&Options::max_wal_size_bytes>(
        "max_wal_size_bytes",
        "live WAL files over this force a flush, bounding replay at open (at most half of "
        "max_memtable_memory_bytes is used); default 128MiB"),
    Bytes<&Options::max_memtable_memory_bytes>(
        "max_memtable_memory_bytes",
        "hard limit on MemTable memory; writers slow from half of it (at least twice "
        "memtable_size_bytes is used); default 256MiB"),
    Count<&Options::l0_compaction_trigger, 1, kIntMax>(
        "l0_compaction_trigger", "level-0 files that trigger a compaction into level 1; default 4"),
    Count<&Options::l0_slowdown_files, 1, kIntMax>(
        "l0_slowdown_files",
        "level-0 files from which writers are slowed (at least l0_compaction_trigger is used); "
        "default 8"),
    Count<&Options::l0_slowdown_full_files, 1, kIntMax>(
        "l0_slowdown_full_files",
        "level-0 files at which the slowdown is full (at least l0_slowdown_files is used); "
        "default 24"),
    Bytes<&Options::level1_size_bytes, 1>("level1_size_bytes",
                                          "target size of level 1; default 256MiB"),
    Count<&Options::level_size_multiplier, 2, kIntMax>(
        "level_size_multiplier", "each level below 1 may hold this many times more; default 10"),
    Bytes<&Options::target_segment_size_bytes, 1>(
        "target_segment_size_bytes", "compaction outputs are cut near this size; default 32MiB"),
});

// How many fields an aggregate has: the most initializers `T{...}` accepts, each convertible
// to any field type. Used to notice a field added to Options without a row above.
struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT(google-explicit-constructor): unevaluated only
};
template <typename T, typename... Fields>
constexpr size_t AggregateFieldCount() {
  if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return AggregateFieldCount<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}
// The one field text cannot set: Options::env (a pointer).
constexpr size_t kFieldsWithoutText = 1;
static_assert(AggregateFieldCount<Options>() == kOptionFields.size() + kFieldsWithoutText,
              "a field of cairn::Options has no row in kOptionFields: add one (name, "
              "description, kind and range) above and describe it in docs/options.md");

std::string_view Trim(std::string_view text) {
  const std::string_view kBlank = " \t\r";
  size_t begin = text.find_first_not_of(kBlank);
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(kBlank) - begin + 1);
}

}  // namespace

std::span<const OptionField> OptionFields() { return kOptionFields; }

const OptionField* FindOptionField(std::string_view name) {
  for (const OptionField& field : kOptionFields) {
    if (field.name == name) {
      return &field;
    }
  }
  return nullptr;
}

Status SetOption(std::string_view name, std::string_view value, Options* options) {
  const OptionField* field = FindOptionField(name);
  if (field == nullptr) {
    return Status::InvalidArgument("unknown option " + Quote(name) +
                                   " (`cairn options` lists every option)");
  }
  Options changed = *options;
  Status s = field->parse(value, &changed);
  if (!s.ok()) {
    return Status::InvalidArgument("option " + std::string(name) + ": bad value " + Quote(value) +
                                   ": " + std::string(s.message()));
  }
  *options = changed;
  return Status::OK();
}

Status ApplyOptionAssignment(std::string_view assignment, Options* options) {
  size_t equals = assignment.find('=');
  if (equals == std::string_view::npos) {
    return Status::InvalidArgument("expected NAME=VALUE, got " + Quote(assignment));
  }
  return SetOption(Trim(assignment.substr(0, equals)), Trim(assignment.substr(equals + 1)),
                   options);
}

Status ApplyOptionsText(std::string_view text, std::string_view source, Options* options) {
  size_t line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = Trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    line_number++;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    Status s = ApplyOptionAssignment(line, options);
    if (!s.ok()) {
      return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line_number) +
                                     ": " + std::string(s.message()));
    }
  }
  return Status::OK();
}

Status ReadOptionsFile(Env* env, const std::string& path, Options* options) {
  Result<std::unique_ptr<ReadableFile>> file = env->NewReadableFile(path);
  CAIRN_RETURN_IF_ERROR(file.status());
  Result<uint64_t> size = file.value()->Size();
  CAIRN_RETURN_IF_ERROR(size.status());
  if (size.value() > kMaxOptionsFileBytes) {
    return Status::InvalidArgument(path + ": a config file of " + FormatSize(size.value()) +
                                   " is larger than " + FormatSize(kMaxOptionsFileBytes));
  }
  std::string scratch(size.value(), '\0');
  std::string_view text;
  CAIRN_RETURN_IF_ERROR(file.value()->Read(0, scratch.size(), scratch.data(), &text));
  return ApplyOptionsText(text, path, options);
}

std::string FormatOptions(const Options& options, bool describe) {
  std::string text;
  for (const OptionField& field : kOptionFields) {
    if (describe) {
      text += "# " + std::string(field.description) + "\n";
    }
    text += std::string(field.name) + "=" + field.format(options) + "\n";
  }
  return text;
}

}  // namespace cairn
