#include "core/headers.h"

#include <algorithm>

namespace runnel {

void Headers::add(std::string key, NullableBytes value) {
  headers_.push_back(Header{std::move(key), std::move(value)});
}

std::size_t Headers::remove(std::string_view key) {
  return std::erase_if(headers_, [key](const Header& h) { return h.key == key; });
}

const Header* Headers::last(std::string_view key) const {
  auto it = std::find_if(headers_.rbegin(), headers_.rend(),
                         [key](const Header& h) { return h.key == key; });
  return it == headers_.rend() ? nullptr : &*it;
}

std::vector<const Header*> Headers::all(std::string_view key) const {
  std::vector<const Header*> found;
  for (const Header& h : headers_) {
    if (h.key == key) found.push_back(&h);
  }
  return found;
}

}  // namespace runnel
