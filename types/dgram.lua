---@meta dgram
-- Lua language server (LuaLS) definitions for require("dgram"): Node.js's
-- UDP/datagram sockets. With this file on "workspace.library", `sock:`
-- completes the methods below and their arguments are type-checked.

---@alias dgram.SocketType "udp4"|"udp6"|"unix"
---@alias dgram.Family "IPv4"|"IPv6"|"unix"
---A datagram: a string, or an array of strings sent as one datagram.
---@alias dgram.Message string|string[]
---@alias dgram.SendCallback fun(err: ludp.Error?, bytes: integer?)
---@alias dgram.LookupCallback fun(err: any, address: string?, family: (4|6)?)
---@alias dgram.Event
---| "message"   # listener(msg: string, rinfo: dgram.RemoteInfo)
---| "listening" # listener()
---| "connect"   # listener()
---| "close"     # listener()
---| "error"     # listener(err: ludp.Error)

---@class dgram.SocketOptions
---@field type dgram.SocketType
---@field reuseAddr? boolean SO_REUSEADDR
---@field reusePort? boolean SO_REUSEPORT (default true in a worker of --workers)
---@field ipv6Only? boolean udp6: IPv6 only
---@field recvBufferSize? integer SO_RCVBUF, set at bind
---@field sendBufferSize? integer SO_SNDBUF, set at bind
---@field lookup? fun(hostname: string, family: 4|6, cb: dgram.LookupCallback) resolver for every address
---@field recvInfo? boolean rinfo gets localAddress, interface, tos; reply() answers from localAddress
---@field maxDatagramSize? integer 1..65535: longer datagrams arrive cut, rinfo.truncated
---@field receiveBlockList? table a dgram.BlockList: datagrams from it are dropped and counted
---@field sendBlockList? table a dgram.BlockList: sends to it fail with ERR_IP_BLOCKED

---@class dgram.BindOptions
---@field port? integer 0..65535; 0: any free port
---@field address? string default: every interface
---@field exclusive? boolean accepted, no effect (no cluster)
---@field fd? integer an open UDP socket to use

---@class dgram.AddressInfo
---@field address string
---@field family dgram.Family
---@field port integer

---Where a datagram came from.
---@class dgram.RemoteInfo: dgram.AddressInfo
---@field size integer bytes in the datagram
---@field localAddress? string recvInfo: the address it was sent to
---@field interface? integer recvInfo: the index of the interface it came in on
---@field tos? integer recvInfo: its TOS byte / traffic class
---@field truncated? true longer than maxDatagramSize: cut

---What a socket counted since it was created (Socket:stats()).
---@class dgram.Stats
---@field received integer
---@field receivedBytes integer
---@field sent integer
---@field sentBytes integer
---@field sendErrors integer
---@field truncated integer
---@field blocked integer
---@field kernelDrops integer the kernel's drops for the socket (receive buffer full)

---A UDP socket, made by dgram.createSocket. An EventEmitter.
---@class dgram.Socket: events.EventEmitter
local Socket = {}

---Binds the socket (port 0: a free port; address nil: every interface) and
---starts receiving. `callback` is a once 'listening' listener. Errors of
---the system are emitted as 'error'.
---@param port? integer
---@param address? string
---@param callback? fun()
---@return dgram.Socket
---@overload fun(self: dgram.Socket, port: integer, callback: fun()): dgram.Socket
---@overload fun(self: dgram.Socket, callback: fun()): dgram.Socket
---@overload fun(self: dgram.Socket, options: dgram.BindOptions, callback?: fun()): dgram.Socket
function Socket:bind(port, address, callback) end

---Sends one datagram. `address` nil: 127.0.0.1 (udp4) or ::1 (udp6). On a
---connected socket, no port and no address.
---@param msg dgram.Message
---@param port integer
---@param address? string
---@param callback? dgram.SendCallback
---@overload fun(self: dgram.Socket, msg: string, offset: integer, length: integer, port: integer, address?: string, callback?: dgram.SendCallback)
---@overload fun(self: dgram.Socket, msg: dgram.Message, callback?: dgram.SendCallback)
---@overload fun(self: dgram.Socket, msg: string, offset: integer, length: integer, callback?: dgram.SendCallback)
function Socket:send(msg, port, address, callback) end

---Associates the socket with a remote address; `callback` is a once
---'connect' listener, or gets the error.
---@param port integer 1..65535
---@param address? string default 127.0.0.1 / ::1
---@param callback? fun(err: ludp.Error?)
---@overload fun(self: dgram.Socket, port: integer, callback: fun(err: ludp.Error?))
function Socket:connect(port, address, callback) end

---Dissociates a connected socket.
function Socket:disconnect() end

---The connected peer.
---@return dgram.AddressInfo
function Socket:remoteAddress() end

---Closes the socket; `callback` is a 'close' listener.
---@param callback? fun()
---@return dgram.Socket
function Socket:close(callback) end

---The socket's local address.
---@return dgram.AddressInfo
function Socket:address() end

---@param flag boolean
function Socket:setBroadcast(flag) end

