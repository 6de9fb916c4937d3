-- EventEmitter: Node.js's `events` module for Lua 5.4.
--
--   local EventEmitter = require("events")     -- also .EventEmitter
--   local e = EventEmitter.new()
--   e:on("message", function(msg, rinfo) print(msg) end)
--   e:emit("message", "hi", { port = 1 })      --> true
--
-- Listeners get the emitted arguments only, no self. Subclasses:
--
--   local Sub = EventEmitter:extend()          -- Sub:extend() works again
--   function Sub.init(self, name) self.name = name end
--   local s = Sub.new("x")                     -- emitter state, then init
--
-- Or with plain metatables, calling EventEmitter.init on each instance:
--
--   local Mine = setmetatable({}, { __index = EventEmitter })
--   Mine.__index = Mine
--   function Mine.new()
--     return EventEmitter.init(setmetatable({}, Mine))
--   end
--
-- An event's listeners are stored as the function itself when there is one
-- (the usual case: no table per event, and emit is one call), else as an
-- array that calls them all (its metatable's __call). The arrays are never
-- changed in place: adding or removing builds a new one. So emit needs no
-- copy to give Node's semantics (a listener removed during emit still
-- runs, one added does not).
--
-- A subclass that must know when an event's listeners change (dgram hands
-- its sockets' 'message' listeners to C) defines the method
-- _listeners_changed(self, event, stored): every change goes through
-- store() below and calls it with what is now stored (nil for none).

local errors = require("ludp.errors")

local type, setmetatable, getmetatable, rawget, tostring =
  type, setmetatable, getmetatable, rawget, tostring

local EventEmitter = {}
EventEmitter.__index = EventEmitter
EventEmitter.__name = "EventEmitter"
EventEmitter.EventEmitter = EventEmitter
EventEmitter.defaultMaxListeners = 10

-- once wrapper -> original listener; weak so dropped wrappers are collected.
local originals = setmetatable({}, { __mode = "k" })

-- Stands in for the state of a table never passed to init; never written.
local NO_EVENTS = {}

-- Several listeners: an array that, called, calls each in order.
local Listeners = {
  __call = function(list, ...)
    for i = 1, #list do list[i](...) end
  end,
}

-- The listeners stored for an event as an array (not to be changed).
local function array_of(stored)
  if type(stored) == "function" then return { stored } end
  return stored
end

local function check_listener(fn)
  if type(fn) ~= "function" then
    errors.arg_type("listener", "of type function", fn)
  end
end

-- The receiver of a method: any table but a class (a table that is its
-- own __index: EventEmitter, a class extend made, one made with plain
-- metatables), whose listeners every instance would find through
-- __index. e.on("x", f) with a dot, or EventEmitter:on, would otherwise
-- index a string or a number, or store listeners in the class.
local function check_this(self)
  if type(self) ~= "table" or rawget(self, "__index") == self then
    errors.invalid_this("an instance of EventEmitter", self)
  end
end

local function check_event(event)
  -- nil and NaN cannot be table keys.
  if event == nil or event ~= event then
    errors.arg_type("eventName", "a non-nil value", event)
  end
end

-- Makes a table usable as an emitter; keeps existing state, so calling it
-- twice is harmless. A table without a metatable becomes a plain emitter.
function EventEmitter.init(self)
  if type(self) ~= "table" or rawget(self, "__index") == self then
    errors.raise("TypeError", "ERR_INVALID_ARG_TYPE", string.format(
      'The "object" argument must be a table that is not a class. ' ..
      "Received %s", errors.received(self)))
  end
  if getmetatable(self) == nil then setmetatable(self, EventEmitter) end
  if rawget(self, "_events") == nil then
    self._events = {}  -- event -> listener, or array of them (see top)
    self._names = {}   -- events with listeners, in insertion order
  end
  return self
end

local function make_new(cls)
  return function(...)
    local self = EventEmitter.init(setmetatable({}, cls))
    local init = cls.init
    if init ~= EventEmitter.init then init(self, ...) end
    return self
  end
