// libFuzzer target: bytes -> a label and two numbers -> the pictures' text (detail/format.hpp,
// micrograd::to_dot). Checks, for any bytes:
//  - reading the DOT string back the way Graphviz does (a model of its three passes: DOT
//    string, record fields, field text) gives exactly the label, with control bytes and
//    invalid UTF-8 shown as `\xHH`: no bad record, nothing lost, nothing doubled;
//  - numbers are short, locale-free and read back to within their 4 decimals;
//  - with Graphviz (MICROGRAD_HAVE_GRAPHVIZ), the record renders with no error and the SVG
//    holds every line of the label.
// Input: byte 0 selects the op label or the record; bytes 1-16 two doubles; the rest the label.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "micrograd/detail/format.hpp"
#include "micrograd/dot.hpp"
#include "support/svg_text.hpp"
#ifdef MICROGRAD_HAVE_GRAPHVIZ
#include "micrograd/graphviz.hpp"
#endif

namespace {

namespace detail = micrograd::detail;

[[noreturn]] void fail(const char* what, std::string_view detail_text) {
  std::fprintf(stderr, "fuzz_dot: %s: [%.*s]\n", what, static_cast<int>(detail_text.size()),
               detail_text.data());
  std::abort();
}

/// What the picture must show for `label`: the bytes, with a newline as a line break and
/// control bytes, DEL and bytes outside well-formed UTF-8 as the text \xHH.
std::string expected_display(std::string_view label) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < label.size();) {
    const std::size_t n = detail::utf8_sequence_length(label.substr(i));
    const auto byte = static_cast<unsigned char>(label[i]);
    if (n > 1) {
      out.append(label.substr(i, n));
      i += n;
      continue;
    }
    ++i;
    if (label[i - 1] == '\n') {
      out += '\n';
    } else if (n == 0 || byte < 0x20 || byte == 0x7F) {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

/// Pass 1: a quoted DOT string -> its value, as Graphviz's scanner reads it: a backslash
/// right before a quote makes it a quote (whatever precedes the backslash), any other byte is
/// itself, and the first other quote ends the string (which must be the end of `s`).
std::string read_dot_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"') fail("not a quoted string", s);
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"') {
      out += '"';
      ++i;
    } else if (s[i] == '"') {
      if (i + 1 != s.size()) fail("an unescaped quote ends the string early", s);
      return out;
    } else if (s[i] == '\n') {
      fail("a raw newline in the DOT string", s);
    } else {
      out += s[i];
    }
  }
  fail("the closing quote is escaped", s);
}

/// Pass 3: field text -> what is shown (`&amp;`, `&#32;`, `&#92;` decoded first, then `\\` is `\`,
/// `\n` a line break, `\x` is x).
std::string read_field_text(std::string_view s) {
  std::string entities;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      if (s.substr(i, 5) == "&amp;") {
        entities += '&';
        i += 4;
      } else if (s.substr(i, 5) == "&#32;") {
        entities += ' ';
        i += 4;
      } else if (s.substr(i, 5) == "&#92;") {
        entities += '\\';
        i += 4;
      } else if (s.substr(i, 2) == "&#" && s.find(';', i) != std::string_view::npos &&
                 s.find(';', i) - i <= 9) {  // a decimal code point, as UTF-8
        const std::size_t semi = s.find(';', i);
        std::uint32_t code = 0;
        for (std::size_t k = i + 2; k < semi; ++k) {
          if (s[k] < '0' || s[k] > '9') fail("a malformed numeric entity", s);
          code = code * 10 + static_cast<std::uint32_t>(s[k] - '0');
        }
        if (code > 0x10FFFF) fail("a numeric entity out of range", s);
        micrograd::test::append_utf8(entities, code);
        i = semi;
      } else {
        fail("an ampersand that is not an entity of ours", s);
      }
    } else {
      entities += s[i];
    }
  }
  std::string out;
  for (std::size_t i = 0; i < entities.size(); ++i) {
    if (entities[i] != '\\') {
      out += entities[i];
      continue;
    }
    if (i + 1 == entities.size()) fail("a lone backslash at the end of a field", s);
    const char c = entities[++i];
    if (c == 'N' || c == 'G' || c == 'E' || c == 'T' || c == 'H' || c == 'L') {
      fail("a Graphviz name escape", s);
    }
    out += c == 'n' || c == 'l' || c == 'r' ? '\n' : c;
  }
  return out;
}

