#pragma once
// A small Kubernetes API client: raw requests plus the few verbs the operator
// needs (get, paginated list, watch, server-side apply, merge patch, delete).
// `Client` is a pure interface so reconcile logic can be tested with a fake;
// `NewRestClient` returns the cpprestsdk implementation.
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>

#include "herald/result.h"
#include "kube/kubeconfig.h"

namespace herald::kube {

struct Response {
  int status = 0;
  nlohmann::json body;  // parsed JSON, or null when the body was empty or not JSON
  std::string raw;
  bool ok() const { return status >= 200 && status < 300; }
  // The API server's Status.message when present, else the raw body.
  std::string message() const;
};

struct WatchEvent {
  std::string type;  // ADDED | MODIFIED | DELETED | BOOKMARK | ERROR
  nlohmann::json object;
};

class Client {
 public:
  virtual ~Client() = default;
  // Sends one request. Returns the response for any HTTP status (callers
  // decide what 404 or 409 mean), or an error when no response came back
  // (connection, TLS, timeout).
  [[nodiscard]] virtual Result<Response> Send(const std::string& method, const std::string& path_and_query,
                                              const std::string& body = "",
                                              const std::string& content_type = "application/json") = 0;
  // Streams a watch (path_and_query must contain watch=1). Calls on_event for
  // each event as it arrives, until the server ends the stream, a stop is
  // requested on `stop`, or on_event returns false. A stop ends a watch that
  // is waiting for its next event at once (it does not wait for the server).
  // Returns OK at a clean end of stream or when stopped; an error for a
  // non-2xx answer (message includes the status) or a broken stream.
  [[nodiscard]] virtual Status Watch(const std::string& path_and_query,
                                     const std::function<bool(const WatchEvent&)>& on_event, std::stop_token stop) = 0;
};
using ClientPtr = std::unique_ptr<Client>;

// The cpprestsdk client for `cfg`. TLS verification is on unless the
// kubeconfig explicitly disabled it. Errors: unusable certificates or keys.
[[nodiscard]] Result<ClientPtr> NewRestClient(const ClusterConfig& cfg);

// Path of a resource collection or object:
// /api/v1/namespaces/ns/configmaps/name, /apis/apps/v1/namespaces/ns/deployments, ...
struct Resource {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  bool namespaced = true;
};
[[nodiscard]] std::string ResourcePath(const Resource& r, const std::string& ns, const std::string& name = "",
                                       const std::string& subresource = "");
[[nodiscard]] std::string UrlEncode(const std::string& s);

// --- Verbs on top of Client::Send. Each returns the response body on 2xx and
// an error carrying the HTTP status and the server's message otherwise.

// Lists every object, following `continue` tokens. Returns the items and the
// list's resourceVersion (to start a watch from).
struct ListResult {
  std::vector<nlohmann::json> items;
  std::string resource_version;
};
[[nodiscard]] Result<ListResult> ListAll(Client& c, const std::string& collection_path,
                                         const std::string& label_selector = "", int page_size = 500);

// Server-side apply of `object` with the given field manager; force takes
// ownership of conflicting fields (the operator is the sole owner of its children).
[[nodiscard]] Result<Response> Apply(Client& c, const std::string& object_path, const nlohmann::json& object,
                                     const std::string& field_manager, bool force = true);

}  // namespace herald::kube
