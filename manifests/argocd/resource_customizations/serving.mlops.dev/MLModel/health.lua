-- Argo CD health of an MLModel (serving.mlops.dev/v1alpha1), from its kstatus conditions.
--   Healthy      Ready=True for the generation Argo CD applied
--   Progressing  the operator has not seen the spec yet, or a rollout is under way
--   Suspended    a canary is paused (spec.rollout.paused)
--   Degraded     Stalled=True (rolled back, aborted, invalid spec, image not found, an
--                object the API server refused) or
--                Degraded=True (continuous verification finds the stable version failing)
local hs = {}

local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then return c end
  end
  return nil
end

local function isTrue(c) return c ~= nil and c.status == "True" end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
local generation = obj.metadata and obj.metadata.generation or 0
if (obj.status.observedGeneration or 0) < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local stalled = condition("Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. (stalled.message or "")
  return hs
end
local degraded = condition("Degraded")
if isTrue(degraded) then
  hs.status = "Degraded"
  hs.message = degraded.reason .. ": " .. (degraded.message or "")
  return hs
end
local paused = obj.spec and obj.spec.rollout and obj.spec.rollout.paused
if paused and obj.status.canary ~= nil then
  hs.status = "Suspended"
  hs.message = "Rollout of " .. (obj.status.canary.version or "the canary") .. " is paused"
  return hs
end
local ready = condition("Ready")
if isTrue(ready) and not isTrue(condition("Reconciling")) then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
local reconciling = condition("Reconciling")
hs.status = "Progressing"
if isTrue(reconciling) then
  hs.message = reconciling.reason .. ": " .. (reconciling.message or "")
elseif ready ~= nil then
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
else
  hs.message = "Waiting for the model to become Ready"
end
return hs
