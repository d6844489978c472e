"""The Lua scripts that make each multi-key operation one atomic round trip.

Every script touches keys of one bucket only (one hash tag, so one cluster slot). The
record and index keys a script derives from a bucket prefix and a stored owner tag share
that tag, which keeps them in the slot of the keys it was given.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sessionjar._json import MAX_DEPTH
from sessionjar.codec import JSON_FIELDS, OPTIONAL_SESSION_FIELDS, SESSION_FIELDS, TIME_FIELDS
from sessionjar_redis._rows import OWNER_FIELD, SUM_FIELD

__all__ = [
    "Script",
    "REQUIRED",
    "GET",
    "CREATE",
    "UPDATE",
    "DELETE",
    "DELETE_FOR_USER",
    "LIST_FOR_USER",
    "LIST_SESSIONS_FOR_USER",
    "DELETE_EXPIRED",
    "DELETE_EXPIRED_KEYS",
]


@dataclass(frozen=True)
class Script:
    """A Lua script, called by its SHA1 digest and sent whole when the server lacks it."""

    source: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode()).hexdigest())  # noqa: S324


# split(): a record key's bucket prefix ("{tag}:") and handle (a tag holds no "}").
_SPLIT = """
local function split(key)
  local close = string.find(key, '}:', 1, true)
  return string.sub(key, 1, close + 1), string.sub(key, close + 4)
end
"""

# The fields whose stored text is JSON already: integers (times, version) and objects.
_INTEGERS = frozenset(SESSION_FIELDS) & (TIME_FIELDS | {"version"})
_VERBATIM = _INTEGERS | (frozenset(SESSION_FIELDS) & JSON_FIELDS)
REQUIRED = tuple(name for name in SESSION_FIELDS if name not in OPTIONAL_SESSION_FIELDS)
_STORED = (*SESSION_FIELDS, OWNER_FIELD, SUM_FIELD)
_POSITIONS = {name: i for i, name in enumerate(_STORED, 1)}
_NAMED = (
    "tenant", "user_id", "created_at", "expires_at", "absolute_deadline", "refresh_hash",
    "version", OWNER_FIELD, SUM_FIELD,
)  # fmt: skip

# exact(): whether stored text is an integer as the driver writes it, so that a tampered
# expiry ("soon", "1e999", "0x10") is an error and never compared as a number.
_EXACT = """
local function exact(text)
  return text ~= nil and #text <= 20 and string.match(text, '^%-?%d+$') ~= nil
end
"""

# FIELDS: a record's fields in codec order (its first VALUES), then the owner tag and the
# digest; TENANT ... SUM: the position of a field in FIELDS (and in a row HMGET read).
# TEXT: the positions of the text and JSON fields. digest(): the SHA-1 of those fields of
# a row, joined by NUL: kept in SUM by the scripts that write, so that an update whose row
# still matches it skips unsound() below. SHA-1 runs in C, far faster than any check of
# the text in Lua. Not a MAC: it tells a record the driver wrote from one changed behind
# its back (by hand, by an older driver), not from a forgery.
# values(): a record's fields but the owner tag, read by HMGET, as one JSON array in codec order
# (nil as null), with the fields of VERBATIM spliced in as they are: one bulk string
# parses much faster in redis-py than a reply of a dozen elements, values alone spare
# the field names, and the JSON objects are parsed once, not as strings and then again.
# unreadable(): an error reply if a REQUIRED field is missing, an integer field is not
# exact() or a JSON field does not hold an object ("{"; codec checks the rest on
# reading), else nil: so that an update never writes to a record it then cannot read.
_ROW = (
    _EXACT
    + f"local VALUES = {len(SESSION_FIELDS)}\n"
    + "local FIELDS = {"
    + ", ".join(f"'{name}'" for name in _STORED)
    + "}\nlocal VERBATIM = {"
    + ", ".join("true" if name in _VERBATIM else "false" for name in SESSION_FIELDS)
    + "}\nlocal TENANT, USER, CREATED, EXPIRES, DEADLINE, REFRESH, VERSION, OWNER, SUM = "
    + ", ".join(str(_POSITIONS[name]) for name in _NAMED)
    + "\nlocal TEXT = {"
    + ", ".join(str(i) for i, name in enumerate(SESSION_FIELDS, 1) if name not in _INTEGERS)
    + "}\nlocal INTEGER = {"
    + ", ".join("true" if name in _INTEGERS else "false" for name in SESSION_FIELDS)
    + "}\nlocal REQUIRED = {"
    + ", ".join("true" if name in REQUIRED else "false" for name in SESSION_FIELDS)
    + """}
