-- wrk script: many kiosks each POSTing a new valid response (fresh UUID v4, current
-- client_time) with a device bearer token. Tokens are read from the file given after "--";
-- each request takes the next token, so taps are spread over every enrolled device.
-- The same script drives the real app and the bare baseline.
local tokens = {}
local n = 0
local HEX = {"0","1","2","3","4","5","6","7","8","9","a","b","c","d","e","f"}
local VARIANT = {"8","9","a","b"}
local CHOICES = {"effectiveness","ease","efficiency","transparency","humanity","employee"}
local OFFERED = '["effectiveness","ease","efficiency","transparency","humanity","employee"]'

local function hex(k)
  local t = {}
  for i = 1, k do t[i] = HEX[math.random(1, 16)] end
  return table.concat(t)
end

local function uuid4()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" .. VARIANT[math.random(1, 4)] .. hex(3) .. "-" .. hex(12)
end

function init(args)
  -- a different random sequence per thread: seed from time and this table's address
  local addr = tonumber(string.match(tostring({}), "0x(%x+)"), 16) or 0
  math.randomseed(os.time() + addr % 1000003)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  n = math.random(0, #tokens - 1)
  wrk.method = "POST"
  wrk.path = "/api/v1/responses"
end

function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local now = os.time()
  local client_time = os.date("!%Y-%m-%dT%H:%M:%S", now) .. string.format(".%03d+00:00", math.random(0, 999))
  local offered, chosen = "[]", "[]"
  if math.random() < 0.6 then
    offered = OFFERED
    local k = math.random(0, 2)
    if k == 1 then
      chosen = '["' .. CHOICES[math.random(1, 6)] .. '"]'
    elseif k == 2 then
      local a = math.random(1, 6)
      local b = (a % 6) + 1
      chosen = '["' .. CHOICES[a] .. '","' .. CHOICES[b] .. '"]'
    end
  end
  local body = string.format(
    '{"id":"%s","rating":%d,"language":"%s","client_time":"%s","followup_offered":%s,"followup_chosen":%s}',
    uuid4(), math.random(1, 5), (math.random() < 0.2) and "es" or "en", client_time, offered, chosen)
  return wrk.format("POST", "/api/v1/responses",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
