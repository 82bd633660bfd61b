/**
 * Lua scripts of the Redis store. Each runs atomically, so a limit check and the write it
 * guards cannot interleave with another node's, and the event a change publishes is
 * numbered by the room's sequence in the same step.
 *
 * A member is stored as `node \t json`, the record without its node, so that scripts can
 * move a member between nodes without decoding (and re-encoding) its metadata.
 * Events are published as JSON: `{seq, kind, node?, record?, room?, id?, reason?}`.
 */

/** KEYS: members, seq, rooms, nodeMembers. ARGV: room, id, value, maxRooms, roomLimit, channel, ref, node, body. */
export const ADD = `
local n = redis.call('HLEN', KEYS[1])
if n == 0 then
  if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then
    return {'TOO_MANY_ROOMS'}
  end
elseif n >= tonumber(ARGV[5]) and redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then
  return {'ROOM_FULL'}
end
local before = redis.call('HVALS', KEYS[1])
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[7])
redis.call('PERSIST', KEYS[2])
local next = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[6], '{"seq":' .. next .. ',"kind":"joined","node":"' .. ARGV[8] .. '","record":' .. ARGV[9] .. '}')
return {'OK', seq, before}
`;

/**
 * KEYS: members, seq, rooms. ARGV: room, id, reason, channel, ref, nodePrefix, requiredNode ('' = any).
 * Answers 1 when this call removed the member (so exactly one caller announces it).
 */
export const REMOVE = `
local value = redis.call('HGET', KEYS[1], ARGV[2])
if not value then return 0 end
local tab = string.find(value, '\\t', 1, true)
local node = string.sub(value, 1, tab - 1)
if ARGV[7] ~= '' and node ~= ARGV[7] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('SREM', ARGV[6] .. node .. ':members', ARGV[5])
local next = redis.call('INCR', KEYS[2])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
redis.call('PUBLISH', ARGV[4], '{"seq":' .. next .. ',"kind":"left","room":' .. cjson.encode(ARGV[1]) .. ',"id":"' .. ARGV[2] .. '","reason":"' .. ARGV[3] .. '"}')
return 1
`;

/** KEYS: members, seq. ARGV: id, node, body, channel. */
export const UPDATE = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
local tab = string.find(value, '\\t', 1, true)
local node = string.sub(value, 1, tab - 1)
redis.call('HSET', KEYS[1], ARGV[1], node .. '\\t' .. ARGV[3])
local next = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], '{"seq":' .. next .. ',"kind":"updated","node":"' .. node .. '","record":' .. ARGV[3] .. '}')
return 1
`;

/** KEYS: members, seq, newNodeMembers. ARGV: id, newNode, channel, ref, nodePrefix. */
export const CLAIM = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return false end
local tab = string.find(value, '\\t', 1, true)
local old = string.sub(value, 1, tab - 1)
local body = string.sub(value, tab + 1)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\\t' .. body)
redis.call('SREM', ARGV[5] .. old .. ':members', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[4])
local next = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], '{"seq":' .. next .. ',"kind":"moved","node":"' .. ARGV[2] .. '","record":' .. body .. '}')
return {next, redis.call('HVALS', KEYS[1])}
`;

/**
 * KEYS: members, seq, rooms, nodeMembers. ARGV: room, seqHint, channel, then id, value, ref
 * triples. Writes back this node's members after Redis lost them, keeping the sequence
 * monotonic, and announces each one the room did not have as `joined`: a node that read
 * the room before this one wrote it back learns of them (a member it still knows it is
 * told again, which clients take as "present").
 */
export const RESTORE = `
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > seq then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('PERSIST', KEYS[2])
for i = 4, #ARGV, 3 do
  redis.call('SADD', KEYS[4], ARGV[i + 2])
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    local value = ARGV[i + 1]
    local tab = string.find(value, '\\t', 1, true)
    local next = redis.call('INCR', KEYS[2])
    redis.call('PUBLISH', ARGV[3], '{"seq":' .. next .. ',"kind":"joined","node":"' .. string.sub(value, 1, tab - 1) .. '","record":' .. string.sub(value, tab + 1) .. '}')
  end
end
redis.call('SADD', KEYS[3], ARGV[1])
return 1
`;

/** KEYS: members, seq. Answers the room's sequence and members, read together. */
export const READ = `
return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('HVALS', KEYS[1])}
`;
