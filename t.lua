local lu = require "lunbound"
for k,v in pairs(lu.config) do print("default", k, tostring(v)) end
local ctx = lu.new{ resolvconf=false, hoststxt=false, forward="127.0.39.1@15353", options={["local-zone:"]="test. transparent"} }
local t0=os.clock()
local r = ctx:resolve("_xmpp-server._tcp.multi.test", 33, 1)
for k,v in pairs(r) do print(k,v) end
local r = ctx:resolve("scanner.test", 1, 1)
for k,v in pairs(r) do print(k,v) end