---@param ttl integer 1..255
---@return integer ttl
function Socket:setTTL(ttl) end

---@param ttl integer 0..255
---@return integer ttl
function Socket:setMulticastTTL(ttl) end

---@param flag boolean
---@return boolean flag
function Socket:setMulticastLoopback(flag) end

---@param multicastInterface string udp4: an interface's address; udp6: "::%name"
function Socket:setMulticastInterface(multicastInterface) end

---@param multicastAddress string
---@param multicastInterface? string
function Socket:addMembership(multicastAddress, multicastInterface) end

---@param multicastAddress string
---@param multicastInterface? string
function Socket:dropMembership(multicastAddress, multicastInterface) end

---@param sourceAddress string
---@param groupAddress string
---@param multicastInterface? string
function Socket:addSourceSpecificMembership(sourceAddress, groupAddress, multicastInterface) end

---@param sourceAddress string
---@param groupAddress string
---@param multicastInterface? string
function Socket:dropSourceSpecificMembership(sourceAddress, groupAddress, multicastInterface) end

---@param size integer bytes, positive
function Socket:setRecvBufferSize(size) end

---@param size integer bytes, positive
function Socket:setSendBufferSize(size) end

---@return integer
function Socket:getRecvBufferSize() end

---@return integer
function Socket:getSendBufferSize() end

---Bytes queued for sending.
---@return integer
function Socket:getSendQueueSize() end

---Datagrams queued for sending.
---@return integer
function Socket:getSendQueueCount() end

---Sends `msg` to rinfo.address/port; with recvInfo, from rinfo.localAddress
---and its interface.
---@param msg dgram.Message
---@param rinfo dgram.RemoteInfo
---@param callback? dgram.SendCallback
function Socket:reply(msg, rinfo, callback) end

---IP_TOS / IPV6_TCLASS, 0..255; returns tos.
---@param tos integer
---@return integer
function Socket:setTOS(tos) end

---@return integer
function Socket:getTOS() end

---Don't-fragment: an oversize datagram then fails with EMSGSIZE.
---@param flag boolean
function Socket:setDontFragment(flag) end

---The path MTU of a connected socket.
---@return integer
function Socket:getMTU() end

---Stops reading; datagrams wait in the kernel's buffer.
---@return dgram.Socket
function Socket:pause() end

---Reads again after pause().
---@return dgram.Socket
function Socket:resume() end

---A new table of the socket's counts.
---@return dgram.Stats
function Socket:stats() end

---Keeps the process running while the socket is open (the default).
---@return dgram.Socket
function Socket:ref() end

---Lets the process exit while the socket is open.
---@return dgram.Socket
function Socket:unref() end

---@param event dgram.Event
---@param listener function
---@return dgram.Socket
---@overload fun(self: dgram.Socket, event: "message", listener: fun(msg: string, rinfo: dgram.RemoteInfo)): dgram.Socket
---@overload fun(self: dgram.Socket, event: "listening"|"connect"|"close", listener: fun()): dgram.Socket
---@overload fun(self: dgram.Socket, event: "error", listener: fun(err: ludp.Error)): dgram.Socket
function Socket:on(event, listener) end

---@param event dgram.Event
---@param listener function
---@return dgram.Socket
---@overload fun(self: dgram.Socket, event: "message", listener: fun(msg: string, rinfo: dgram.RemoteInfo)): dgram.Socket
---@overload fun(self: dgram.Socket, event: "listening"|"connect"|"close", listener: fun()): dgram.Socket
---@overload fun(self: dgram.Socket, event: "error", listener: fun(err: ludp.Error)): dgram.Socket
function Socket:once(event, listener) end

---Node's net.BlockList: addresses, ranges and subnets, IPv4 and IPv6.
---@class dgram.BlockList
---@field rules string[] a new array, newest rule first
local BlockList = {}

---@param address string
---@param family? "ipv4"|"ipv6" default "ipv4", any case
function BlockList:addAddress(address, family) end

---@param start string
---@param finish string the range's last address (Node's `end`)
---@param family? "ipv4"|"ipv6"
function BlockList:addRange(start, finish, family) end

---@param network string
---@param prefix integer 0..32 (IPv4) or 0..128 (IPv6)
---@param family? "ipv4"|"ipv6"
function BlockList:addSubnet(network, prefix, family) end

---@param address string
---@param family? "ipv4"|"ipv6"
---@return boolean
function BlockList:check(address, family) end

---@class dgram.BlockListClass
---@field new fun(): dgram.BlockList
---@field isBlockList fun(value: any): boolean

---@class dgram
---@field BlockList dgram.BlockListClass
local dgram = {}

---Makes a UDP socket, or a Unix datagram socket (type "unix": bind(path),
---send(msg, path), connect(path); a path "@name" is an abstract name).
---`callback` is added as a 'message' listener.
---@param type_or_options dgram.SocketType|dgram.SocketOptions
---@param callback? fun(msg: string, rinfo: dgram.RemoteInfo)
---@return dgram.Socket
function dgram.createSocket(type_or_options, callback) end

return dgram
