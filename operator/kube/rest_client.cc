// cpprestsdk implementation of kube::Client.
#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stop_token>

#include "kube/client.h"
#include "kube/token_source.h"

namespace herald::kube {
namespace {

namespace http = web::http;
using http::client::http_client;
using http::client::http_client_config;

class RestClient final : public Client {
 public:
  RestClient(const ClusterConfig& cfg, http_client_config base)
      : cfg_(cfg), tokens_(cfg.token, cfg.token_file), base_(std::move(base)) {
    http_client_config normal = base_;
    normal.set_timeout(std::chrono::seconds(30));
    client_ = std::make_unique<http_client>(web::uri(cfg.server), normal);
    // Watches stay open for minutes (timeoutSeconds on the request bounds them).
    http_client_config watch = base_;
    watch.set_timeout(std::chrono::seconds(600));
    watch_client_ = std::make_unique<http_client>(web::uri(cfg.server), watch);
  }

  Result<Response> Send(const std::string& method, const std::string& path_and_query, const std::string& body,
                        const std::string& content_type) override {
    auto r = SendOnce(method, path_and_query, body, content_type);
    // A revoked token (its ServiceAccount deleted, or rotated early) may
    // already be replaced in the token file: retry once with the new one.
    if (r && r->status == 401 && tokens_.Refresh()) r = SendOnce(method, path_and_query, body, content_type);
    return r;
  }

  Status Watch(const std::string& path_and_query, const std::function<bool(const WatchEvent&)>& on_event,
               std::stop_token stop) override {
    bool unauthorized = false;
    Status st = WatchOnce(path_and_query, on_event, stop, &unauthorized);
    if (unauthorized && tokens_.Refresh()) st = WatchOnce(path_and_query, on_event, stop, &unauthorized);
    return st;
  }

 private:
  Result<Response> SendOnce(const std::string& method, const std::string& path_and_query, const std::string& body,
                            const std::string& content_type) {
    try {
      http::http_request req(method);
      req.set_request_uri(path_and_query);
      Authorize(req);
      req.headers().add("Accept", "application/json");
      if (!body.empty()) req.set_body(body, content_type);
      http::http_response resp = client_->request(req).get();
      Response out;
      out.status = resp.status_code();
      out.raw = resp.extract_utf8string(true).get();
      if (!out.raw.empty()) out.body = nlohmann::json::parse(out.raw, nullptr, false);
      if (out.body.is_discarded()) out.body = nullptr;
      return out;
    } catch (const std::exception& e) {
      return Error{method + " " + path_and_query + ": " + e.what()};
    }
  }

  Status WatchOnce(const std::string& path_and_query, const std::function<bool(const WatchEvent&)>& on_event,
                   const std::stop_token& stop, bool* unauthorized) {
    *unauthorized = false;
    if (stop.stop_requested()) return OkStatus();
    // Cancelling closes the connection, which ends a read that is waiting
    // for the next event: a quiet watch must not hold up shutdown until the
    // server's next bookmark (about a minute). The stop request cancels from
    // its own thread, so this one can simply block on each read. `on_stop`
    // is destroyed first, and its destructor waits for a cancellation still
    // running on the stopping thread, so `cancel` outlives any use.
    pplx::cancellation_token_source cancel;
    std::stop_callback on_stop(stop, [&cancel] { cancel.cancel(); });
    try {
      http::http_request req(http::methods::GET);
      req.set_request_uri(path_and_query);
      Authorize(req);
      req.headers().add("Accept", "application/json");
      http::http_response resp = watch_client_->request(req, cancel.get_token()).get();
      if (resp.status_code() < 200 || resp.status_code() >= 300) {
        Response r;
        r.status = resp.status_code();
        r.raw = resp.extract_utf8string(true).get();
        r.body = nlohmann::json::parse(r.raw, nullptr, false);
        *unauthorized = r.status == 401;
        return Error{"watch " + path_and_query + ": HTTP " + std::to_string(r.status) + ": " + r.message()};
      }
      auto stream = resp.body();
      while (!stop.stop_requested()) {
        concurrency::streams::container_buffer<std::string> line;
        size_t n = 0;
        try {
          n = stream.read_line(line).get();
        } catch (const std::exception&) {
          if (stop.stop_requested()) break;  // our own cancellation
          throw;
        }
        if (stop.stop_requested()) break;
        if (n == 0 && stream.is_eof()) break;
        const std::string& text = line.collection();
        if (text.empty()) continue;
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return Error{"watch " + path_and_query + ": malformed event"};
        WatchEvent ev{j.value("type", ""), j.value("object", nlohmann::json())};
        if (!on_event(ev)) break;
      }
      return OkStatus();
    } catch (const std::exception& e) {
      // Stopped while connecting or waiting for the response headers.
      if (stop.stop_requested()) return OkStatus();
      return Error{"watch " + path_and_query + ": " + e.what()};
    }
  }

  void Authorize(http::http_request& req) {
    std::string token = tokens_.Get();
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
  }

  ClusterConfig cfg_;
  TokenSource tokens_;
  http_client_config base_;
  std::unique_ptr<http_client> client_;
  std::unique_ptr<http_client> watch_client_;
};

}  // namespace

Result<ClientPtr> NewRestClient(const ClusterConfig& cfg) {
  if (cfg.server.rfind("https://", 0) != 0 && cfg.server.rfind("http://", 0) != 0) {
    return Error{"server " + cfg.server + " is not an http(s) URL"};
  }
  http_client_config config;
  config.set_validate_certificates(!cfg.insecure_skip_tls_verify);
  // Check the PEM material once here so a bad kubeconfig fails at start-up
  // with a clear message instead of on every request.
  try {
    boost::asio::ssl::context probe(boost::asio::ssl::context::tls_client);
    if (!cfg.ca_pem.empty()) probe.add_certificate_authority(boost::asio::buffer(cfg.ca_pem));
    if (!cfg.client_cert_pem.empty()) {
      probe.use_certificate_chain(boost::asio::buffer(cfg.client_cert_pem));
      probe.use_private_key(boost::asio::buffer(cfg.client_key_pem), boost::asio::ssl::context::pem);
    }
  } catch (const std::exception& e) {
    return Error{"TLS material for " + cfg.server + " is unusable: " + e.what()};
  }
  std::string ca = cfg.ca_pem, cert = cfg.client_cert_pem, key = cfg.client_key_pem;
  config.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
    if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca));
    if (!cert.empty()) {
      ctx.use_certificate_chain(boost::asio::buffer(cert));
      ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
    }
  });
  return ClientPtr(std::make_unique<RestClient>(cfg, config));
}

}  // namespace herald::kube