local function unreadable(row)
  for i, integer in ipairs(INTEGER) do
    local value = row[i]
    if not value then
      if REQUIRED[i] then
        return redis.error_reply('unreadable session record: ' .. FIELDS[i] .. ' is missing')
      end
    elseif integer and not exact(value) or VERBATIM[i] and not integer
           and string.byte(value) ~= 123 then
      return redis.error_reply('unreadable session record: ' .. FIELDS[i] .. ' is malformed')
    end
  end
end
local function digest(row)
  local parts = {}
  for k, i in ipairs(TEXT) do
    local value = row[i]
    parts[k] = value and value ~= cjson.null and value or ''
  end
  return redis.sha1hex(table.concat(parts, '\\0'))
end
local function values(row)
  local out = {}
  for i, verbatim in ipairs(VERBATIM) do
    local value = row[i]
    if not value then
      out[i] = 'null'
    elseif verbatim then
      out[i] = value
    else
      out[i] = cjson.encode(value)
    end
  end
  return '[' .. table.concat(out, ',') .. ']'
end
"""
)

# unsound(): an error reply if a JSON field holds text that Python's json and
# `sessionjar.codec` would refuse to read back, else nil; so that an update never writes
# to a record that then reads as unreadable. The text must be valid UTF-8 with no control
# character, parse (cjson), nest at most MAX_DEPTH deep, and hold only numbers Python
# reads as core wrote them: no hex, Infinity, NaN, leading zero or "+", no integer of more
# than 4300 digits, no float out of range. Runs after unreadable(), on a record's values.
_SOUND = (
    f"local MAX_DEPTH = {MAX_DEPTH}\n"
    + r"""
local function utf8_valid(text)
  local i = string.find(text, '[\128-\255]')
  while i do
    local c, c2, c3, c4 = string.byte(text, i, i + 3)
    local size, low, high = 0, 128, 191
    if c >= 194 and c <= 223 then size = 2
    elseif c >= 224 and c <= 239 then size = 3
    elseif c >= 240 and c <= 244 then size = 4
    else return false end
    if c == 224 then low = 160 elseif c == 237 then high = 159
    elseif c == 240 then low = 144 elseif c == 244 then high = 143 end
    if not (c2 and c2 >= low and c2 <= high) then return false end
    if size > 2 and not (c3 and c3 >= 128 and c3 <= 191) then return false end
    if size > 3 and not (c4 and c4 >= 128 and c4 <= 191) then return false end
    i = string.find(text, '[\128-\255]', i + size)
  end
  return true