end

EventEmitter.new = make_new(EventEmitter)

-- A subclass: instances inherit from it, it inherits from self.
function EventEmitter:extend()
  if type(self) ~= "table" or rawget(self, "__index") ~= self then
    errors.invalid_this("a class", self)
  end
  local cls = {}
  -- Metamethods are looked up raw, so they must be copied, not inherited.
  for k, v in pairs(self) do
    if type(k) == "string" and k:sub(1, 2) == "__" then cls[k] = v end
  end
  cls.__index = cls
  cls.super = self
  cls.new = make_new(cls)
  return setmetatable(cls, { __index = self })
end

-- The one place an event's listeners are stored.
local function store(self, events, event, stored)
  events[event] = stored
  local changed = self._listeners_changed
  if changed then changed(self, event, stored) end
end

local function remove_name(names, event)
  for i = #names, 1, -1 do
    if names[i] == event then
      table.remove(names, i)
      return
    end
  end
end

local function warn_max(self, event, count, max)
  local warned = self._warned
  if not warned then
    warned = {}
    self._warned = warned
  end
  if warned[event] then return end
  warned[event] = true
  local mt = getmetatable(self)
  local class = type(mt) == "table" and type(rawget(mt, "__name")) == "string"
    and mt.__name or "EventEmitter"
  io.stderr:write(string.format(
    "MaxListenersExceededWarning: Possible EventEmitter memory leak " ..
    "detected. %d %s listeners added to [%s]. MaxListeners is %s. " ..
    "Use emitter:setMaxListeners() to increase limit\n",
    count, errors.tostring(event) or errors.received(event), class,
    tostring(max)))
end

