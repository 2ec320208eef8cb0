#pragma once
// The API resources the operator reads and writes.
#include "kube/client.h"

namespace herald::controller {

inline const kube::Resource kChannels{"herald.dev", "v1alpha1", "notificationchannels", true};
inline const kube::Resource kTemplates{"herald.dev", "v1alpha1", "templates", true};
inline const kube::Resource kConfigMaps{"", "v1", "configmaps", true};
inline const kube::Resource kSecrets{"", "v1", "secrets", true};
inline const kube::Resource kServices{"", "v1", "services", true};
inline const kube::Resource kEvents{"", "v1", "events", true};
inline const kube::Resource kDeployments{"apps", "v1", "deployments", true};
inline const kube::Resource kHpas{"autoscaling", "v2", "horizontalpodautoscalers", true};
inline const kube::Resource kPdbs{"policy", "v1", "poddisruptionbudgets", true};

inline constexpr const char* kFieldManager = "herald-operator";
inline constexpr const char* kFinalizer = "herald.dev/finalizer";

}  // namespace herald::controller
