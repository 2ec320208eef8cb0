#include "dispatch/transfer.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>
#include <variant>

#include "dispatch/curl_setup.h"

namespace herald::dispatch {
namespace {

// libcurl calls these from C: an exception must not cross it, so each is
// noexcept and turns allocation failure into curl's "abort" return value.

size_t OnHeader(char* data, size_t size, size_t count, void* user) noexcept {
  try {
    static_cast<Transfer*>(user)->http.OnHeaderLine({data, size * count});
    return size * count;
  } catch (const std::bad_alloc&) {
    return 0;
  }
}

size_t OnBody(char* data, size_t size, size_t count, void* user) noexcept {
  try {
    static_cast<Transfer*>(user)->http.OnBody({data, size * count});
    return size * count;
  } catch (const std::bad_alloc&) {
    return 0;
  }
}

size_t OnReadMessage(char* buffer, size_t size, size_t count, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  const std::string& message = std::get<SmtpSend>(t->request.payload).message;
  size_t n = std::min(size * count, message.size() - t->upload_offset);
  std::memcpy(buffer, message.data() + t->upload_offset, n);
  t->upload_offset += n;
  return n;
}

// Sees the SMTP dialogue (CURLOPT_VERBOSE routes it here, never to stderr).
int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) noexcept {
  try {
    auto* t = static_cast<Transfer*>(user);
    if (type == CURLINFO_HEADER_OUT) t->smtp.OnSent({data, size});
    if (type == CURLINFO_HEADER_IN) t->smtp.OnReceived({data, size});
  } catch (const std::bad_alloc&) {
    // Losing a transcript line only loses detail in the result.
  }
  return 0;
}

// Sets options in order and remembers the first failure, so the setup reads
// as a list instead of a ladder of ifs.
class Options {
 public:
  explicit Options(CURL* easy) : easy_(easy) {}
  template <typename T>
  Options& Set(CURLoption option, T value) {
    if (code_ == CURLE_OK) {
      code_ = curl_easy_setopt(easy_, option, value);
      if (code_ != CURLE_OK) failed_ = option;
    }
    return *this;
  }
  [[nodiscard]] std::optional<std::string> Failure() const {
    if (code_ == CURLE_OK) return std::nullopt;
    return "libcurl refused option " + std::to_string(static_cast<int>(failed_)) + ": " + curl_easy_strerror(code_);
  }

 private:
  CURL* easy_;
  CURLcode code_ = CURLE_OK;
  CURLoption failed_{};
};

// Returns false when libcurl cannot allocate; `list` is then unchanged.
bool Append(SlistPtr& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;
  if (!list) list.reset(head);  // otherwise appended in place: same head
  return true;
}

void SetCommon(Options& o, Transfer& t) {
  long timeout_ms = static_cast<long>(t.request.timeout.count());
  o.Set(CURLOPT_PRIVATE, static_cast<void*>(&t))
      .Set(CURLOPT_ERRORBUFFER, t.error)
      .Set(CURLOPT_NOSIGNAL, 1L)
      .Set(CURLOPT_TIMEOUT_MS, timeout_ms)  // every phase, connect included
      // Probes keep idle pooled connections alive through NATs and load
      // balancers, and reveal dead peers before a request is written to them.
      .Set(CURLOPT_TCP_KEEPALIVE, 1L)
      .Set(CURLOPT_TCP_KEEPIDLE, 30L)
      .Set(CURLOPT_TCP_KEEPINTVL, 15L)
      .Set(CURLOPT_SSL_VERIFYPEER, 1L)
      .Set(CURLOPT_SSL_VERIFYHOST, 2L)
      .Set(CURLOPT_FOLLOWLOCATION, 0L);
}

std::optional<std::string> SetUpHttp(CURL* easy, Transfer& t, const CurlDispatcherOptions& options,
                                     TransportError* kind) {
  const auto& post = std::get<HttpPost>(t.request.payload);
  auto lines = HttpHeaderLines(post);
  if (!lines.ok()) {
    *kind = TransportError::kBadRequest;
    return lines.error();
  }
  for (const std::string& line : *lines) {
    if (!Append(t.list, line)) return "out of memory building headers";
  }
  Options o(easy);
  SetCommon(o, t);
  o.Set(CURLOPT_URL, post.url.c_str())
      .Set(CURLOPT_PROTOCOLS_STR, "http,https")
      .Set(CURLOPT_POST, 1L)
      // Not copied: the body lives in t.request until the handle is gone.
      .Set(CURLOPT_POSTFIELDS, post.body.data())
      .Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()))
      .Set(CURLOPT_HTTPHEADER, t.list.get())
      .Set(CURLOPT_USERAGENT, options.user_agent.c_str())
      // HTTP/1.1 even where an https server offers HTTP/2: one request per
      // connection at a time, so the receiver sees exactly the concurrency
      // the channel asked for. (HTTP/2 would multiplex over fewer
      // connections; add it as an option once tested against an h2 server.)
      .Set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1))
      .Set(CURLOPT_HEADERFUNCTION, OnHeader)
      .Set(CURLOPT_HEADERDATA, static_cast<void*>(&t))
      .Set(CURLOPT_WRITEFUNCTION, OnBody)
      .Set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  return o.Failure();
}

