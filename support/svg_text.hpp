#pragma once
// The text an SVG shows: the contents of its <text> elements with XML entities decoded, for
// tests that check what a picture says rather than how Graphviz spells it (`&#45;` for '-').
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace micrograd::test {

inline void append_utf8(std::string& out, std::uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// XML text with its entities decoded (the five named ones and numeric ones).
inline std::string xml_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t semi = s[i] == '&' ? s.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    const std::string_view name = s.substr(i + 1, semi - i - 1);
    if (name == "amp")
      out += '&';
    else if (name == "lt")
      out += '<';
    else if (name == "gt")
      out += '>';
    else if (name == "quot")
      out += '"';
    else if (name == "apos")
      out += '\'';
    else if (name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      append_utf8(out, static_cast<std::uint32_t>(std::stoul(std::string(name.substr(hex ? 2 : 1)),
                                                             nullptr, hex ? 16 : 10)));
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

/// The decoded contents of every <text ...>...</text> element, in document order. A no-break
/// space (U+00A0) reads as a space: Graphviz writes the second of two spaces as `&#160;`, so
/// that SVG does not collapse them.
inline std::vector<std::string> svg_texts(const std::string& svg) {
  std::vector<std::string> texts;
  for (std::size_t at = svg.find("<text"); at != std::string::npos; at = svg.find("<text", at)) {
    const std::size_t open_end = svg.find('>', at);
    const std::size_t close = svg.find("</text>", open_end);
    if (open_end == std::string::npos || close == std::string::npos) break;
    std::string text = xml_decode(std::string_view(svg).substr(open_end + 1, close - open_end - 1));
    for (std::size_t nbsp = text.find("\u00a0"); nbsp != std::string::npos;
         nbsp = text.find("\u00a0", nbsp)) {
      text.replace(nbsp, 2, " ");
    }
    texts.push_back(std::move(text));
    at = close;
  }
  return texts;
}

}  // namespace micrograd::test
