// Pure string functions over an Internet message's header section, the ones every SMTP
// hop needs: the trace header each hop prepends (RFC 5321 §4.4 Received:, with the RFC
// 3848 "with" protocol names), the fields submission adds when missing (RFC 6409 §8.1
// Date, §8.3 Message-ID), the fields final delivery adds (RFC 5321 §4.4 Return-Path,
// Postfix's Delivered-To), lookups, and folding (RFC 5322 §2.2.3).
//
// Messages are CRLF text as SMTP carries them. The header section is every line up to the
// first empty line. A message with no empty line is all header section (RFC 5322 §3.5
// makes the body optional), except that a line which can neither start a field ("Name:")
// nor continue one (leading WSP) ends it: that is where the body starts, and functions
// that rewrite the header section insert the missing empty line there, as Postfix's
// cleanup does. Bare LF is not a line end here (the SMTP layer refuses it).
//
// Header injection: every envelope value these functions put into a field (addresses,
// HELO names, TLS text, ids) goes through header_safe() first, so no client-supplied
// CR or LF can start a new field.
//
// Left out: RFC 2047 encoded words, RFC 6532 UTF-8 header checks, Resent- blocks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::smtp {

// The journey id the lab writes into every message it accepts (DESIGN.md "The journey"),
// so the servers and clients that handle the message later can name its journey.
inline constexpr std::string_view kJourneyHeader = "X-Mailflow-Journey";

// What one hop knows about the client it received a message from.
struct ReceivedInfo {
  std::string helo;              // the name the client gave in HELO/EHLO
  std::string client_host;       // its reverse DNS name, or "unknown" (empty means unknown)
  std::string client_address;    // "127.10.1.1"
  std::string by_host;           // this host, "mx.beta.test"
  std::string protocol;          // SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA (RFC 3848 §2)
  std::string tls;               // "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" or empty
  std::string authenticated_sender;  // the AUTH identity, or empty
  std::string id;                // this hop's queue id, or empty
  std::string for_recipient;     // one recipient (only when there is exactly one), or empty
  std::chrono::system_clock::time_point when;
};

// The Received: field, ending in CRLF, one clause per line so a student can read it:
//   Received: from smtp.alpha.test (smtp.alpha.test [127.10.1.1])
//   	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//   	(Authenticated sender: alice@alpha.test)
//   	by mx.beta.test (mailflow) with ESMTPSA id X
//   	for <bob@beta.test>; Tue, 01 Dec 2026 18:44:37 +0000
// Clauses with nothing to say are left out; a line longer than 78 octets is folded.
std::string received_header(const ReceivedInfo& info);

// `header_lines` (one or more fields; a missing final CRLF is added) before the message.
// The caller is responsible for the text of header_lines: build it from header_safe()
// values or with the functions here.
std::string prepend_header(std::string_view message, std::string_view header_lines);

// The first field named `name` (ASCII case-insensitive), unfolded, without leading and
// trailing white space; nullopt when there is none.
std::optional<std::string> header_value(std::string_view message, std::string_view name);
bool has_header(std::string_view message, std::string_view name);

// Every field of the header section in order, raw: continuation lines stay attached with
// their CRLF, the field's final CRLF is dropped. Raw, not unfolded, so that a DSN's
// text/rfc822-headers part and a trace can show exactly what arrived.
std::vector<std::string> header_lines(std::string_view message);

// The header section as it is in the message, ending in CRLF unless it is empty.
std::string header_section(std::string_view message);

// The message without any field named `name` (continuations included).
std::string remove_header(std::string_view message, std::string_view name);

// RFC 5322 §3.3 date-time in UTC: "Tue, 01 Dec 2026 18:44:37 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

// RFC 5322 §3.6.4 msg-id: "<unique@host>". Bytes outside dot-atom text become '-', so the
// result is always a valid msg-id.
std::string make_message_id(std::string_view host, std::string_view unique);

// RFC 6409 §8.1 and §8.3: adds "Message-ID: <unique@host>" and "Date: ..." at the end of
// the header section when the message has none (names compared case-insensitively).
std::string add_submission_headers(std::string_view message, std::string_view host, std::string_view unique,
                                   std::chrono::system_clock::time_point now);

// Final delivery: removes every Return-Path field (RFC 5321 §4.4: a delivering MTA must,
// since only it knows the real reverse path), then prepends "Return-Path: <return_path>"
// ("<>" for the null sender) and "Delivered-To: delivered_to".
std::string add_delivery_headers(std::string_view message, std::string_view return_path,
                                 std::string_view delivered_to);

// `value` with every CR, LF and other control byte (NUL, DEL; TAB is kept) replaced by a
// space: what stops header injection through envelope values.
std::string header_safe(std::string_view value);

// One field (no CRLF inside, none at the end) folded for transmission: lines of at most
// `soft_limit` octets where the text has white space to break at, each break replacing
// that space with CRLF + `continuation`; a run of more than 900 octets without white
// space is broken inside, so no line ever reaches RFC 5322's 998. Ends with CRLF.
std::string fold_field(std::string_view field, std::size_t soft_limit = 78, std::string_view continuation = "\t");

}  // namespace mailflow::smtp