end
local function token_valid(token)
  if token == 'true' or token == 'false' or token == 'null' then return true end
  local digits, rest = string.match(token, '^%-?(%d+)(.*)$')
  if not digits or (#digits > 1 and string.byte(digits) == 48) then return false end
  if rest == '' then return #digits <= 4300 end
  rest = string.match(rest, '^%.%d+(.*)$') or rest
  if rest ~= '' and not string.match(rest, '^[eE][%+%-]?%d+$') then return false end
  local value = tonumber(token)
  return value == value and value ~= math.huge and value ~= -math.huge
end
local function too_deep(bare)
  local depth = 0
  for bracket in string.gmatch(bare, '[%[%]{}]') do
    depth = depth + ((bracket == '{' or bracket == '[') and 1 or -1)
    if depth > MAX_DEPTH then return true end
  end
  return false
end
local function json_sound(text)
  if not pcall(cjson.decode, text) then return false end
  if string.find(text, '[%z\1-\31\128-\255]') then
    if string.find(text, '[%z\1-\31]') or not utf8_valid(text) then return false end
  end
  local bare = string.gsub(string.gsub(text, '\\.', ''), '"[^"]*"', '""')
  local _, opens = string.gsub(bare, '[%[{]', '')
  if opens > MAX_DEPTH and too_deep(bare) then return false end
  -- the common case, checked in a few passes: integers of under 17 digits, no leading 0
  local words = string.gsub(string.gsub(string.gsub(bare, 'true', ''), 'false', ''), 'null', '')
  if string.find(words, '[^%d%-,:%[%]{}"]') or string.find(words, '%D0%d')
     or string.find(words, '%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d') then
    for token in string.gmatch(bare, '[^%s,:%[%]{}"]+') do
      if not token_valid(token) then return false end
    end
  end
  return true
end
local function sound(value, json)
  if json then return json_sound(value) end
  return utf8_valid(value)
end
local function unsound(row)
  for i, integer in ipairs(INTEGER) do
    local value = row[i]
    if value and not integer and not sound(value, VERBATIM[i]) then
      return redis.error_reply('unreadable session record: ' .. FIELDS[i] .. ' is malformed')
    end
  end
end
"""
)

# POSITION: the index of each field in FIELDS, by name.
_POSITION = (
    "local POSITION = {" + ", ".join(f"{name} = {i}" for name, i in _POSITIONS.items()) + "}\n"
)

# KEYS: record. Returns the record as values() does, or nil.
GET = Script(
    _ROW
    + """
local row = redis.call('HMGET', KEYS[1], unpack(FIELDS, 1, VALUES))
if not row[1] then return false end
return unreadable(row) or values(row)
""",
)

# KEYS: record, owner index. ARGV: native TTL, the values of FIELDS as a JSON array of
# text (null: no such field). Index entries of records already gone (native expiry) are
# pruned here, so an index never holds more than its owner's existing records plus those
# not yet checked after expiring.
CREATE = Script(
    _ROW
    + _SPLIT
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local prefix, handle = split(KEYS[1])
local ttl, row = tonumber(ARGV[1]), cjson.decode(ARGV[2])
row[SUM] = digest(row)
local flat = {}
for i, name in ipairs(FIELDS) do
  if row[i] ~= cjson.null then
    flat[#flat + 1] = name
    flat[#flat + 1] = row[i]
  end
end
redis.call('HSET', KEYS[1], unpack(flat))
redis.call('PEXPIRE', KEYS[1], ttl)
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', row[CREATED])) do
  if redis.call('EXISTS', prefix .. 's:' .. old) == 0 then redis.call('ZREM', KEYS[2], old) end
end
redis.call('ZADD', KEYS[2], row[EXPIRES], handle)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
""",
)

# KEYS: record. ARGV: one JSON array: now (ms), the expected version (text) or null, the
# expected refresh hash or null, the native TTL if the patch sets expires_at or null,
# then the patch's field/value pairs (text). One argument, not a dozen: redis-py packs
# each argument in Python. Every condition is checked before anything is written, on
# fields read back exactly: an error reply otherwise. Returns the updated record as GET
# does, or nil when a condition fails.
UPDATE = Script(
    _ROW
    + _SOUND
    + _POSITION
    + _SPLIT
    + """
local args = cjson.decode(ARGV[1])
local now, version, refresh_hash, ttl = args[1], args[2], args[3], args[4]
local row = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if not row[EXPIRES] then return false end
local bad = unreadable(row) or row[SUM] ~= digest(row) and unsound(row)
if bad then return bad end
if tonumber(row[EXPIRES]) <= now then return false end
if version ~= cjson.null and row[VERSION] ~= version then return false end
if refresh_hash ~= cjson.null and row[REFRESH] ~= refresh_hash then return false end
for i = 5, #args, 2 do row[POSITION[args[i]]] = args[i + 1] end
if ttl ~= cjson.null and row[DEADLINE] and tonumber(row[EXPIRES]) > tonumber(row[DEADLINE]) then
  return false
end
row[VERSION] = tostring(tonumber(row[VERSION]) + 1)
redis.call('HSET', KEYS[1], 'version', row[VERSION], FIELDS[SUM], digest(row), unpack(args, 5))
if ttl ~= cjson.null then
  local prefix, handle = split(KEYS[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  if row[OWNER] then
    local index = prefix .. 'u:' .. row[OWNER]
    redis.call('ZADD', index, row[EXPIRES], handle)
    if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
  end
end
return values(row)
""",
)

