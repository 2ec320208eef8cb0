#include "dispatch/dispatcher.h"

namespace herald::dispatch {

std::string_view ToString(TransportError e) {
  switch (e) {
    case TransportError::kNone:
      return "none";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kConnectFailed:
      return "connect_failed";
    case TransportError::kDnsFailed:
      return "dns_failed";
    case TransportError::kTlsHandshake:
      return "tls_handshake";
    case TransportError::kTlsVerifyFailed:
      return "tls_verify_failed";
    case TransportError::kSendError:
      return "send_error";
    case TransportError::kRecvError:
      return "recv_error";
    case TransportError::kLoginDenied:
      return "login_denied";
    case TransportError::kBadRequest:
      return "bad_request";
    case TransportError::kOther:
      return "other";
  }
  return "other";
}

std::ostream& operator<<(std::ostream& os, TransportError e) { return os << ToString(e); }

}  // namespace herald::dispatch
