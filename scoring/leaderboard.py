"""Leaderboards: Redis sorted sets per scope and period, derived from SQL.

Every board is written with absolute totals computed from SQL (ZADD, never
ZINCRBY), so replaying a write changes nothing. Keys share the hash tag
`{org}` so one Lua script may read a board and the people hash together,
also on Redis Cluster. Reads are O(log N): ranks come from ZREVRANK/ZCOUNT.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import redis

from scoring.periods import PERIODS, Window, window_for

ROLLING_TTL = dt.timedelta(days=2)
WRITE_CHUNK = 5000


@dataclass(frozen=True)
class Boards:
    """The key space of one organisation's boards."""

    org: str

    @property
    def prefix(self) -> str:
        return f"lb:{{{self.org}}}:"

    def key(self, window: Window, team: str | None = None) -> str:
        scope = "org" if team is None else f"t:{team}"
        return f"{self.prefix}b:{scope}:{window.suffix}"

    def key_all(self, team: str | None = None) -> str:
        return self.key(window_for("all", dt.date.min), team)

    @property
    def people(self) -> str:
        """member (internal id) -> JSON [employee_id, name, team] of ranked people."""
        return f"{self.prefix}people"

    @property
    def ids(self) -> str:
        """employee_id (HR id) -> member, to find a person by the id integrations use."""
        return f"{self.prefix}ids"

    def snapshot(self, week: Window, team: str | None = None) -> str:
        """The all-time board as it stood when `week` began, for "up 3 places"."""
        scope = "org" if team is None else f"t:{team}"
        return f"{self.prefix}snap:{scope}:{week.suffix}"

    def rolling_ready(self, window: Window) -> str:
        return f"{self.prefix}ready:{window.suffix}"

    @property
    def build_lock(self) -> str:
        return f"{self.prefix}build-lock"

    @property
    def built(self) -> str:
        """Marker written by a full rebuild: while it exists, the boards are all there.
        Redis losing its data loses the marker too, and the boards rebuild themselves."""
        return f"{self.prefix}built"

    @property
    def rebuild_lock(self) -> str:
        return f"{self.prefix}rebuild-lock"


@dataclass(frozen=True)
class PersonCard:
    member: str
    employee_id: str
    name: str
    team: str | None

    def as_json(self) -> str:
        return json.dumps([self.employee_id, self.name, self.team])


def board_writes(
    boards: Boards, totals: Iterable[tuple[Window, str, str | None, int]]
) -> dict[str, dict[str, int]]:
    """Group (window, member, team, points) into {key: {member: points}} for org and team."""
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    # One board per (window, team), many people on each: build each key once.
    boards_of: dict[tuple[Window, str | None], dict[str, int]] = {}
    for window, member, team, points in totals:
        for scope in (None, team) if team else (None,):
            board = boards_of.get((window, scope))
            if board is None:
                board = boards_of[(window, scope)] = grouped[boards.key(window, scope)]
            board[member] = points
    return grouped


def write_boards(
    r: redis.Redis,
    boards: Boards,
    values: Mapping[str, Mapping[str, int]],
    people: Iterable[PersonCard] = (),
) -> None:
    """Set absolute totals; a total of zero takes the person off that board.

    One script call carrying one JSON argument: Redis decodes it in C, where
    a pipeline would have the client encode every member and score as a
    separate argument. Cards are rewritten only where they changed.
    """
    keys = list(values)
    cards = list(people)
    payload = {
        "boards": [
            [x for member, points in values[k].items() for x in (member, points)] for k in keys
        ],
        "expire": [1 if _is_rolling(k) else 0 for k in keys],
        "ttl": int(ROLLING_TTL.total_seconds()),
        "cards": [x for c in cards for x in (c.member, c.as_json())],
        "ids": [x for c in cards for x in (c.employee_id, c.member)],
    }
    if keys or cards:
        r.register_script(_WRITE_SCRIPT)(
            keys=[*keys, boards.people, boards.ids], args=[json.dumps(payload)]
        )


# KEYS: the boards, then the people and ids hashes. ARGV[1]: the JSON payload of
# write_boards. Members go in batches to stay under Lua's limit on unpack().
_WRITE_SCRIPT = """
local data = cjson.decode(ARGV[1])
local boards = #KEYS - 2
local function flush(cmd, key, args)
  if #args > 0 then redis.call(cmd, key, unpack(args)) end
  return {}
end
for i = 1, boards do
  local key, flat = KEYS[i], data.boards[i]
  local add, gone = {}, {}
  for j = 1, #flat, 2 do
    local member, points = flat[j], flat[j + 1]
    if points > 0 then
      add[#add + 1] = points
      add[#add + 1] = member
    else
      gone[#gone + 1] = member
    end
    if #add >= 2000 then add = flush('ZADD', key, add) end
    if #gone >= 1000 then gone = flush('ZREM', key, gone) end
  end
  flush('ZADD', key, add)
  flush('ZREM', key, gone)
  if data.expire[i] == 1 then redis.call('EXPIRE', key, data.ttl) end
end
local function put(hash, flat)
  local changed = {}
  for j = 1, #flat, 2 do
    if redis.call('HGET', hash, flat[j]) ~= flat[j + 1] then
      changed[#changed + 1] = flat[j]
      changed[#changed + 1] = flat[j + 1]
    end
    if #changed >= 2000 then changed = flush('HSET', hash, changed) end
  end
  flush('HSET', hash, changed)
end
put(KEYS[boards + 1], data.cards)
put(KEYS[boards + 2], data.ids)
return boards
"""