# KEYS: records of one bucket. Returns the handles deleted.
DELETE = Script(
    _SPLIT
    + """
local deleted = {}
for _, key in ipairs(KEYS) do
  local owner = redis.call('HGET', key, 'ix')
  if redis.call('DEL', key) == 1 then
    local prefix, handle = split(key)
    if owner then redis.call('ZREM', prefix .. 'u:' .. owner, handle) end
    deleted[#deleted + 1] = handle
  end
end
return deleted
""",
)

# KEYS: owner index. ARGV: prefix, tenant, user id. Returns the handles deleted. The owner
# is compared too: an index entry never deletes another user's record.
DELETE_FOR_USER = Script(
    """
local deleted = {}
for _, handle in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. 's:' .. handle
  local owner = redis.call('HMGET', key, 'tenant', 'user_id')
  if owner[1] == ARGV[2] and owner[2] == ARGV[3] then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], handle)
    deleted[#deleted + 1] = handle
  elseif not owner[1] then
    redis.call('ZREM', KEYS[1], handle)
  end
end
return deleted
""",
)

# KEYS: owner index. ARGV: prefix, tenant, user id, now. Returns the live handles and
# prunes entries whose record is gone.
LIST_FOR_USER = Script(
    """
local live = {}
for _, handle in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local row = redis.call('HMGET', ARGV[1] .. 's:' .. handle, 'tenant', 'user_id', 'expires_at')
  if not row[1] then
    redis.call('ZREM', KEYS[1], handle)
  elseif row[1] == ARGV[2] and row[2] == ARGV[3] and tonumber(row[3]) > tonumber(ARGV[4]) then
    live[#live + 1] = handle
  end
end
return live
""",
)

# KEYS: owner index. ARGV: prefix, tenant, user id, now. Returns the owner's live records,
# each as values() does (an error reply if one is unreadable), and prunes entries whose
# record is gone.
LIST_SESSIONS_FOR_USER = Script(
    _ROW
    + """
local live = {}
for _, handle in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local row = redis.call('HMGET', ARGV[1] .. 's:' .. handle, unpack(FIELDS, 1, VALUES))
  if not row[1] then
    redis.call('ZREM', KEYS[1], handle)
  elseif row[TENANT] == ARGV[2] and row[USER] == ARGV[3] then
    local bad = unreadable(row)
    if bad then return bad end
    if tonumber(row[EXPIRES]) > tonumber(ARGV[4]) then live[#live + 1] = values(row) end
  end
end
return live
""",
)

# KEYS: records of one bucket. ARGV: now, the most records to delete. Returns how many of
# them were expired and deleted. A record whose expiry is unreadable is left to its
# native TTL.
DELETE_EXPIRED = Script(
    _EXACT
    + _SPLIT
    + """
local count, most = 0, tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  if count == most then break end
  local row = redis.call('HMGET', key, 'expires_at', 'ix')
  if row[1] and exact(row[1]) and tonumber(row[1]) <= tonumber(ARGV[1]) then
    redis.call('DEL', key)
    local prefix, handle = split(key)
    if row[2] then redis.call('ZREM', prefix .. 'u:' .. row[2], handle) end
    count = count + 1
  end
end
return count
""",
)

# KEYS: signing-key hash. ARGV: now. Deletes the keys past their expires_at.
DELETE_EXPIRED_KEYS = Script(
    """
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(cjson.decode(all[i + 1])['expires_at']) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return 0
""",
)
