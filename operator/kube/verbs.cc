#include <cctype>
#include <sstream>

#include "kube/client.h"

namespace herald::kube {

std::string Response::message() const {
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"].get<std::string>();
  }
  return raw;
}

std::string UrlEncode(const std::string& s) {
  std::ostringstream out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out << c;
    } else {
      static const char* hex = "0123456789ABCDEF";
      out << '%' << hex[c >> 4] << hex[c & 15];
    }
  }
  return out.str();
}

std::string ResourcePath(const Resource& r, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + r.plural;
  if (!name.empty()) p += "/" + name;
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

namespace {
Error HttpError(const std::string& what, const Response& r) {
  return Error{what + ": HTTP " + std::to_string(r.status) + ": " + r.message()};
}
}  // namespace

Result<ListResult> ListAll(Client& c, const std::string& collection_path, const std::string& label_selector,
                           int page_size) {
  ListResult out;
  std::string cont;
  do {
    std::string q = collection_path + "?limit=" + std::to_string(page_size);
    if (!label_selector.empty()) q += "&labelSelector=" + UrlEncode(label_selector);
    if (!cont.empty()) q += "&continue=" + UrlEncode(cont);
    auto r = c.Send("GET", q);
    if (!r) return Error{r.error()};
    if (!r->ok()) return HttpError("list " + collection_path, *r);
    const auto& body = r->body;
    if (body.contains("items") && body["items"].is_array()) {
      for (const auto& item : body["items"]) out.items.push_back(item);
    }
    const auto& meta = body.value("metadata", nlohmann::json::object());
    out.resource_version = meta.value("resourceVersion", "");
    cont = meta.value("continue", "");
  } while (!cont.empty());
  return out;
}

Result<Response> Apply(Client& c, const std::string& object_path, const nlohmann::json& object,
                       const std::string& field_manager, bool force) {
  std::string q = object_path + "?fieldManager=" + UrlEncode(field_manager) + (force ? "&force=true" : "");
  auto r = c.Send("PATCH", q, object.dump(), "application/apply-patch+yaml");
  if (!r) return r;
  if (!r->ok()) return HttpError("apply " + object_path, *r);
  return r;
}

}  // namespace herald::kube
