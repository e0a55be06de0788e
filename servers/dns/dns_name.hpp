// DnsName: a domain name as a sequence of labels (RFC 1035 §3.1), kept in the case it
// arrived in (so a reply echoes the question's 0x20 case mix) and compared
// case-insensitively (RFC 4343). No I/O; the wire codec lives in dns_message.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::dns {

inline constexpr std::size_t kMaxLabelLength = 63;   // RFC 1035 §2.3.4
inline constexpr std::size_t kMaxNameLength = 255;   // octets on the wire, root included

class DnsName {
 public:
  DnsName() = default;  // the root "."

  // "mx.beta.test", "mx.beta.test." and "." parse; empty labels ("a..b"), labels over 63
  // octets and names over 255 octets do not. No escapes: the lab's names are host names.
  static std::optional<DnsName> parse(std::string_view text);
  // Builds from labels already validated by the wire decoder.
  static std::optional<DnsName> from_labels(std::vector<std::string> labels);

  const std::vector<std::string>& labels() const { return labels_; }
  bool is_root() const { return labels_.empty(); }
  // Presentation form with the trailing dot: "mx.beta.test."
  std::string to_string() const;
  // Lower-case form without the trailing dot, for map keys: "mx.beta.test"
  std::string key() const;
  // Length in wire format without compression (labels + length octets + root octet).
  std::size_t wire_length() const;
  // True when this name equals zone or lies below it.
  bool is_within(const DnsName& zone) const;
  // The name with its first label removed; the root stays the root.
  DnsName parent() const;

  friend bool operator==(const DnsName& a, const DnsName& b);

 private:
  std::vector<std::string> labels_;
};

// Case-insensitive ASCII comparison of single labels (RFC 4343 §3).
bool labels_equal(std::string_view a, std::string_view b);

}  // namespace mailflow::dns
