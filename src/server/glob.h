// Redis-style glob matching for SCAN MATCH and CONFIG GET: `*` any run of bytes, `?` any one
// byte, `[abc]`, `[a-z]`, `[^a]` (a set, a range, a negated set), `\x` a literal x. Matching
// is over bytes, case-sensitive. Bounded: the matcher backtracks only to the latest `*`, so a
// match costs O(pattern length * text length) at worst, never exponential time.
#ifndef CAIRN_SERVER_GLOB_H_
#define CAIRN_SERVER_GLOB_H_

#include <string_view>

namespace cairn::server {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_GLOB_H_