std::optional<std::string> SetUpSmtp(CURL* easy, Transfer& t, TransportError* kind) {
  const auto& send = std::get<SmtpSend>(t.request.payload);
  auto url = SmtpUrl(send);
  if (!url.ok()) {
    *kind = TransportError::kBadRequest;
    return url.error();
  }
  if (auto envelope = ValidateSmtpEnvelope(send); !envelope.ok()) {
    *kind = TransportError::kBadRequest;
    return envelope.error();
  }
  for (const std::string& rcpt : send.recipients) {
    if (!Append(t.list, "<" + rcpt + ">")) return "out of memory building recipients";
  }
  // kStartTls: CURLUSESSL_ALL fails the transfer when the server does not
  // offer STARTTLS, instead of sending credentials and mail in plain text.
  // kImplicit: smtps:// is TLS anyway; ALL documents the intent.
  long use_ssl = send.tls == SmtpTls::kNone ? static_cast<long>(CURLUSESSL_NONE) : static_cast<long>(CURLUSESSL_ALL);
  std::string mail_from = "<" + send.mail_from + ">";
  Options o(easy);
  SetCommon(o, t);
  o.Set(CURLOPT_URL, url->c_str())
      .Set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
      .Set(CURLOPT_USE_SSL, use_ssl)
      .Set(CURLOPT_MAIL_FROM, mail_from.c_str())
      .Set(CURLOPT_MAIL_RCPT, t.list.get())
      // Go on when some recipients are refused; the refused ones are read
      // from the transcript. (Sic: three Ls in libcurl 7.88.)
      .Set(CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L)
      .Set(CURLOPT_UPLOAD, 1L)
      .Set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(send.message.size()))
      .Set(CURLOPT_READFUNCTION, OnReadMessage)
      .Set(CURLOPT_READDATA, static_cast<void*>(&t))
      // The only way to see which RCPT TO was refused: libcurl reports it
      // as a log line. The debug callback gets the log; stderr never does.
      .Set(CURLOPT_VERBOSE, 1L)
      .Set(CURLOPT_DEBUGFUNCTION, OnDebug)
      .Set(CURLOPT_DEBUGDATA, static_cast<void*>(&t));
  // CURLOPT_CAINFO replaces the built-in CA bundle file, but the system CA
  // directory (CURLOPT_CAPATH, /etc/ssl/certs on Debian) stays in use, so
  // the file is an extra trust anchor as the configuration promises.
  if (!send.ca_file.empty()) o.Set(CURLOPT_CAINFO, send.ca_file.c_str());
  if (t.isolate_connection) o.Set(CURLOPT_FRESH_CONNECT, 1L).Set(CURLOPT_FORBID_REUSE, 1L);
  if (!send.username.empty()) {
    o.Set(CURLOPT_USERNAME, send.username.c_str()).Set(CURLOPT_PASSWORD, send.password.c_str());
  }
  return o.Failure();
}

}  // namespace

std::optional<DispatchResult> SetUpTransfer(Transfer& t, const CurlDispatcherOptions& options, EasyPtr recycled) {
  if (t.request.timeout.count() <= 0) {
    return FailedBeforeStart(t, TransportError::kBadRequest, "timeout must be positive");
  }
  if (recycled) {
    curl_easy_reset(recycled.get());
    t.easy = std::move(recycled);
  } else {
    t.easy.reset(curl_easy_init());
  }
  if (!t.easy) return FailedBeforeStart(t, TransportError::kOther, "curl_easy_init failed");
  TransportError kind = TransportError::kOther;
  std::optional<std::string> failure = std::holds_alternative<HttpPost>(t.request.payload)
                                           ? SetUpHttp(t.easy.get(), t, options, &kind)
                                           : SetUpSmtp(t.easy.get(), t, &kind);
  if (failure) return FailedBeforeStart(t, kind, std::move(*failure));
  return std::nullopt;
}

DispatchResult FinishTransfer(Transfer& t, CURLcode code) {
  DispatchResult r;
  r.token = t.request.token;
  r.latency = std::chrono::steady_clock::now() - t.submitted;
  r.transport = TransportErrorFromCurl(code);
  r.curl_code = static_cast<int>(code);
  if (code != CURLE_OK) r.transport_detail = t.error[0] != '\0' ? t.error : curl_easy_strerror(code);
  long response_code = 0;
  long connects = 0;
  // Both calls only read fields of a valid handle; on failure the zeros stay.
  (void)curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &response_code);
  (void)curl_easy_getinfo(t.easy.get(), CURLINFO_NUM_CONNECTS, &connects);
  r.connects = connects;
  if (std::holds_alternative<HttpPost>(t.request.payload)) {
    r.http_status = static_cast<int>(response_code);
    r.retry_after = t.http.retry_after();
    r.body_truncated = t.http.body_truncated();
    r.body = t.http.TakeBody();
  } else {
    r.smtp_code = static_cast<int>(response_code);
    r.smtp_text = t.smtp.last_reply();
    r.refused_recipients = t.smtp.TakeRefused();
  }
  return r;
}

DispatchResult FailedBeforeStart(const Transfer& t, TransportError kind, std::string detail) {
  DispatchResult r;
  r.token = t.request.token;
  r.latency = std::chrono::steady_clock::now() - t.submitted;
  r.transport = kind;
  r.transport_detail = std::move(detail);
  return r;
}

}  // namespace herald::dispatch
