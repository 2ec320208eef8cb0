-- Argo CD health check for herald.dev Template
-- (argocd-cm key resource.customizations.health.herald.dev_Template;
-- kustomization.yaml here puts this file there verbatim).
--
-- Argo CD runs it in gopher-lua (Lua 5.1) with only the base, table and os
-- libraries (no string library) and the object as the global `obj`; it must
-- return a table with `status` and `message`.
--
-- herald-operator parses every field of a Template and renders its sample for
-- each kind of channel it supports:
--   no status yet, or status for an older generation      Progressing
--   Ready True (reason Valid)                             Healthy
--   Ready False (reason Invalid: the error and where)     Degraded
--   Ready Unknown                                         Progressing
local hs = {}

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end

local generation = 0
if obj.metadata ~= nil then
  generation = tonumber(obj.metadata.generation) or 0
end
local status = obj.status
if status == nil or status.conditions == nil then
  return progressing("waiting for herald-operator to check this template")
end
if (tonumber(status.observedGeneration) or 0) < generation then
  return progressing("waiting for herald-operator to check the latest spec")
end

local ready = nil
for _, condition in ipairs(status.conditions) do
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready == nil then
  return progressing("waiting for herald-operator to check this template")
end
if ready.observedGeneration ~= nil and (tonumber(ready.observedGeneration) or 0) < generation then
  return progressing("waiting for herald-operator to check the latest spec")
end

hs.message = ready.message or ready.reason or ""
if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.status == "False" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
return hs
