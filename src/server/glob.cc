#include "server/glob.h"

#include <cstddef>
#include <utility>

namespace cairn::server {
namespace {

// Whether the set starting at pattern[*p] (just after '[') contains c; advances *p past the
// closing ']' (or to the end, for an unterminated set, which then extends to the end).
bool MatchSet(std::string_view pattern, size_t* p, unsigned char c) {
  size_t i = *p;
  bool negate = i < pattern.size() && pattern[i] == '^';
  if (negate) {
    i++;
  }
  bool found = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      found = found || static_cast<unsigned char>(pattern[i + 1]) == c;
      i += 2;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      unsigned char lo = static_cast<unsigned char>(pattern[i]);
      unsigned char hi = static_cast<unsigned char>(pattern[i + 2]);
      if (lo > hi) {
        std::swap(lo, hi);
      }
      found = found || (c >= lo && c <= hi);
      i += 3;
    } else {
      found = found || static_cast<unsigned char>(pattern[i]) == c;
      i++;
    }
  }
  *p = i < pattern.size() ? i + 1 : i;  // past ']'
  return found != negate;
}

// Whether the single-byte element at pattern[*p] (not '*') matches c; advances *p past it.
bool MatchElement(std::string_view pattern, size_t* p, unsigned char c) {
  char head = pattern[*p];
  if (head == '?') {
    (*p)++;
    return true;
  }
  if (head == '[') {
    (*p)++;
    return MatchSet(pattern, p, c);
  }
  if (head == '\\' && *p + 1 < pattern.size()) {
    bool same = static_cast<unsigned char>(pattern[*p + 1]) == c;
    *p += 2;
    return same;
  }
  (*p)++;
  return static_cast<unsigned char>(head) == c;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  // Where to resume after the latest '*': the pattern just past it, and the text position it
  // has swallowed up to.
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') {
        p++;
      }
      star_p = p;
      star_t = t;
      continue;
    }
    size_t next_p = p;
    if (p < pattern.size() &&
        MatchElement(pattern, &next_p, static_cast<unsigned char>(text[t]))) {
      p = next_p;
      t++;
      continue;
    }
    if (star_p == std::string_view::npos) {
      return false;
    }
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') {
    p++;
  }
  return p == pattern.size();
}

}  // namespace cairn::server