def forget_person(r: redis.Redis, boards: Boards, member: str, team: str | None = None) -> None:
    """Take a person off every board of a team (after they moved to another team),
    or with no team, off every board there is (they are hidden)."""
    scope = f"t:{team}:*" if team else "*"
    pipe = r.pipeline(transaction=False)
    for key in r.scan_iter(match=f"{boards.prefix}b:{scope}", count=1000):
        pipe.zrem(key, member)
    pipe.execute()


def replace_boards(
    r: redis.Redis,
    boards: Boards,
    values: Mapping[str, Mapping[str, int]],
    people: Iterable[PersonCard] | None = None,
    stale_pattern: str | None = None,
) -> None:
    """Rebuild whole boards: write each into a scratch key and rename it over the live one.

    Keys matching `stale_pattern` that are not rebuilt are deleted (a board
    whose people all dropped to zero). Callers hold the scoring lock, so no
    job writes to these boards meanwhile.
    """
    for key, members in values.items():
        scratch = f"{key}:rebuild"
        r.delete(scratch)
        items = [(m, p) for m, p in members.items() if p > 0]
        for start in range(0, len(items), WRITE_CHUNK):
            r.zadd(scratch, dict(items[start : start + WRITE_CHUNK]))
        if items:
            if _is_rolling(key):
                r.expire(scratch, ROLLING_TTL)
            r.rename(scratch, key)
        else:
            r.delete(key)
    if stale_pattern:
        stale = [
            k for k in r.scan_iter(match=stale_pattern, count=1000) if k.decode() not in values
        ]
        for start in range(0, len(stale), 500):
            r.delete(*stale[start : start + 500])
    if people is not None:
        cards = list(people)
        for target in (boards.people, boards.ids):
            r.delete(f"{target}:rebuild")
        pipe = r.pipeline(transaction=False)
        for start in range(0, len(cards), WRITE_CHUNK):
            _write_people_to(pipe, boards, cards[start : start + WRITE_CHUNK], suffix=":rebuild")
        pipe.execute()
        for target in (boards.people, boards.ids):
            if r.exists(f"{target}:rebuild"):
                r.rename(f"{target}:rebuild", target)
            else:
                r.delete(target)


def _write_people_to(pipe, boards: Boards, cards: list[PersonCard], suffix: str) -> None:
    if cards:
        pipe.hset(boards.people + suffix, mapping={c.member: c.as_json() for c in cards})
        pipe.hset(boards.ids + suffix, mapping={c.employee_id: c.member for c in cards})


def _is_rolling(key: str) -> bool:
    return key.rsplit(":", 1)[-1].startswith("d")


# One round trip for a board read: total, top N, the person's neighbourhood and names.
_READ_SCRIPT = """
local board, people, ids = KEYS[1], KEYS[2], KEYS[3]
local limit = tonumber(ARGV[1])
local who = ARGV[2]
local total = redis.call('ZCARD', board)
local top = {}
if limit > 0 then top = redis.call('ZREVRANGE', board, 0, limit - 1, 'WITHSCORES') end
local around, start, above = {}, -1, 0
if who ~= '' then
  local member = redis.call('HGET', ids, who)
  if member then
    local pos = redis.call('ZREVRANK', board, member)
    if pos then
      start = math.max(pos - 2, 0)
      around = redis.call('ZREVRANGE', board, start, pos + 2, 'WITHSCORES')
      above = redis.call('ZCOUNT', board, '(' .. around[2], '+inf')
    end
  end
end
local names = {}
local wanted = {}
for i = 1, #top, 2 do wanted[#wanted + 1] = top[i] end
for i = 1, #around, 2 do wanted[#wanted + 1] = around[i] end
if #wanted > 0 then names = redis.call('HMGET', people, unpack(wanted)) end
return {total, top, start, above, around, names}
"""

