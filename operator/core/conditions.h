#pragma once
// Condition types and reasons the operator writes, in one place, so status
// code, Events, tests and documentation agree on the spelling. Reasons are
// CamelCase, as metav1.Condition requires.
#include <string_view>

namespace herald::op {

// Condition status values.
inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

// Condition types. Ready is the summary `kubectl wait --for=condition=Ready`
// uses, on both kinds.
inline constexpr std::string_view kTypeReady = "Ready";
inline constexpr std::string_view kTypeTopicReady = "TopicReady";
inline constexpr std::string_view kTypeWorkersReady = "WorkersReady";
inline constexpr std::string_view kTypeTemplateReady = "TemplateReady";
// A warning, not part of Ready: True when more workers can run than the topic
// has partitions, so some of them would sit idle. Present only then.
inline constexpr std::string_view kTypeScalingLimited = "ScalingLimited";

// Ready (NotificationChannel and Template).
inline constexpr std::string_view kReasonReady = "Ready";
inline constexpr std::string_view kReasonSuspended = "Suspended";      // channel: suspended and scaled to zero
inline constexpr std::string_view kReasonInvalidSpec = "InvalidSpec";  // channel spec does not parse
// Template: spec parses, every template compiles and the sample renders.
inline constexpr std::string_view kReasonValid = "Valid";
inline constexpr std::string_view kReasonInvalid = "Invalid";

// TopicReady.
inline constexpr std::string_view kReasonTopicsReady = "TopicsReady";
inline constexpr std::string_view kReasonTopicPending = "TopicPending";            // not (yet) on the broker
inline constexpr std::string_view kReasonPartitionsPending = "PartitionsPending";  // fewer partitions than asked
inline constexpr std::string_view kReasonNotSupported = "NotSupported";            // partition decrease, RF change
inline constexpr std::string_view kReasonResourceConflict = "ResourceConflict";    // topic owned by another channel
inline constexpr std::string_view kReasonKafkaError = "KafkaError";                // admin call failed

// WorkersReady.
inline constexpr std::string_view kReasonWorkersAvailable = "WorkersAvailable";
inline constexpr std::string_view kReasonDeploymentNotFound = "DeploymentNotFound";
inline constexpr std::string_view kReasonProgressing = "Progressing";  // rollout not finished
inline constexpr std::string_view kReasonUnavailable = "Unavailable";  // fewer available workers than wanted
inline constexpr std::string_view kReasonScalingDown = "ScalingDown";  // suspended, pods still stopping

// TemplateReady.
inline constexpr std::string_view kReasonTemplateReady = "TemplateReady";
inline constexpr std::string_view kReasonTemplateNotFound = "TemplateNotFound";
inline constexpr std::string_view kReasonTemplateNotReady = "TemplateNotReady";
// The operator has not checked the Template's latest change yet: settles on
// its own (Argo CD shows Progressing, not Degraded, right after an edit).
inline constexpr std::string_view kReasonTemplatePending = "TemplatePending";
// The Template is valid but lacks what this channel's type needs (e.g. an
// email channel and a template without subject).
inline constexpr std::string_view kReasonTemplateUnsupported = "TemplateUnsupported";

// ScalingLimited.
inline constexpr std::string_view kReasonReplicasExceedPartitions = "ReplicasExceedPartitions";

}  // namespace herald::op