local function add_listener(self, event, fn, prepend)
  check_this(self)
  check_event(event)
  check_listener(fn)
  if not self._events then EventEmitter.init(self) end
  local events = self._events
  if events.newListener then
    self:emit("newListener", event, originals[fn] or fn)
  end
  local old = events[event]
  local n = 0
  if old then
    old = array_of(old)
    n = #old
    local list = setmetatable({}, Listeners)
    if prepend then
      list[1] = fn
      table.move(old, 1, n, 2, list)
    else
      table.move(old, 1, n, 1, list)
      list[n + 1] = fn
    end
    store(self, events, event, list)
  else
    self._names[#self._names + 1] = event
    store(self, events, event, fn)
  end
  local max = self:getMaxListeners()
  if max > 0 and n + 1 > max then warn_max(self, event, n + 1, max) end
  return self
end

-- Returns a listener that removes itself before calling fn once.
local function once_wrap(self, event, fn)
  local fired = false
  local function wrapper(...)
    if fired then return end
    fired = true
    self:removeListener(event, wrapper)
    return fn(...)
  end
  originals[wrapper] = fn
  return wrapper
end

function EventEmitter:on(event, fn)
  return add_listener(self, event, fn, false)
end
EventEmitter.addListener = EventEmitter.on

function EventEmitter:prependListener(event, fn)
  return add_listener(self, event, fn, true)
end

function EventEmitter:once(event, fn)
  check_this(self)
  check_listener(fn)
  return add_listener(self, event, once_wrap(self, event, fn), false)
end

function EventEmitter:prependOnceListener(event, fn)
  check_this(self)
  check_listener(fn)
  return add_listener(self, event, once_wrap(self, event, fn), true)
end

-- Removes the most recently added instance of fn (or of a once wrapper
-- around fn), as Node does.
function EventEmitter:removeListener(event, fn)
  check_this(self)
  check_listener(fn)
  local events = self._events or NO_EVENTS
  local old = events[event]
  if not old then return self end
  old = array_of(old)
  local n = #old
  for i = n, 1, -1 do
    local l = old[i]
    if l == fn or originals[l] == fn then
      if n == 1 then
        remove_name(self._names, event)
        store(self, events, event, nil)
      elseif n == 2 then
        store(self, events, event, old[3 - i])
      else
        local list = table.move(old, 1, i - 1, 1, setmetatable({}, Listeners))
        store(self, events, event, table.move(old, i + 1, n, i, list))
      end
      if events.removeListener then
        self:emit("removeListener", event, originals[l] or l)
      end
      return self
    end
  end
  return self
end
EventEmitter.off = EventEmitter.removeListener

function EventEmitter:removeAllListeners(event)
  check_this(self)
  local events = self._events
  if not events then return self end
  if not events.removeListener then
    -- Nobody watches removals: just drop the lists.
    if event == nil then
      local names = self._names
      self._events, self._names = {}, {}
      for i = 1, #names do store(self, events, names[i], nil) end
    elseif events[event] then
      remove_name(self._names, event)
      store(self, events, event, nil)
    end
    return self
  end
  if event == nil then
    -- One event at a time so each removal is reported; the watchers last.
    local names = table.move(self._names, 1, #self._names, 1, {})
    for _, name in ipairs(names) do
      if name ~= "removeListener" then self:removeAllListeners(name) end
    end
    return self:removeAllListeners("removeListener")
  end
  local list = events[event]
  if list then
    list = array_of(list)
    for i = #list, 1, -1 do self:removeListener(event, list[i]) end
  end
  return self
end

-- Datagrams do not come this way: the binding calls the 'message'
-- listeners it was handed (see _listeners_changed above).
function EventEmitter:emit(event, ...)
  check_this(self)
  local listeners = (self._events or NO_EVENTS)[event]
  if listeners then
    listeners(...)  -- the one listener, or the array that calls them all
    return true
  end
  if event == "error" then
    local err = ...
    -- A table is thrown as it is (Node throws an Error as it is); other
    -- values are wrapped, so that what is raised carries a message.
    if type(err) == "table" then error(err, 0) end
    local msg = "Unhandled error."
    if err ~= nil then
      msg = "Unhandled error. (" .. (errors.tostring(err)
                                     or errors.received(err)) .. ")"
    end
    local e = errors.new("Error", "ERR_UNHANDLED_ERROR", msg, 2)
    e.context = err
    error(e, 0)
  end
  return false
end

function EventEmitter:setMaxListeners(n)
  check_this(self)
  if type(n) ~= "number" or n ~= n or n < 0 then
    errors.range_error("ERR_OUT_OF_RANGE", 'The value of "n" is out of ' ..
      "range. It must be a non-negative number. Received " ..
      (type(n) == "number" and tostring(n) or errors.received(n)))
  end
  self._max_listeners = n
  return self
end

function EventEmitter:getMaxListeners()
  check_this(self)
  return self._max_listeners or EventEmitter.defaultMaxListeners
end

-- The listeners, with once wrappers replaced by the original functions.
function EventEmitter:listeners(event)
  check_this(self)
  local list = array_of((self._events or NO_EVENTS)[event] or {})
  local out = {}
  for i = 1, #list do out[i] = originals[list[i]] or list[i] end
  return out
end

-- The listeners as stored, once wrappers included.
function EventEmitter:rawListeners(event)
  check_this(self)
  local list = array_of((self._events or NO_EVENTS)[event] or {})
  return table.move(list, 1, #list, 1, {})
end

-- With fn, counts only fn (and once wrappers around it).
function EventEmitter:listenerCount(event, fn)
  check_this(self)
  local list = (self._events or NO_EVENTS)[event]
  if not list then return 0 end
  list = array_of(list)
  if fn == nil then return #list end
  local count = 0
  for i = 1, #list do
    local l = list[i]
    if l == fn or originals[l] == fn then count = count + 1 end
  end
  return count
end

function EventEmitter:eventNames()
  check_this(self)
  local names = self._names or NO_EVENTS
  return table.move(names, 1, #names, 1, {})
end

return EventEmitter