# Rank and points of one member on several boards: rank = 1 + people strictly ahead.
# ARGV[i + 1], when above zero, is the member's points on KEYS[i] if they are not
# listed there (opted out of public boards): the rank they would have.
_RANKS_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  local score = redis.call('ZSCORE', key, ARGV[1])
  if not score and tonumber(ARGV[i + 1] or '0') > 0 then score = ARGV[i + 1] end
  if score then
    out[#out + 1] = redis.call('ZCOUNT', key, '(' .. score, '+inf') + 1
    out[#out + 1] = score
  else
    out[#out + 1] = false
    out[#out + 1] = false
  end
end
return out
"""


# Rank and points of several members on one board (nothing for those not on it).
_PLACES_SCRIPT = """
local out = {}
for i, member in ipairs(ARGV) do
  local score = redis.call('ZSCORE', KEYS[1], member)
  if score then
    out[#out + 1] = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf') + 1
    out[#out + 1] = score
  else
    out[#out + 1] = false
    out[#out + 1] = false
  end
end
return out
"""


@dataclass(frozen=True)
class Entry:
    rank: int
    member: str
    employee_id: str
    name: str
    team: str | None
    points: int

    def as_dict(self) -> dict:
        return {
            "rank": self.rank,
            "employee_id": self.employee_id,
            "name": self.name,
            "team": self.team,
            "points": self.points,
        }


@dataclass(frozen=True)
class BoardView:
    window: Window
    team: str | None
    total: int
    entries: list[Entry]
    around: list[Entry]

    def as_dict(self, tz: ZoneInfo) -> dict:
        start, end = self.window.bounds(tz)
        return {
            "period": self.window.period,
            "window": {
                "start": start.isoformat() if start else None,
                "end": end.isoformat() if end else None,
            },
            "team": self.team,
            "total": self.total,
            "entries": [e.as_dict() for e in self.entries],
            "around": [e.as_dict() for e in self.around],
        }


class BoardReader:
    """Reads boards for one organisation; scripts are registered once per client."""

    def __init__(self, r: redis.Redis, boards: Boards):
        self.r = r
        self.boards = boards
        self._read = r.register_script(_READ_SCRIPT)
        self._ranks = r.register_script(_RANKS_SCRIPT)
        self._places = r.register_script(_PLACES_SCRIPT)

    def read(self, window: Window, team: str | None, limit: int, around: str | None) -> BoardView:
        total, top, start, above, near, names = self._read(
            keys=[self.boards.key(window, team), self.boards.people, self.boards.ids],
            args=[limit, around or ""],
        )
        cards = iter(names)
        entries = _ranked(_pairs(top), 0, 0, cards)
        neighbours = _ranked(_pairs(near), start, above, cards) if near else []
        return BoardView(window, team, total, entries, neighbours)

    def ranks(
        self, member: str, keys: list[str], unlisted_points: list[int] | None = None
    ) -> list[tuple[int, int] | None]:
        """(rank, points) per board, None where unranked; `unlisted_points` gives the
        points of a person kept off the boards, to place them privately."""
        flat = self._ranks(keys=keys, args=[member, *(unlisted_points or [])])
        out = []
        for rank, score in zip(flat[::2], flat[1::2], strict=True):
            out.append(None if rank is None else (int(rank), int(float(score))))
        return out

    def places(self, key: str, members: list[str]) -> dict[str, tuple[int, int]]:
        """(rank, points) of each member on board `key`; members not on it are left out."""
        if not members:
            return {}
        flat = self._places(keys=[key], args=members)
        return {
            member: (int(rank), int(float(score)))
            for member, rank, score in zip(members, flat[::2], flat[1::2], strict=True)
            if rank is not None
        }


_GAP_SCRIPT = """
local above = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if #above == 0 then return false end
local rank = redis.call('ZCOUNT', KEYS[1], '(' .. above[2], '+inf') + 1
return {above[2], rank}
"""


def gap_above(r: redis.Redis, key: str, points: int) -> tuple[int, int] | None:
    """(points behind, rank) of the nearest score above `points` on a board, or None."""
    found = r.eval(_GAP_SCRIPT, 1, key, points)
    if not found:
        return None
    return int(float(found[0])) - points, int(found[1])


def _pairs(flat: list) -> list[tuple[str, int]]:
    return [(m.decode(), int(float(s))) for m, s in zip(flat[::2], flat[1::2], strict=True)]


def _ranked(rows: list[tuple[str, int]], start: int, above: int, cards) -> list[Entry]:
    """Competition ranking (1, 2, 2, 4) over a contiguous slice starting at `start`.

    `above` counts people with strictly more points than the slice's first row.
    """
    entries: list[Entry] = []
    for offset, (member, points) in enumerate(rows):
        if entries and points == entries[-1].points:
            rank = entries[-1].rank
        elif not entries:
            rank = above + 1
        else:
            rank = start + offset + 1
        raw = next(cards)
        employee_id, name, team = json.loads(raw) if raw else (member, "(unknown)", None)
        entries.append(Entry(rank, member, employee_id, name, team, points))
    return entries


def current_windows(today: dt.date) -> dict[str, Window]:
    return {period: window_for(period, today) for period in PERIODS}
