-- Runs an Argo CD health check script the way Argo CD does, on one object:
--   lua5.4 argocd_health.lua HEALTH.lua OBJECT.json    (lua5.1 too)
-- prints "<status>\t<message>" and exits 0, or names what is wrong and exits 1.
--
-- As Argo CD (util/lua/lua.go): the object is the global `obj`; only the base,
-- table and a safe os library exist (no string, math, io or debug; string
-- methods fail too); the chunk's return value must be a table whose status is
-- one of Argo CD's health codes. Argo CD runs gopher-lua, a Lua 5.1: running
-- this under lua5.1 as well catches syntax of later versions.
-- JSON nulls must be removed beforehand (Argo CD hands the script nil for
-- them; lua-cjson would give a userdata).
local cjson = require("cjson")

local script_path, object_path = arg[1], arg[2]
if not script_path or not object_path then
  io.stderr:write("usage: argocd_health.lua HEALTH.lua OBJECT.json\n")
  os.exit(2)
end

local f = assert(io.open(object_path, "rb"))
local object = cjson.decode(f:read("*a"))
f:close()

local env = {
  obj = object,
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  print = print, rawequal = rawequal, rawget = rawget, rawset = rawset, select = select,
  setmetatable = setmetatable, getmetatable = getmetatable, tonumber = tonumber,
  tostring = tostring, type = type, unpack = unpack or table.unpack, xpcall = xpcall,
  table = table,
  os = {time = os.time, date = os.date, clock = os.clock, difftime = os.difftime},
}
env._G = env

local chunk, err
if setfenv then -- Lua 5.1
  chunk, err = loadfile(script_path)
  if chunk then setfenv(chunk, env) end
else
  chunk, err = loadfile(script_path, "t", env)
end
if not chunk then
  io.stderr:write("cannot load " .. script_path .. ": " .. tostring(err) .. "\n")
  os.exit(1)
end

local string_meta = getmetatable("")
local string_index = string_meta.__index
string_meta.__index = nil
local ok, hs = pcall(chunk)
string_meta.__index = string_index

if not ok then
  io.stderr:write(script_path .. " failed: " .. tostring(hs) .. "\n")
  os.exit(1)
end
if type(hs) ~= "table" then
  io.stderr:write(script_path .. " returned a " .. type(hs) .. ", Argo CD expects a table\n")
  os.exit(1)
end
local valid = {Healthy = true, Progressing = true, Degraded = true, Suspended = true, Missing = true, Unknown = true}
if not valid[hs.status] then
  io.stderr:write(script_path .. " returned status '" .. tostring(hs.status) .. "', which Argo CD turns into Unknown\n")
  os.exit(1)
end
if hs.message ~= nil and type(hs.message) ~= "string" then
  io.stderr:write(script_path .. " returned a " .. type(hs.message) .. " message\n")
  os.exit(1)
end
io.write(hs.status, "\t", hs.message or "", "\n")
