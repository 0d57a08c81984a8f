#pragma once
/// \file
/// Internal: a small, strict JSON reader and the string escaping of its writer, enough for the
/// safetensors header (io.hpp). Do not rely on anything here.
///
/// The reader takes untrusted text: RFC 8259 grammar only (no comments, no trailing commas, no
/// NaN), nesting at most `max_depth` deep, control characters and invalid UTF-8 rejected, `\u`
/// escapes (surrogate pairs included) decoded to UTF-8, duplicate object keys rejected. Numbers
/// keep their text; `as_uint64` reads a non-negative integer exactly (overflow is an error). Errors
/// throw std::runtime_error "offset N: what". Linear in the text's size.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace micrograd::detail::json {

/// One JSON value. Objects keep their members in the text's order.
struct Value {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;               ///< a string's decoded bytes, or a number's lexeme
  std::vector<Value> items;       ///< array elements
  std::vector<std::string> keys;  ///< object member names, in the text's order
  std::vector<Value> members;     ///< object member values, keys[i]'s at members[i]

  /// The member named `key`, or null if there is none (objects only).
  [[nodiscard]] const Value* find(std::string_view key) const noexcept {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &members[i];
    }
    return nullptr;
  }
};

/// The name of a kind, for messages.
[[nodiscard]] inline const char* kind_name(Value::Kind k) noexcept {
  switch (k) {
    case Value::Kind::null:
      return "null";
    case Value::Kind::boolean:
      return "a boolean";
    case Value::Kind::number:
      return "a number";
    case Value::Kind::string:
      return "a string";
    case Value::Kind::array:
      return "an array";
    case Value::Kind::object:
      return "an object";
  }
  return "?";
}

/// A number's text as a non-negative integer; false if it is not one or does not fit.
[[nodiscard]] inline bool as_uint64(const Value& v, std::uint64_t& out) noexcept {
  if (v.kind != Value::Kind::number || v.text.empty()) return false;
  for (const char c : v.text) {
    if (c < '0' || c > '9') return false;  // sign, fraction or exponent
  }
  const char* end = v.text.data() + v.text.size();
  const auto [ptr, ec] = std::from_chars(v.text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

/// Untrusted text for an error message: quoted, at most `max` of its bytes (then `...` after the
/// closing quote), `"` and `\` escaped with a backslash and every byte outside printable ASCII
/// as `\xHH`, so a message is bounded, printable and never holds a cut UTF-8 sequence.
[[nodiscard]] inline std::string shown(std::string_view s, std::size_t max = 80) {
  constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (s[i] == '"' || s[i] == '\\') {
      out.push_back('\\');
      out.push_back(s[i]);
    } else if (u < 0x20 || u >= 0x7F) {
      out += "\\x";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xF]);
    } else {
      out.push_back(s[i]);
    }
  }
  return out + (s.size() > max ? "\"..." : "\"");
}

class Reader {
 public:
  static constexpr int max_depth = 32;

  explicit Reader(std::string_view text) noexcept : s_(text) {}

  /// The whole text as one value (surrounding whitespace allowed).
  Value document() {
    skip_space();
    Value v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("offset " + std::to_string(pos_) + ": " + what);
  }

  void skip_space() noexcept {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  [[nodiscard]] char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void expect(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) {
      fail(pos_ >= s_.size() ? std::string("unexpected end, expected '") + c + "'"
                             : std::string("expected '") + c + "'");
    }
    ++pos_;
  }

  void literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal");
    pos_ += word.size();
  }

  Value value(int depth) {
    if (depth > max_depth) fail("nesting deeper than " + std::to_string(max_depth));
    Value v;
    switch (peek()) {
      case '{':
        v.kind = Value::Kind::object;
        object(v, depth);
        break;
      case '[':
        v.kind = Value::Kind::array;
        array(v, depth);
        break;
      case '"':
        v.kind = Value::Kind::string;
        v.text = string();
        break;
      case 't':
        literal("true");
        v.kind = Value::Kind::boolean;
        v.boolean = true;
        break;
      case 'f':
        literal("false");
        v.kind = Value::Kind::boolean;
        break;
      case 'n':
        literal("null");
        break;
      case '\0':
        if (pos_ >= s_.size()) fail("unexpected end of the JSON text");
        fail("unexpected character");
      default:
        v.kind = Value::Kind::number;
        v.text = number();
    }
    return v;
  }

  void object(Value& v, int depth) {
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    std::set<std::string> keys;
    for (;;) {
      skip_space();
      if (peek() != '"') fail("expected a string key");
      std::string key = string();
      if (!keys.insert(key).second) fail("duplicate key " + shown(key, 64));
      skip_space();
      expect(':');
      skip_space();
      v.members.push_back(value(depth + 1));
      v.keys.push_back(std::move(key));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void array(Value& v, int depth) {
    expect('[');
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_space();
      v.items.push_back(value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return;
    }
  }

  std::string number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("invalid number");
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) fail("invalid number");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) fail("invalid number");
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  unsigned hex4() {
    if (s_.size() - pos_ < 4) fail("truncated \\u escape");
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      u <<= 4;
      if (c >= '0' && c <= '9') {
        u |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        u |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        u |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("invalid \\u escape");
      }
    }
    return u;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    auto byte = [&](unsigned b) {
      out.push_back(static_cast<char>(static_cast<unsigned char>(b)));
    };
    if (cp < 0x80) {
      byte(cp);
    } else if (cp < 0x800) {
      byte(0xC0 | (cp >> 6));
      byte(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      byte(0xE0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    } else {
      byte(0xF0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3F));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    }
  }

  /// The rest of a UTF-8 sequence whose lead byte was just read, appended to `out`; only
  /// well-formed UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF), as the
  /// reference implementation, which reads the header as a Rust `str`.
  void utf8_sequence(std::string& out) {
    const auto lead = static_cast<unsigned char>(s_[pos_ - 1]);
    std::size_t more = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      more = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      more = 2;
      if (lead == 0xE0) lo = 0xA0;  // no overlong forms
      if (lead == 0xED) hi = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      more = 3;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;  // at most U+10FFFF
    } else {
      --pos_;
      fail("invalid UTF-8 in a string");
    }
    out.push_back(static_cast<char>(lead));
    for (std::size_t i = 0; i < more; ++i, lo = 0x80, hi = 0xBF) {
      const auto b = pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_]) : 0;
      if (b < lo || b > hi) fail("invalid UTF-8 in a string");
      out.push_back(static_cast<char>(b));
      ++pos_;
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        utf8_sequence(out);
        continue;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated string");
      switch (s_[pos_++]) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: a low one must follow
            if (s_.substr(pos_, 2) != "\\u") fail("unpaired surrogate in \\u escape");
            pos_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired surrogate in \\u escape");
          }
          put_utf8(out, cp);
          break;
        }
        default:
          fail("invalid escape in a string");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

/// Parses `text` as one JSON value.
[[nodiscard]] inline Value parse(std::string_view text) { return Reader(text).document(); }

/// `s` as a JSON string literal, quotes included.
[[nodiscard]] inline std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace micrograd::detail::json
