// Sample messages shared by the MIME parser tests and the IMAP structure tests, so both
// check the same bytes: a multipart/mixed with a text part, an attachment with every
// Content-* field, and a nested message/rfc822 holding a multipart/alternative.
#pragma once

#include <string>

namespace mailflow::testing {

inline const std::string kNestedMessage =
    "From: Alice <alice@alpha.test>\r\n"
    "To: Bob <bob@beta.test>\r\n"
    "Subject: nested\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-ID: <c1@alpha.test>\r\n"
    "Content-Language: en, ja\r\n"
    "\r\n"
    "hello\r\n"
    "--outer  \r\n"  // transport padding after the delimiter (RFC 2046 §5.1.1)
    "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"a.pdf\"\r\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    "Content-Location: http://alpha.test/a.pdf\r\n"
    "Content-Description: the report\r\n"
    "\r\n"
    "JVBERi0=\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: Carol <carol@beta.test>\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "\r\n"
    "plain\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html</p>\r\n"
    "--inner--\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

}  // namespace mailflow::testing