/// Pass 2: a record `{ f0 | f1 | f2 }` -> its fields' text, as Graphviz's parse_reclbl cuts it
/// (escaped structure characters are characters; spaces collapsed and trimmed; structure
/// characters inside a field are the "bad label format" that the old escaping produced).
std::vector<std::string> read_record(std::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') fail("not a { } record", s);
  std::vector<std::string> fields(1);
  bool in_text = false;  // parse_reclbl's INTEXT: set by the first byte that is not a space
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    const char c = s[i];
    std::string& f = fields.back();
    if (!in_text && c == ' ') {
      // a skipped space; Graphviz 2.42 then copies the non-ASCII bytes after it without
      // entering the text, so the space after them is skipped too ("{ \u00fc \u03bb" shows
      // "\u00fc\u03bb")
      while (i + 2 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0x80u) != 0) f += s[++i];
      continue;
    }
    if (c != '|') in_text = true;
    if (static_cast<unsigned char>(c) < 0x20) fail("a control byte (Graphviz drops it)", s);
    if (c == '\\' && i + 2 < s.size()) {
      const char n = s[++i];
      if (n == '{' || n == '}' || n == '|' || n == '<' || n == '>') {
        f += n;
      } else if (n == ' ') {
        fail("a hard space (Graphviz 2.42 then keeps later fields' trailing spaces)", s);
      } else {
        f += '\\';
        f += n;
      }
    } else if (c == '|') {
      fields.emplace_back();
      in_text = false;
    } else if (c == '{' || c == '}' || c == '<' || c == '>') {
      fail("bad label format: a structure character inside a field", s);
    } else if (c == ' ') {
      if (!f.empty() && f.back() != ' ') f += ' ';
    } else {
      f += c;
    }
  }
  for (std::string& f : fields) {
    if (!f.empty() && f.back() == ' ') f.pop_back();
  }
  return fields;
}

void check_number(double x) {
  const std::string text = detail::picture_number(x);
  if (text.size() > 14) fail("a number longer than 14 characters", text);
  for (const char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'n' || c == 'a' || c == 'i' || c == 'f')) {
      fail("a stray character in a number", text);
    }
  }
  double back = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
  if (ptr != text.data() + text.size()) fail("a number does not read", text);
  // 4 decimals may round the largest doubles past the range ("1.7977e+308")
  if (ec == std::errc::result_out_of_range && std::fabs(x) > 1.7976e308) return;
  if (ec != std::errc()) fail("a number does not read", text);
  if (std::isnan(x) != std::isnan(back)) fail("NaN lost", text);
  if (std::isnan(x)) return;
  const double tolerance =
      std::fabs(x) >= 1e-4 && std::fabs(x) < 1e7 ? 5.1e-5 : 5.1e-5 * std::fabs(x);
  if (!(back == x || std::fabs(back - x) <= tolerance)) fail("a number reads back wrong", text);
  if (std::signbit(back) != std::signbit(x)) fail("a sign lost", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 17) return 0;
  double numbers[2];
  std::memcpy(numbers, data + 1, sizeof numbers);
  const std::string label(reinterpret_cast<const char*>(data + 17), size - 17);
  check_number(numbers[0]);
  check_number(numbers[1]);
  const std::string expected = expected_display(label);

  if ((data[0] & 1) != 0) {  // a plain label (an op node): passes 1 and 3 only
    const std::string shown =
        read_field_text(read_dot_string(detail::dot_quoted(detail::plain_label(label))));
    if (shown != expected) fail("a plain label shows differently", shown);
    return 0;
  }
  const std::string dot_string = detail::record_label(label, numbers[0], numbers[1]);
  const std::vector<std::string> fields = read_record(read_dot_string(dot_string));
  if (fields.size() != 3) fail("not three fields", dot_string);
  if (read_field_text(fields[0]) != expected) fail("the label shows differently", dot_string);
  if (fields[1] != "data " + detail::picture_number(numbers[0])) fail("data field", dot_string);
  if (fields[2] != "grad " + detail::picture_number(numbers[1])) fail("grad field", dot_string);

  // micrograd::to_dot draws a Value's record with the same text
  const micrograd::Value v(numbers[0], label);
  const std::string dot = micrograd::to_dot(v);
  if (dot.find(detail::record_label(v.label(), v.data(), v.grad())) == std::string::npos) {
    fail("to_dot lacks the record", dot);
  }
#ifdef MICROGRAD_HAVE_GRAPHVIZ
  if ((data[0] & 2) != 0) {  // the real thing, for some inputs (a layout costs ~1 ms)
    const std::string graph = "digraph G { a [shape=record, label=" + dot_string + "]; }";
    std::string svg;
    try {
      svg = detail::render_to_memory(graph, "svg", "fuzz.svg");
    } catch (const std::exception& e) {
      fail("Graphviz failed", e.what());
    }
    const std::vector<std::string> texts = micrograd::test::svg_texts(svg);
    std::size_t from = 0;
    for (std::size_t to = 0; to <= expected.size(); ++to) {
      if (to < expected.size() && expected[to] != '\n') continue;
      const std::string line = expected.substr(from, to - from);
      from = to + 1;
      if (line.find_first_not_of(' ') == std::string::npos) continue;
      bool found = false;
      for (const std::string& t : texts) found = found || t == line;
      if (!found) fail("the SVG lacks a line of the label", line);
    }
  }
#endif
  return 0;
}
