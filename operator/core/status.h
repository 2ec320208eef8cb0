#pragma once
// Status of both kinds, computed from what is observed (the topics on the
// broker, the Deployment's status, the Template's Ready condition), never
// from what was merely requested. Condition types and reasons: conditions.h.
// The reconciler gathers observations, calls Compute*Status once at the end,
// merges the result with the conditions already stored (MergeConditions keeps
// lastTransitionTime steady) and applies it to the status subresource.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "herald/result.h"
#include "operator/core/channel.h"
#include "operator/core/topic_spec.h"

namespace herald::op {

// Same shape as metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // kConditionTrue | kConditionFalse | kConditionUnknown
  std::string reason;
  std::string message;
  std::string last_transition_time;  // RFC 3339, seconds; set by MergeConditions
  int64_t observed_generation = 0;
  friend bool operator==(const Condition&, const Condition&) = default;
};

// What the Deployment reports (spec.replicas and status).
struct ObservedDeployment {
  int64_t generation = 0;           // metadata.generation
  int64_t observed_generation = 0;  // status.observedGeneration
  int32_t spec_replicas = 1;        // spec.replicas (set by Herald or the HPA); 1 when absent
  int32_t replicas = 0;             // status.replicas: pods of any revision
  int32_t updated_replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
};

// What the channel's Template looks like from the channel's side.
struct ObservedTemplate {
  bool found = false;
  bool ready = false;   // Ready=True for its current generation
  std::string message;  // why not ready (the Template's Ready message), or why it does not fit
  bool supports_channel_type = true;
  bool pending = false;  // not ready only because its latest change is not checked yet
};

struct ChannelObservation {
  ObservedTopic topic;
  ObservedTopic dead_letter_topic;
  // A refusal from PlanTopicChange, a conflict from FindTopicConflict, or a
  // failed admin call (reason KafkaError): wins over what the topics look like.
  std::optional<TopicError> topic_error;
  std::optional<ObservedDeployment> deployment;  // nullopt: not found
  ObservedTemplate template_state;
};

struct ChannelStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::string topic;
  std::string dead_letter_topic;
  int32_t replicas = 0;
  int32_t ready_replicas = 0;
};

struct TemplateStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
};

// Reads a Deployment object as the API server returns it. Missing fields
// read as zero (a new Deployment has no status yet); spec.replicas as 1,
// the API server's default.
[[nodiscard]] ObservedDeployment ObserveDeployment(const nlohmann::json& deployment);

// Reads the channel's Template: `template_object` is nullptr when not found.
// Ready means a Ready=True condition whose observedGeneration (when present)
// matches metadata.generation. When ready, also checks that the spec can
// render for `kind` (herald::Supports). Never fails: anything unreadable
// counts as not ready, with the reason in `message`.
[[nodiscard]] ObservedTemplate ObserveTemplate(const nlohmann::json* template_object, ChannelKind kind);

// Computes the channel's conditions (without lastTransitionTime; see
// MergeConditions) in this order: Ready, TemplateReady, TopicReady,
// WorkersReady, then ScalingLimited when more workers can run than the topic
// has partitions. Ready is True only when the other three are, with reason
// Suspended for a suspended channel; otherwise False with the reason and
// message of the first one that is not True. Also fills topic,
// deadLetterTopic, replicas and readyReplicas (0 without a Deployment).
[[nodiscard]] ChannelStatus ComputeChannelStatus(const Channel& channel, const ChannelObservation& observed);

// Status for a channel whose spec does not parse: Ready False, reason
// InvalidSpec, message `error` (the field path and what to fix).
[[nodiscard]] ChannelStatus ComputeInvalidChannelStatus(int64_t generation, std::string_view error);

// Parses a Template spec and renders its sample for every channel kind it
// supports (herald::ParseTemplateSpec, herald::RenderSample).
// Returns OkStatus(), or the first Error with its location, e.g.
// "spec.slack.blocks: rendered output is not valid JSON: ...".
[[nodiscard]] Status ValidateTemplate(const nlohmann::json& template_spec);

// Template status: Ready True (reason Valid) or False (reason Invalid, the
// validation error as message).
[[nodiscard]] TemplateStatus ComputeTemplateStatus(int64_t generation, const Status& validation);

// Returns `computed` with lastTransitionTime taken from the same type in
// `previous` when its status did not change, and `now` otherwise (new type,
// or status changed). Types absent from `computed` are dropped: the operator
// owns every condition of its kinds.
[[nodiscard]] std::vector<Condition> MergeConditions(const std::vector<Condition>& previous,
                                                     std::vector<Condition> computed,
                                                     std::chrono::system_clock::time_point now);

// Reads status.conditions of an object; malformed entries are skipped (a
// stale or hand-edited status must not stop the reconcile).
[[nodiscard]] std::vector<Condition> ConditionsFromObject(const nlohmann::json& object);

// Returns the condition of `type`, or nullptr.
[[nodiscard]] const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// Formats `t` as metav1.Time does: "2026-11-22T10:15:00Z" (whole seconds, UTC).
[[nodiscard]] std::string FormatConditionTime(std::chrono::system_clock::time_point t);

// The objects to server-side apply to the status subresource:
// {apiVersion, kind, metadata: {name, namespace}, status}.
[[nodiscard]] nlohmann::json ChannelStatusObject(std::string_view namespace_name, std::string_view name,
                                                 const ChannelStatus& status);
[[nodiscard]] nlohmann::json TemplateStatusObject(std::string_view namespace_name, std::string_view name,
                                                  const TemplateStatus& status);

}  // namespace herald::op
