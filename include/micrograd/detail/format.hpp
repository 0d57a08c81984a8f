#pragma once
/// \file
/// Internal: the text of graph pictures, shared by both engines' `to_dot` (do not rely on it).
/// Numbers go through std::to_chars, so they never depend on the C locale and always fit; label
/// text is escaped once, for what Graphviz does to a record field (see docs/robustness.md).
///
/// Graphviz reads a record label in three passes, each undone here in reverse:
///   1. DOT string: `\"` is `"`; every other byte is kept (so `\\` stays two bytes);
///   2. record fields: `{ } | < >` are structure, `\` + one of them is that character,
///      leading/trailing/repeated spaces and control bytes are dropped;
///   3. field text: `\N \G \E \T \H \L` are names, `\n \l \r` line breaks, `\x` is `x`, and
///      `&name;` / `&#N;` are character entities; the bytes must be valid UTF-8.

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace micrograd::detail {

/// A double as the pictures show it: 4 decimals in the seed's range (`0.7071`, `-1.5000`,
/// `0.0000`, `-0.0000`, 1e-4 <= |x| < 1e7), scientific with 4 decimals outside it (`1.0000e+300`,
/// `-1.0000e-300`), `nan`, `inf`, `-inf`. At most 14 characters; no locale.
[[nodiscard]] inline std::string picture_number(double x) {
  if (std::isnan(x)) return "nan";  // whatever its sign bit, as PyTorch prints it
  std::array<char, 32> buffer{};    // the longest is "-10000000.0000"
  const double magnitude = std::fabs(x);
  const bool fixed = magnitude == 0.0 || (magnitude >= 1e-4 && magnitude < 1e7);
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), x,
                    fixed ? std::chars_format::fixed : std::chars_format::scientific, 4);
  return {buffer.data(), result.ptr};  // the buffer always suffices (errc is never set)
}

/// The shortest text that reads back as the same double (`2`, `0.1`, `1e-07`, `1e+20`, `nan`,
/// `-inf`), independent of the locale: constants and exponents in labels.
[[nodiscard]] inline std::string shortest_number(double x) {
  if (std::isnan(x)) return "nan";
  std::array<char, 32> buffer{};  // the longest is 24 characters ("-2.2250738585072014e-308")
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), x);
  return {buffer.data(), result.ptr};
}

/// Length of the well-formed UTF-8 sequence at the start of `s` (1-4), or 0 if it is not one
/// (overlong forms, surrogates and code points above U+10FFFF are not well formed).
[[nodiscard]] inline std::size_t utf8_sequence_length(std::string_view s) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t min = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2, min = 0x80, code = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3, min = 0x800, code = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4, min = 0x10000, code = lead & 0x07u;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0u) != 0x80u) return 0;
    code = (code << 6) | (byte(i) & 0x3Fu);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

/// Appends the text Graphviz shows as the characters of `text`, after pass 3 (common to record
/// fields and plain labels): `\` doubled, `&` as `&amp;`, a newline as a centred line break,
/// other control bytes, DEL and bytes that are not UTF-8 as the visible text `\xHH`; in a
/// record, the characters that pass 2 would lose (`{ } | < >`, some spaces) escaped for it.
inline void append_label_text(std::string& out, std::string_view text, bool record) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    const std::size_t n = utf8_sequence_length(text.substr(i));
    if (n > 1) {  // a well-formed non-ASCII character: as it is
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    ++i;
    if (n == 0 || byte < 0x20 || byte == 0x7F) {
      if (c == '\n') {
        out += "\\n";
      } else {  // shown as the four characters \xHH: the backslash itself escaped
        out += "\\\\x";
        out += hex[byte >> 4];
        out += hex[byte & 0xFu];
      }
    } else if (c == '\\') {
      // At the very end, `\\` would meet the closing quote as `\"` (pass 1 has no way to
      // write a string that ends in a backslash): the second one as an entity, read in pass 3.
      out += i == text.size() ? "\\&#92;" : "\\\\";
    } else if (c == '&') {
      out += "&amp;";
    } else if (record && (c == '{' || c == '}' || c == '|' || c == '<' || c == '>')) {
      out += '\\';
      out += c;
    } else if (record && c == ' ' && (i == 1 || i == text.size() || text[i - 2] == ' ')) {
      // A space that a record field would drop (leading, trailing, repeated), as an entity that
      // only pass 3 reads. (Not the hard space `\ `: after one, Graphviz 2.42 stops trimming
      // the trailing spaces of every later field of the record.)
      out += "&#32;";
    } else {
      out += c;  // (`"` is escaped by dot_quoted, for the DOT string, not here)
    }
  }
}

/// The record-field text that Graphviz shows as `text`, byte for byte.
[[nodiscard]] inline std::string record_field(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_label_text(out, text, true);
  return out;
}

/// The text of a plain (non-record) label that Graphviz shows as `text`.
[[nodiscard]] inline std::string plain_label(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_label_text(out, text, false);
  return out;
}

/// `text` as a quoted DOT string: `"` becomes `\"`, nothing else changes (pass 1).
[[nodiscard]] inline std::string dot_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

/// `"{ label | data 2.0000 | grad -1.5000 }"`, the seed's record of a value (a DOT string with
/// its quotes), the same in both engines; `label` is escaped, the numbers are picture_number's.
[[nodiscard]] inline std::string record_label(std::string_view label, double data, double grad) {
  const std::string field = record_field(label);
  // "{ü" rather than "{ ü": Graphviz 2.42's parse_reclbl copies the non-ASCII bytes that follow
  // a skipped space without starting the field's text, then drops the next space as if it were
  // leading ("ü λ" would show as "üλ"). Fields starting with ASCII keep the seed's "{ x1 | ...".
  const bool tight = !field.empty() && (static_cast<unsigned char>(field.front()) & 0x80u) != 0;
  return dot_quoted((tight ? "{" : "{ ") + field + " | data " + picture_number(data) + " | grad " +
                    picture_number(grad) + " }");
}

}  // namespace micrograd::detail
