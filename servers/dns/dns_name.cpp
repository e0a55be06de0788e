// DnsName: parsing, presentation and case-insensitive comparison of domain names.
#include "servers/dns/dns_name.hpp"

#include "sim/ascii.hpp"

#include <algorithm>

namespace mailflow::dns {
using sim::ascii_lower;

bool labels_equal(std::string_view a, std::string_view b) { return sim::ascii_iequals(a, b); }

std::optional<DnsName> DnsName::from_labels(std::vector<std::string> labels) {
  std::size_t length = 1;
  for (const auto& label : labels) {
    if (label.empty() || label.size() > kMaxLabelLength) return std::nullopt;
    length += label.size() + 1;
  }
  if (length > kMaxNameLength) return std::nullopt;
  DnsName name;
  name.labels_ = std::move(labels);
  return name;
}

std::optional<DnsName> DnsName::parse(std::string_view text) {
  if (text == ".") return DnsName{};
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::vector<std::string> labels;
  while (true) {
    auto dot = text.find('.');
    labels.emplace_back(text.substr(0, dot));
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return from_labels(std::move(labels));
}

std::string DnsName::to_string() const {
  if (labels_.empty()) return ".";
  std::string out;
  for (const auto& label : labels_) {
    out += label;
    out += '.';
  }
  return out;
}

std::string DnsName::key() const {
  std::string out;
  for (const auto& label : labels_) {
    if (!out.empty()) out += '.';
    for (char c : label) out += ascii_lower(c);
  }
  return out;
}

std::size_t DnsName::wire_length() const {
  std::size_t length = 1;
  for (const auto& label : labels_) length += label.size() + 1;
  return length;
}

bool DnsName::is_within(const DnsName& zone) const {
  if (zone.labels_.size() > labels_.size()) return false;
  auto offset = labels_.size() - zone.labels_.size();
  for (std::size_t i = 0; i < zone.labels_.size(); ++i) {
    if (!labels_equal(labels_[offset + i], zone.labels_[i])) return false;
  }
  return true;
}

DnsName DnsName::parent() const {
  DnsName up;
  if (!labels_.empty()) up.labels_.assign(labels_.begin() + 1, labels_.end());
  return up;
}

bool operator==(const DnsName& a, const DnsName& b) {
  return a.labels_.size() == b.labels_.size() &&
         std::equal(a.labels_.begin(), a.labels_.end(), b.labels_.begin(),
                    [](const std::string& x, const std::string& y) { return labels_equal(x, y); });
}

}  // namespace mailflow::dns
