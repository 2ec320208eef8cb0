-- Argo CD health check for herald.dev NotificationChannel
-- (argocd-cm key resource.customizations.health.herald.dev_NotificationChannel;
-- kustomization.yaml here puts this file there verbatim).
--
-- Argo CD runs it in gopher-lua (Lua 5.1) with only the base, table and os
-- libraries (no string library) and the object as the global `obj`; it must
-- return a table with `status` (Healthy, Progressing, Degraded, Suspended,
-- Missing or Unknown) and `message`.
--
--   no status yet, or status for an older generation      Progressing
--   Ready True                                             Healthy
--   Ready True, reason Suspended (spec.suspend: true)      Suspended
--   Ready False, the operator is still getting there       Progressing
--     (topics being created or grown, workers rolling out or scaling down)
--   Ready False, anything else (bad spec, template missing or invalid,
--     topic conflict or not changeable, Kafka errors)      Degraded
--   Ready Unknown                                          Progressing
local hs = {}

-- Ready=False reasons that resolve on their own (operator/core/conditions.h).
local settling = {
  TopicPending = true,        -- topic not on the broker yet
  TemplatePending = true,     -- the Template's latest edit not checked yet
  PartitionsPending = true,   -- partitions being added
  DeploymentNotFound = true,  -- workers' Deployment about to be created
  Progressing = true,         -- workers rolling out
  Unavailable = true,         -- workers starting (as Argo CD's own Deployment check: not Degraded)
  ScalingDown = true,         -- suspended, workers still stopping
}

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  return progressing("being deleted: the operator is removing its workers (and its topics if deletionPolicy is Delete)")
end

local generation = 0
if obj.metadata ~= nil then
  generation = tonumber(obj.metadata.generation) or 0
end
local status = obj.status
if status == nil or status.conditions == nil then
  return progressing("waiting for herald-operator to report on this channel")
end
if (tonumber(status.observedGeneration) or 0) < generation then
  return progressing("waiting for herald-operator to act on the latest spec")
end

local ready = nil
for _, condition in ipairs(status.conditions) do
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready == nil then
  return progressing("waiting for herald-operator to report on this channel")
end
if ready.observedGeneration ~= nil and (tonumber(ready.observedGeneration) or 0) < generation then
  return progressing("waiting for herald-operator to act on the latest spec")
end

hs.message = ready.message or ready.reason or ""
if ready.status == "True" then
  if ready.reason == "Suspended" then
    hs.status = "Suspended"
  else
    hs.status = "Healthy"
  end
elseif ready.status == "False" then
  if ready.reason ~= nil and settling[ready.reason] then
    hs.status = "Progressing"
  else
    hs.status = "Degraded"
  end
else
  hs.status = "Progressing"
end
return hs
